// credentialsPreflight: `trustflow credentials apply`'s check of an inventory where the credentials
// live (the worker's machine) before anything is created or changed: every file readable, every
// password right, every reference resolvable. Returns the problems; apply refuses when there are any.
import { upsertSearchAttributes } from '@temporalio/workflow';
import {
  CREDENTIALS_PREFLIGHT,
  type CredentialsPreflightInput,
  type CredentialsPreflightResult,
} from './credentials-preflight.contract.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { activities } from '../activity-proxies.js';

const { credentialPreflight } = activities;

export async function credentialsPreflight(input: CredentialsPreflightInput): Promise<CredentialsPreflightResult> {
  upsertSearchAttributes([{ key: searchAttributes.flow, value: CREDENTIALS_PREFLIGHT }]);
  const results = await Promise.all(input.credentials.map((c) => credentialPreflight(c)));
  return {
    problems: results.flatMap((r, i) => (r.problem ? [{ id: input.credentials[i]!.entry.id, problem: r.problem }] : [])),
    certificates: results.map((r, i) => ({ id: input.credentials[i]!.entry.id, count: r.count, notAfter: r.notAfter })),
  };
}
