// The shape every workflow contract has, so the registry (index.ts), the client helpers, the CLI,
// the sandbox examples and the demo can treat flows alike. Pure: workflow-safe.
import type { z } from 'zod';

/** Which provider's service a flow talks to (the TrustflowProvider search attribute). */
export type Provider = 'ismpt' | 'kontur' | 'kisc' | 'cipher' | 'kpsis';

export interface FlowContract<
  TType extends string = string,
  TSchema extends z.ZodType = z.ZodType,
  TResult = unknown,
  TStep extends string = string,
> {
  /** The Temporal workflow type (the exported workflow function's name). */
  workflowType: TType;
  provider: Provider;
  /** Validated when a flow starts (client helpers) and again in the workflow's first step. */
  inputSchema: TSchema;
  /** The steps the `status` query and the TrustflowStep search attribute report. */
  steps: readonly TStep[];
  /** What starting the flow again with the id of a closed run does (see IdReuse). */
  idReuse: IdReuse;
  /** The result without secrets or personal data, for `trustflow status`. */
  summarize(result: TResult): Record<string, unknown>;
  /** Type only (never set): the workflow's result, so helpers can be typed from the contract. */
  readonly result?: TResult;
}

/**
 * What starting a flow again with the id of a closed run does.
 *  - `new-run`: a new run (ALLOW_DUPLICATE). For flows whose repetition costs nothing: a new token,
 *    a new signature, a new report.
 *  - `recorded-result`: a completed run is final (ALLOW_DUPLICATE_FAILED_ONLY): the same input gets
 *    that run's recorded result, nothing is sent again; another input is refused. A failed run may be
 *    started again; the flow itself then refuses to repeat what the failed run may already have done
 *    (KISC: a billed verification, AlreadyBilled; KPSIS: an artifactsDir that holds a key).
 */
export type IdReuse = 'new-run' | 'recorded-result';

/**
 * The start options that implement each IdReuse rule, for every client in any language (the TS
 * helpers use them, contract/contract.json publishes them). recorded-result: a running run is not
 * joined blindly (FAIL), the caller compares inputs first (client/flows.ts does).
 */
export const START_POLICIES = {
  'new-run': { workflowIdReusePolicy: 'ALLOW_DUPLICATE', workflowIdConflictPolicy: 'USE_EXISTING' },
  'recorded-result': { workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY', workflowIdConflictPolicy: 'FAIL' },
} as const satisfies Record<IdReuse, { workflowIdReusePolicy: string; workflowIdConflictPolicy: string }>;

/** Builds a contract, fixing its result type: `defineFlow<MyResult>()({ workflowType, ... })`. */
export function defineFlow<TResult>() {
  return <TType extends string, TSchema extends z.ZodType, TStep extends string>(
    c: Omit<FlowContract<TType, TSchema, TResult, TStep>, 'result'>,
  ): FlowContract<TType, TSchema, TResult, TStep> => c;
}

export type InputOf<C extends FlowContract> = z.input<C['inputSchema']>;
export type ParsedInputOf<C extends FlowContract> = z.output<C['inputSchema']>;
export type ResultOf<C extends FlowContract> = NonNullable<C['result']>;
