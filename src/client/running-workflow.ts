// "Is this workflow running, and does a worker poll its task queue?": asked before a query or an
// Update on one workflow (a credential's watch, a token keeper), since either waits for a worker on
// the workflow's own queue and, without one, would wait for ever. What the answer means is the
// caller's to say, in its own words and error types:
//
//   const w = await checkRunningWorkflow(client, workflowId);
//   if (!w.running) …                           // never started (no description) or closed
//   if (w.workerProblem !== undefined) …        // running on w.description.taskQueue, nobody polls it
//   await w.handle.query(…)                     // safe to ask
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { workerPollingProblem } from './worker-check.js';

export type RunningWorkflowCheck =
  | {
      running: false;
      handle: WorkflowHandle;
      /** undefined: no such workflow (never started, or no longer kept); else how it closed. */
      description: WorkflowExecutionDescription | undefined;
    }
  | {
      running: true;
      handle: WorkflowHandle;
      description: WorkflowExecutionDescription;
      /** Why no worker polls description.taskQueue (workerPollingProblem); undefined: one does. */
      workerProblem: string | undefined;
    };

/** Describes `workflowId` and, when it runs, checks that a worker polls its task queue. */
export async function checkRunningWorkflow(client: Client, workflowId: string): Promise<RunningWorkflowCheck> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  });
  if (!description || description.status.name !== 'RUNNING') return { running: false, handle, description };
  return { running: true, handle, description, workerProblem: await workerPollingProblem(client, description.taskQueue) };
}
