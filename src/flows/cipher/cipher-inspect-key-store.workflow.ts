// cipherInspectKeyStore: ticket → key container → verifier → delete, returning both keys' state and
// certificate summaries (the expiry-watch schedules run it). Never fails on an unusable key: that
// is the answer.
import {
  type CipherInspectKeyStoreInput,
  type CipherInspectKeyStoreResult,
  cipherInspectKeyStoreContract,
} from './cipher-inspect-key-store.contract.js';
import { recordKeyState } from './cipher-sign.workflow.js';
import { TicketRunner } from './cipher-ticket.js';
import { runFlow } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';

const { cipherUploadKeyStore, cipherCheckKeyStore } = activities;

export async function cipherInspectKeyStore(rawInput: CipherInspectKeyStoreInput): Promise<CipherInspectKeyStoreResult> {
  return runFlow(cipherInspectKeyStoreContract, rawInput, async (input, tracker) => {
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
  });
}
