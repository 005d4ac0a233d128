// How a KISC input names the service: its address and the participant's mutual-TLS identity.
// Shared by kiscVerifyIdentity, kiscReconcile and the CLI's `--connection FILE`. Pure (zod only).
import { z } from 'zod';
import { providerUrl, strictObject } from './fields.js';
import { MutualTlsSpecSchema } from './mutual-tls-spec.js';

const KiscEndpointShape = {
  /** API root, e.g. https://onlinetest.kisc.kz/identity/1.1.0 (test) or https://online.kisc.kz/identity/1.1.0. KISC is mutual TLS only: https even on loopback. */
  baseUrl: providerUrl('https://onlinetest.kisc.kz/identity/1.1.0', { httpsOnly: true }),
  /** The participant's RSA TLS key (.p12 "PKCS#12 SSL" export) and the KISC CA bundle. */
  tls: MutualTlsSpecSchema,
};
export const KiscEndpointSchema = strictObject(KiscEndpointShape);
export type KiscEndpoint = z.infer<typeof KiscEndpointSchema>;
/** The CLI's `--connection FILE`: the endpoint fields; other keys are ignored, so a kiscVerifyIdentity input file works as is. */
export const KiscConnectionFileSchema = z.looseObject(KiscEndpointShape);
