// cipherTicketCleanup: deletes one Cipher ticket that its flow could not delete (the service stayed
// down longer than the flow's maxServiceWaitSeconds). Started by the flow as an abandoned child, so
// the flow ends at once with its own typed failure while this keeps trying: durable timers, 1 s
// doubling to at most 30 s between tries, for up to giveUpAfterSeconds (a day by default), with
// continue-as-new to bound its history. A ticket Cipher says is gone (400) counts as deleted.
import { continueAsNew, sleep, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../../common/errors.js';
import { workflowWaits } from '../../common/policies.js';
import { rootApplicationFailure } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';

const { cipherDeleteTicket } = activities;

export interface CipherTicketCleanupInput {
  baseUrl: string;
  ticket: string;
  giveUpAfterSeconds?: number;
  /** When the first try began (carried over continue-as-new). */
  since?: string;
}

export interface CipherTicketCleanupResult {
  outcome: 'deleted' | 'already_gone' | 'gave_up';
  tries: number;
}

export async function cipherTicketCleanup(input: CipherTicketCleanupInput): Promise<CipherTicketCleanupResult> {
  const since = input.since ? Date.parse(input.since) : Date.now();
  const giveUpAt = since + (input.giveUpAfterSeconds ?? 24 * 3600) * 1000;
  const { firstMs, maxMs } = workflowWaits.cipherServiceDown;
  for (let tries = 1; ; tries++) {
    try {
      await cipherDeleteTicket({ baseUrl: input.baseUrl, ticket: input.ticket });
      return { outcome: 'deleted', tries };
    } catch (err) {
      const type = rootApplicationFailure(err)?.type;
      if (type === FailureType.SessionMissing) return { outcome: 'already_gone', tries };
      if (type !== FailureType.ServiceNotRunning && type !== FailureType.ProviderUnavailable) throw err;
      if (Date.now() >= giveUpAt) return { outcome: 'gave_up', tries };
    }
    await sleep(Math.min(firstMs * 2 ** Math.min(tries - 1, 16), maxMs, Math.max(0, giveUpAt - Date.now())));
    if (workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof cipherTicketCleanup>({ ...input, since: new Date(since).toISOString() });
  }
}
