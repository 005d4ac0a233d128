// What is applied here and what its watches say: the ids applied (the check schedule's list and the
// running watches), a watch's status, `credentials list` and `credentials ack`. A query or Update is
// sent to a watch only once a worker is known to poll the watch's task queue (checkRunningWorkflow).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  ACKNOWLEDGE_UPDATE,
  CREDENTIAL_STATUS_QUERY,
  CREDENTIAL_WATCH,
  type CredentialStatus,
} from '../../flows/credentials/credential-watch.contract.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { assertEncryptingClient } from '../flows.js';
import { checkRunningWorkflow } from '../running-workflow.js';
import { NoWorkerError, serverOf } from '../worker-check.js';
import { scheduleArgs } from './schedules.js';

/** A credential that is not applied here, or no credentials at all (the inventory itself is fine). */
export class CredentialNotAppliedError extends Error {
  override readonly name = 'CredentialNotAppliedError';
}

/** Ids of the credentials applied so far: the check schedule's list, and any watch still running. */
export async function appliedCredentialIds(client: Client): Promise<Set<string>> {
  const ids = new Set<string>();
  const args = await scheduleArgs(client);
  for (const id of args?.credentialIds ?? []) ids.add(id);
  const prefix = workflowIds.credentialWatch('');
  for await (const wf of client.workflow.list({ query: `WorkflowType = '${CREDENTIAL_WATCH}' AND ExecutionStatus = 'Running'` }))
    if (wf.workflowId.startsWith(prefix)) ids.add(wf.workflowId.slice(prefix.length));
  return ids;
}

/**
 * A query or Update on a watch waits for a worker on the watch's task queue: without one, say so
 * (NoWorkerError naming the queue) instead of hanging. `problem` is checkRunningWorkflow's answer
 * (cached per queue, so listing a thousand watches asks the server once).
 */
function watchWithoutWorker(client: Client, id: string, taskQueue: string, problem: string, consequence: string): NoWorkerError {
  const { namespace, address } = serverOf(client);
  return new NoWorkerError(
    `credential '${id}' is watched on task queue '${taskQueue}' (namespace '${namespace}' at ${address}): ${problem}, so ${consequence}. ` +
      `Start a worker on it (npm run worker with TRUSTFLOW_TASK_QUEUE=${taskQueue})`,
    taskQueue,
    namespace,
    address,
  );
}

/** The status of a credential's running watch, or undefined when it has none. */
export async function runningStatus(client: Client, id: string): Promise<CredentialStatus | undefined> {
  const watch = await checkRunningWorkflow(client, workflowIds.credentialWatch(id));
  if (!watch.running) return undefined;
  if (watch.workerProblem !== undefined)
    throw watchWithoutWorker(client, id, watch.description.taskQueue, watch.workerProblem, 'nothing was read');
  try {
    return await watch.handle.query<CredentialStatus>(CREDENTIAL_STATUS_QUERY);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The status of every applied credential (the watches' `credentialStatus` query), by id. */
export async function listCredentials(client: Client): Promise<CredentialStatus[]> {
  const out: CredentialStatus[] = [];
  for (const id of [...(await appliedCredentialIds(client))].sort()) {
    const s = await runningStatus(client, id);
    if (s) out.push(s);
  }
  return out;
}

/** Silences a credential's alerts until its certificate changes (a `renewed` reopens the ladder). */
export async function acknowledgeCredential(client: Client, id: string, note?: string): Promise<CredentialStatus> {
  assertEncryptingClient(client);
  const watch = await checkRunningWorkflow(client, workflowIds.credentialWatch(id));
  if (!watch.running) throw new CredentialNotAppliedError(`no credential '${id}' is applied (trustflow credentials list)`);
  if (watch.workerProblem !== undefined)
    throw watchWithoutWorker(client, id, watch.description.taskQueue, watch.workerProblem, 'nothing was acknowledged');
  return watch.handle.executeUpdate<CredentialStatus, [{ note?: string }]>(ACKNOWLEDGE_UPDATE, { args: [note ? { note } : {}] });
}
