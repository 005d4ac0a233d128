// A strict JSON Schema 2020-12 validator (ajv, with the standard formats), as a caller in another
// language would hold trustflow's published schemas against what it sends and receives.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export function strictAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  return ajv;
}
