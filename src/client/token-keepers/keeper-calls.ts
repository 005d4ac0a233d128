// What every call on a keeper shares (get, invalidate, end): it fails instead of waiting for ever
// when no worker runs the keeper (whileKeeperRuns), and its failure is explained in trustflow's
// terms (explained).
import { setMaxListeners } from 'node:events';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { FailureType, TrustflowError } from '../../common/errors.js';
import { clientWaits } from '../../common/policies.js';
import { IN_FLIGHT_LIMIT_ADVICE, isInFlightUpdateLimit, serverRefusal } from '../server-errors.js';
import { NoWorkerError, serverOf, workerPollingProblem } from '../worker-check.js';
import type { KeeperProvider } from './ids.js';

/**
 * A failed keeper call as callers see it: a TrustflowError with the keeper's failure type and reason,
 * or the server's refusal with its reason (ServerRefusedError), or the error as it came.
 */
export function explained(err: unknown, what: string): unknown {
  if (err instanceof TrustflowError) return err;
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as { type?: string; message?: string } | undefined;
    const type = Object.values(FailureType).includes(cause?.type as FailureType) ? (cause!.type as FailureType) : FailureType.InvalidInput;
    return Object.assign(new TrustflowError(cause?.message ?? err.message, type, false), { cause: err });
  }
  if (isInFlightUpdateLimit(err)) return serverRefusal(err, what, IN_FLIGHT_LIMIT_ADVICE);
  return serverRefusal(err, what) ?? err;
}

/**
 * Runs `call` on keeper `workflowId`. When it has not returned after clientWaits.keeperQueueCheck
 * (a held token takes milliseconds, a sign-in seconds), the keeper is described and its own task
 * queue checked, then again now and then: a keeper no worker runs (started on another queue, or its
 * worker gone) fails the call with NoWorkerError naming that queue and how to end the keeper,
 * instead of the call waiting for ever. The pending call is cancelled then.
 */
export async function whileKeeperRuns<T>(client: Client, provider: KeeperProvider, workflowId: string, call: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  setMaxListeners(1000, abort.signal); // one per gRPC call the SDK makes for this call (retries, polls)
  const running = client.withAbortSignal(abort.signal, call);
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const watch = new Promise<never>((_, reject) => {
    const check = async () => {
      try {
        const d = await client.workflow.getHandle(workflowId).describe();
        const problem = d.status.name === 'RUNNING' ? await workerPollingProblem(client, d.taskQueue, 0) : undefined;
        if (problem !== undefined && !settled) {
          const { namespace, address } = serverOf(client);
          abort.abort();
          return reject(
            new NoWorkerError(
              `keeper ${workflowId} runs on task queue '${d.taskQueue}' (namespace '${namespace}' at ${address}), and ${problem}: ` +
                `its callers would wait for ever. Start a worker on '${d.taskQueue}', or end this keeper and ask again: ` +
                `trustflow token end ${provider} --input FILE (endTokenKeeper; it terminates a keeper no worker runs)`,
              d.taskQueue,
              namespace,
              address,
            ),
          );
        }
      } catch {
        // Closed or not started yet: the call itself says what happened.
      }
      if (!settled) timer = setTimeout(() => void check(), clientWaits.keeperQueueCheck.everyMs);
    };
    timer = setTimeout(() => void check(), clientWaits.keeperQueueCheck.firstMs);
  });
  try {
    return await Promise.race([running, watch]);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}
