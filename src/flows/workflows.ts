// The worker's workflowsPath. One dispatcher runs every workflow type: the SDK calls a workflows
// module's default export for any type it has no named export for, and here there are none, so every
// execution comes here and runs its type's function from the registry (registry.ts says why each
// module is loaded only then). A type the registry does not know fails at once
// (UnknownWorkflowType, non-retryable) with the offered types and a "did you mean", instead of a
// workflow task that fails and retries forever.
import { workflowInfo } from '@temporalio/workflow';
import { isWorkflowType, loadWorkflow } from './registry.js';
import { unknownWorkflowType } from './runtime/unknown-workflow-type.js';

export default async function trustflowWorkflow(...args: unknown[]): Promise<unknown> {
  const type = workflowInfo().workflowType;
  if (!isWorkflowType(type)) return unknownWorkflowType(...args);
  const run = (await loadWorkflow(type)) as (...a: unknown[]) => Promise<unknown>;
  return run(...args);
}
