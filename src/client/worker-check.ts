// Is a worker polling this task queue? Asked of the server (DescribeTaskQueue) before a client helper
// starts or joins a workflow: a caller with a mistyped TRUSTFLOW_TASK_QUEUE, or with no worker running,
// fails within seconds naming the queue, the namespace and the address, and nothing is started;
// without the check its workflow would wait for a worker forever and its caller with it.
//
//   await assertWorkerPolling(client, 'trustflow');   // throws NoWorkerError, or returns
//
// How the server answers (clientWaits.workerPoll in src/common/policies.ts): every worker that polled
// the queue lately, with the time of its last poll. A live worker's stamp may be up to a long poll
// (a minute) old; a stopped worker stays listed for 5 minutes. A positive answer is reused briefly.
import type { Client, Connection } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { FailureType, TrustflowError } from '../common/errors.js';
import { clientWaits } from '../common/policies.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

/** No worker polls a task queue: the caller's queue (nothing was started) or a running keeper's. */
export class NoWorkerError extends TrustflowError {
  override readonly name = 'NoWorkerError';
  constructor(
    message: string,
    readonly taskQueue: string,
    readonly namespace: string,
    readonly address: string,
  ) {
    super(message, FailureType.NoWorker, false);
  }
}

/** Where a client talks to: for messages. */
export function serverOf(client: Client): { namespace: string; address: string } {
  return {
    namespace: client.options.namespace,
    address: (client.connection as Connection).options?.address ?? '(unknown address)',
  };
}

/** Positive answers, per client and queue: when they stop counting. */
const confirmed = new WeakMap<Client, Map<string, number>>();

/**
 * Why no worker polls `taskQueue` (undefined: one does). Asks again for up to `graceMs` first, so
 * a worker that is just starting is found.
 */
export async function workerPollingProblem(
  client: Client,
  taskQueue: string,
  graceMs: number = clientWaits.workerPoll.graceMs,
): Promise<string | undefined> {
  const p = clientWaits.workerPoll;
  const cache = confirmed.get(client) ?? new Map<string, number>();
  confirmed.set(client, cache);
  if ((cache.get(taskQueue) ?? 0) > Date.now()) return undefined;
  const giveUpAt = Date.now() + graceMs;
  for (;;) {
    const r = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const lastPollMs = Math.max(-Infinity, ...(r.pollers ?? []).map((x) => optionalTsToMs(x.lastAccessTime) ?? -Infinity));
    if (Date.now() - lastPollMs <= p.liveWithinMs) {
      cache.set(taskQueue, Date.now() + p.cacheMs);
      return undefined;
    }
    if (Date.now() >= giveUpAt) {
      return Number.isFinite(lastPollMs)
        ? `no worker has polled it for ${Math.round((Date.now() - lastPollMs) / 1000)} s (the last one stopped)`
        : 'no worker polls it';
    }
    await new Promise((r) => setTimeout(r, p.retryEveryMs));
  }
}

/**
 * Throws NoWorkerError, naming the queue, the namespace and the address and what to do, unless a
 * worker polls `taskQueue` (workflow tasks). Call it before starting anything on that queue.
 */
export async function assertWorkerPolling(client: Client, taskQueue: string): Promise<void> {
  const problem = await workerPollingProblem(client, taskQueue);
  if (problem === undefined) return;
  const { namespace, address } = serverOf(client);
  throw new NoWorkerError(
    `task queue '${taskQueue}' in namespace '${namespace}' at ${address}: ${problem}, so nothing was started. ` +
      `Start a worker on it (npm run worker with TRUSTFLOW_TASK_QUEUE=${taskQueue}), or use the queue your workers poll ` +
      '(TRUSTFLOW_TASK_QUEUE, default trustflow; the taskQueue option of the client helpers)',
    taskQueue,
    namespace,
    address,
  );
}
