// What the worker's dispatcher (workflows.ts) runs for a type the registry does not know (e.g.
// `temporal workflow start --type mptSignin`, a typo of mptSignIn). Without it such a workflow's
// *task* fails and is retried forever, and the reason shows only in the worker log. Here the
// workflow itself fails at once, non-retryable, and says what it was asked for, what this worker
// offers and which type was probably meant.
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { closestName } from '../../common/closest-name.js';
import { FailureType } from '../../common/errors.js';
import { workflowTypes } from '../registry.js';

/** The workflow types this worker offers: the registry's, sorted. */
export function offeredWorkflowTypes(): string[] {
  return [...workflowTypes].sort();
}

/** Fails the workflow with UnknownWorkflowType; never reads its arguments. */
export async function unknownWorkflowType(..._args: unknown[]): Promise<never> {
  const { workflowType, taskQueue } = workflowInfo();
  const offered = offeredWorkflowTypes();
  const meant = closestName(workflowType, offered);
  throw ApplicationFailure.create({
    type: FailureType.UnknownWorkflowType,
    nonRetryable: true,
    message:
      `unknown workflow type '${workflowType}'${meant ? ` (did you mean '${meant}'?)` : ''}: ` +
      `the worker on task queue '${taskQueue}' offers ${offered.map((t) => `'${t}'`).join(', ')}`,
  });
}
