// cipherInspectKeyStore: ticket → key container → verifier → delete, returning both keys' state and
// certificate summaries (the expiry-watch schedules run it). Never fails on an unusable key: that
// is the answer.
import { proxyActivities } from '@temporalio/workflow';
import type { CipherActivities } from '../activities/cipher.js';
import {
  CIPHER_INSPECT_KEY_STORE,
  CipherInspectKeyStoreInputSchema,
  type CipherInspectKeyStoreInput,
  type CipherInspectKeyStoreResult,
} from '../common/contracts/cipher-sign.js';
import { activityPolicies } from '../common/policies.js';
import { recordKeyState } from './cipher-sign.js';
import { TicketRunner } from './cipher-ticket.js';
import { FlowTracker } from './flow-status.js';
import { validateInput } from './validate-input.js';

const { cipherUploadKeyStore } = proxyActivities<CipherActivities>(activityPolicies.cipherUploadKeyStore);
const { cipherCheckKeyStore } = proxyActivities<CipherActivities>(activityPolicies.cipherCheckKeyStore);

type Step = 'validating' | 'creating_ticket' | 'uploading_key_store' | 'checking_key' | 'done';

export async function cipherInspectKeyStore(rawInput: CipherInspectKeyStoreInput): Promise<CipherInspectKeyStoreResult> {
  const tracker = new FlowTracker<Step>(CIPHER_INSPECT_KEY_STORE, 'cipher', 'validating');
  try {
    const input = validateInput(CipherInspectKeyStoreInputSchema, rawInput, CIPHER_INSPECT_KEY_STORE);
    const runner = new TicketRunner(tracker, input, 'creating_ticket');
    const result = await runner.withTicket(async (ticket) => {
      tracker.step('uploading_key_store');
      await runner.whenServiceRuns(() => cipherUploadKeyStore({ baseUrl: input.baseUrl, ticket, keyStore: input.keyStore }));
      tracker.step('checking_key');
      return runner.whenServiceRuns(() => cipherCheckKeyStore({ baseUrl: input.baseUrl, ticket, password: input.password }));
    });
    recordKeyState(result, tracker);
    tracker.succeeded('done');
    return result;
  } catch (err) {
    tracker.failed(err);
    throw err;
  }
}
