// Shared by every workflow: the `status` query and the search attributes operators filter on.
// Deterministic: uses only workflow APIs.
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  defineQuery,
  metricMeter,
  patched,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { FlowContract, ParsedInputOf } from '../../contracts/flow-contract.js';
import type { FlowStatus } from '../../contracts/status.js';
import { STATUS_QUERY_NAME } from '../../contracts/status.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { FailureType } from '../../common/errors.js';
import { inputSizeProblem } from '../../contracts/limits.js';
import { validateInput, validateLegacyInput } from './validate-input.js';

/** Marks runs started with strict inputs and the transport rule; runs started before replay without them. */
export const STRICT_INPUTS_PATCH = 'trustflow-strict-inputs';
/** Flows started since the worker itself refuses oversized inputs (callers in any language, not only the TS helpers). */
export const INPUT_SIZE_PATCH = 'trustflow-input-size-limit';

export const statusQuery = defineQuery<FlowStatus>(STATUS_QUERY_NAME);

export class FlowTracker<Step extends string> {
  private status: FlowStatus<Step>;

  constructor(contract: { workflowType: string; provider: string }, firstStep: Step) {
    const flow = contract.workflowType;
    this.status = { flow, step: firstStep, outcome: 'running', attempt: 1, updatedAt: new Date().toISOString() };
    setHandler(statusQuery, () => this.status);
    upsertSearchAttributes([
      { key: searchAttributes.flow, value: flow },
      { key: searchAttributes.provider, value: contract.provider },
      { key: searchAttributes.step, value: firstStep },
      { key: searchAttributes.outcome, value: 'running' },
    ]);
  }

  step(step: Step, attempt = this.status.attempt): void {
    this.status = { ...this.status, step, attempt, updatedAt: new Date().toISOString() };
    upsertSearchAttributes([{ key: searchAttributes.step, value: step }]);
  }

  /** Says what the flow waits for (undefined clears it). */
  note(text: string | undefined): void {
    if (this.status.note === text) return;
    const { note: _old, ...rest } = this.status;
    this.status = { ...rest, ...(text ? { note: text } : {}), updatedAt: new Date().toISOString() };
  }

  warn(warnings: string[]): void {
    if (warnings.length === 0) return;
    this.status = { ...this.status, warnings: [...(this.status.warnings ?? []), ...warnings], updatedAt: new Date().toISOString() };
  }

  succeeded(finalStep: Step, outcome: 'succeeded' | 'not_matched' | 'timed_out' = 'succeeded'): void {
    this.status = { ...this.status, step: finalStep, outcome, updatedAt: new Date().toISOString() };
    upsertSearchAttributes([
      { key: searchAttributes.step, value: finalStep },
      { key: searchAttributes.outcome, value: outcome },
    ]);
  }

  failed(err: unknown): void {
    const cause = rootApplicationFailure(err);
    this.status = {
      ...this.status,
      outcome: 'failed',
      error: { type: cause?.type ?? 'Unknown', message: cause?.message ?? (err instanceof Error ? err.message : 'failed') },
      updatedAt: new Date().toISOString(),
    };
    upsertSearchAttributes([{ key: searchAttributes.outcome, value: 'failed' }]);
  }
}

/**
 * The ApplicationFailure behind an activity's or a child workflow's failure, however nested (a
 * keeper's sign-in child that failed in an activity: ChildWorkflowFailure → ActivityFailure →
 * ApplicationFailure), or the failure itself. Undefined for timeouts, cancellations, terminations.
 */
export function rootApplicationFailure(err: unknown): ApplicationFailure | undefined {
  let e = err;
  for (let depth = 0; depth < 8; depth++) {
    if (e instanceof ApplicationFailure) return e;
    if (!(e instanceof ActivityFailure || e instanceof ChildWorkflowFailure)) return undefined;
    e = e.cause;
  }
  return undefined;
}

type StepOf<C extends FlowContract> = C['steps'][number];

/**
 * The frame of every flow: the status query and search attributes (FlowTracker), the input checked
 * against its contract (an invalid one fails at once, InvalidInput), then the flow's body; any
 * failure is recorded in the status and the TrustflowOutcome attribute before it ends the workflow.
 */
export async function runFlow<C extends FlowContract, R>(
  contract: C,
  rawInput: unknown,
  body: (input: ParsedInputOf<C>, tracker: FlowTracker<StepOf<C>>) => Promise<R>,
): Promise<R> {
  // Every contract's steps start with 'validating'.
  const tracker = new FlowTracker<StepOf<C>>(contract, 'validating' as StepOf<C>);
  const started = Date.now();
  const flow = contract.workflowType;
  const m = flowMetrics();
  m.started.add(1, { flow });
  // Workflow metrics are not emitted during replay: a flow is counted once, by the worker that ran it.
  const finished = (outcome: 'succeeded' | 'failed') => {
    m.completed.add(1, { flow, outcome });
    m.duration.record(Date.now() - started, { flow, outcome });
  };
  try {
    // Flows started before inputs became strict (no marker in their history) replay under the old rules.
    const validate = patched(STRICT_INPUTS_PATCH) ? validateInput : validateLegacyInput;
    const tooLarge = patched(INPUT_SIZE_PATCH) ? inputSizeProblem(rawInput, flow) : undefined;
    if (tooLarge) throw ApplicationFailure.create({ type: FailureType.InvalidInput, message: tooLarge, nonRetryable: true });
    const result = await body(validate<C['inputSchema']>(contract.inputSchema, rawInput, contract.workflowType), tracker);
    finished('succeeded');
    return result;
  } catch (err) {
    tracker.failed(err);
    finished('failed');
    throw err;
  }
}

/** trustflow_flows_started/completed and trustflow_flow_duration (ms) on the worker's meter. */
function flowMetrics() {
  return {
    started: metricMeter.createCounter('trustflow_flows_started', 'flows', 'Flows started, by type'),
    completed: metricMeter.createCounter('trustflow_flows_completed', 'flows', 'Flows ended, by type and outcome'),
    duration: metricMeter.createHistogram('trustflow_flow_duration', 'int', 'ms', 'Flow duration, workflow time'),
  };
}
