// cipherSign: a CAdES/CMS signature made by Cipher's agent with the user's key container.
//   ticket → data → options → key container → verifier (password, key state, expiry warnings)
//   → start the signature → poll until ready (one heartbeating activity) → fetch → delete the ticket
// The ticket is deleted on every path (cipher-ticket.ts). Waiting for the asynchronous signature is
// a heartbeating activity rather than a workflow timer loop: polling is read-only and frequent, so
// this keeps the history to a few events per signature instead of two per poll, a dead worker is
// noticed within the heartbeat timeout, and cancellation reaches the activity at once.
import { ApplicationFailure, upsertSearchAttributes } from '@temporalio/workflow';
import { type CipherSignInput, type CipherSignResult, cipherSignContract } from './cipher-sign.contract.js';
import { type CipherInspectKeyStoreResult } from './cipher-inspect-key-store.contract.js';
import { FailureType } from '../../common/errors.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { TicketRunner } from './cipher-ticket.js';
import { rootApplicationFailure, runFlow, type FlowTracker } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';

const { cipherUploadData, cipherSetOptions, cipherUploadKeyStore, cipherCheckKeyStore, cipherStartSigning, cipherAwaitSignature } =
  activities;

export async function cipherSign(rawInput: CipherSignInput): Promise<CipherSignResult> {
  return runFlow(cipherSignContract, rawInput, async (input, tracker) => {
    const runner = new TicketRunner(tracker, input, 'creating_ticket');
    const result = await runner.withTicket(async (ticket) => {
      const t = { baseUrl: input.baseUrl, ticket };
      tracker.step('uploading_data');
      await runner.whenServiceRuns(() => cipherUploadData({ ...t, data: input.data, maxDataBytes: input.maxDataBytes }));
      tracker.step('setting_options');
      await runner.whenServiceRuns(() => cipherSetOptions({ ...t, options: input.options }));
      tracker.step('uploading_key_store');
      await runner.whenServiceRuns(() => cipherUploadKeyStore({ ...t, keyStore: input.keyStore }));
      tracker.step('checking_key');
      const keys = await runner.whenServiceRuns(() => cipherCheckKeyStore({ ...t, password: input.password }));
      const signer = requireSigningKey(keys, tracker);

      tracker.step('signing');
      const { started } = await runner.whenServiceRuns(() => cipherStartSigning({ ...t, password: input.password }));
      tracker.step('awaiting_signature');
      let signature;
      try {
        signature = await cipherAwaitSignature({ ...t, maxSigningSeconds: input.maxSigningSeconds, output: input.output });
      } catch (err) {
        // POST ds/creator's answer was lost and the status says nothing was made: a new ticket, not a re-send.
        if (started === 'unknown' && rootApplicationFailure(err)?.type === FailureType.ProviderRejected) {
          throw ApplicationFailure.create({
            type: FailureType.SessionMissing,
            message: 'the signature request may not have reached Cipher; starting again with a new ticket',
            nonRetryable: true,
          });
        }
        throw err;
      }
      return { ...signature, signer, warnings: keys.warnings };
    });
    tracker.succeeded('done');
    return result;
  });
}

/**
 * The verifier's answer for the signing key: unusable → fail with the service's reason; absent →
 * fail saying so; usable with a message → a warning in the result, the status and KeyExpiresInDays.
 */
export function requireSigningKey(keys: CipherInspectKeyStoreResult, tracker: FlowTracker<string>) {
  recordKeyState(keys, tracker);
  const s = keys.signature;
  if (s.state === 'unusable') {
    throw ApplicationFailure.create({
      type: FailureType.KeyNotUsable,
      message: `the signing key cannot be used: ${s.message}`,
      nonRetryable: true,
    });
  }
  if (s.state === 'absent' || !s.certificate) {
    throw ApplicationFailure.create({
      type: FailureType.KeyNotUsable,
      message: 'this key type (a signing key) is absent from the container',
      nonRetryable: true,
    });
  }
  return s.certificate;
}

export function recordKeyState(keys: CipherInspectKeyStoreResult, tracker: FlowTracker<string>): void {
  tracker.warn(keys.warnings);
  const days = keys.signature.certificate?.daysLeft;
  if (typeof days === 'number') upsertSearchAttributes([{ key: searchAttributes.keyExpiresInDays, value: days }]);
}
