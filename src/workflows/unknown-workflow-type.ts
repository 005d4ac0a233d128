// The workflows module's default export. The SDK runs it for any workflow type that no named export
// of index.ts matches (e.g. `temporal workflow start --type mptSignin`, a typo of mptSignIn). Without
// it such a workflow's *task* fails and is retried forever, and the reason shows only in the worker
// log. Here the workflow itself fails at once, non-retryable, and says what it was asked for, what
// this worker offers and which type was probably meant.
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { closestName } from '../common/closest-name.js';
import { FailureType } from '../common/errors.js';
// The workflows module itself: its named function exports are the types this worker offers. A
// circular import, read only when a workflow runs (both modules are evaluated by then).
import * as workflows from './index.js';

/** The workflow types this worker offers: index.ts's named function exports, sorted; never the default. */
export function offeredWorkflowTypes(): string[] {
  return Object.entries(workflows)
    .filter(([name, fn]) => name !== 'default' && typeof fn === 'function' && fn !== unknownWorkflowType)
    .map(([name]) => name)
    .sort();
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
