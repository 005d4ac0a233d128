// credentialsCheck: what the credentials schedule starts every `checks.every` (and what `trustflow
// credentials scan` starts and waits for): asks every credential's watch to check now. The watches
// do the work and keep the state; this run only fans the Update out (through an activity: workflow
// code cannot send Updates) and reports what it found. A duplicated run (the schedule fired twice, a
// backfill) is harmless: each watch checks one at a time and never sends an alert twice.
import { upsertSearchAttributes } from '@temporalio/workflow';
import { CREDENTIALS_CHECK, type CredentialsCheckInput, type CredentialsCheckResult } from './credentials-check.contract.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { activities } from '../activity-proxies.js';

const { credentialsRequestChecks } = activities;

export async function credentialsCheck(input: CredentialsCheckInput): Promise<CredentialsCheckResult> {
  upsertSearchAttributes([{ key: searchAttributes.flow, value: CREDENTIALS_CHECK }]);
  return credentialsRequestChecks({ credentialIds: input.credentialIds ?? [], ...(input.every ? { every: input.every } : {}) });
}
