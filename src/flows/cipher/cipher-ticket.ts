// What cipherSign and cipherInspectKeyStore share: a ticket that is deleted on every path (success,
// failure, cancellation: the delete runs in a non-cancellable scope), a fresh ticket when the
// service says the old one is gone (400), and waiting for a service that says it is not started
// (503) with backoff, bounded, visible in the `status` query.
import { CancellationScope, log, ParentClosePolicy, patched, sleep, startChild } from '@temporalio/workflow';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { FailureType } from '../../common/errors.js';
import { workflowWaits } from '../../common/policies.js';
import type { FlowTracker } from '../runtime/flow-status.js';
import { rootApplicationFailure } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';
import type { cipherTicketCleanup } from './cipher-ticket-cleanup.workflow.js';

/** Runs that could not delete a ticket hand it to cipherTicketCleanup; runs recorded before that leave it. */
export const TICKET_CLEANUP_PATCH = 'trustflow-cipher-ticket-cleanup';

const { cipherCreateTicket, cipherDeleteTicket } = activities;

export interface TicketPolicy {
  baseUrl: string;
  maxTicketAttempts: number;
  maxServiceWaitSeconds: number;
}

export class TicketRunner<Step extends string> {
  constructor(
    private readonly tracker: FlowTracker<Step>,
    private readonly policy: TicketPolicy,
    private readonly creatingStep: Step,
  ) {}

  /** Runs `fn` with a ticket; on SessionMissing starts again with a new ticket, at most maxTicketAttempts times. */
  async withTicket<T>(fn: (ticket: string, attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.tracker.step(this.creatingStep, attempt);
      const ticket = await this.whenServiceRuns(() => cipherCreateTicket({ baseUrl: this.policy.baseUrl }));
      try {
        return await fn(ticket, attempt);
      } catch (err) {
        if (rootApplicationFailure(err)?.type !== FailureType.SessionMissing || attempt >= this.policy.maxTicketAttempts) throw err;
        log.warn('Cipher ticket is gone; starting again with a new one', { attempt });
      } finally {
        await CancellationScope.nonCancellable(() => this.deleteTicket(ticket));
      }
    }
  }

  /** Retries `fn` while the service answers 503, with backoff, up to maxServiceWaitSeconds. */
  async whenServiceRuns<T>(fn: () => Promise<T>): Promise<T> {
    const started = Date.now(); // workflow time: the SDK makes Date deterministic in workflows
    for (let i = 0; ; i++) {
      try {
        const result = await fn();
        this.tracker.note(undefined);
        return result;
      } catch (err) {
        const failure = rootApplicationFailure(err);
        if (failure?.type !== FailureType.ServiceNotRunning) throw err;
        const waited = (Date.now() - started) / 1000;
        if (waited >= this.policy.maxServiceWaitSeconds) {
          this.tracker.note(undefined);
          throw err;
        }
        this.tracker.note(`Cipher service is not running (${failure.message}); waiting for it since ${new Date(started).toISOString()}`);
        const { firstMs, maxMs } = workflowWaits.cipherServiceDown;
        await sleep(Math.min(firstMs * 2 ** i, maxMs, Math.max(firstMs, (this.policy.maxServiceWaitSeconds - waited) * 1000)));
      }
    }
  }

  private async deleteTicket(ticket: string): Promise<void> {
    try {
      await this.whenServiceRuns(() => cipherDeleteTicket({ baseUrl: this.policy.baseUrl, ticket }));
    } catch (err) {
      // The flow's own outcome stands; the leftover ticket is reported, not hidden, and handed to a
      // cleanup workflow that outlives the flow and the outage.
      const message = rootApplicationFailure(err)?.message ?? String(err);
      if (patched(TICKET_CLEANUP_PATCH)) {
        const workflowId = workflowIds.cipherTicketCleanup(ticket);
        await startChild<typeof cipherTicketCleanup>('cipherTicketCleanup', {
          workflowId,
          args: [{ baseUrl: this.policy.baseUrl, ticket }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
        this.tracker.warn([`ticket ${ticket} could not be deleted yet (${message}); ${workflowId} keeps trying`]);
        log.warn('Cipher ticket not deleted yet; a cleanup workflow keeps trying', { ticket, workflowId, error: message });
        return;
      }
      this.tracker.warn([`ticket ${ticket} could not be deleted: ${message}`]);
      log.error('Cipher ticket could not be deleted', { ticket, error: message });
    }
  }
}
