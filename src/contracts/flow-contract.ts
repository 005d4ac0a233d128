// The shape every workflow contract has, so the registry (index.ts), the client helpers, the CLI,
// the sandbox examples and the demo can treat flows alike. Pure: workflow-safe.
import type { z } from 'zod';

/** Which provider's service a flow talks to (the TrustflowProvider search attribute). */
export type Provider = 'ismpt' | 'kontur' | 'kisc' | 'cipher' | 'kpsis';

export interface FlowContract<TType extends string = string, TSchema extends z.ZodType = z.ZodType, TResult = unknown, TStep extends string = string> {
  /** The Temporal workflow type (the exported workflow function's name). */
  workflowType: TType;
  provider: Provider;
  /** Validated when a flow starts (client helpers) and again in the workflow's first step. */
  inputSchema: TSchema;
  /** The steps the `status` query and the TrustflowStep search attribute report. */
  steps: readonly TStep[];
  /** Type only (never set): the workflow's result, so helpers can be typed from the contract. */
  readonly result?: TResult;
}

/** Builds a contract, fixing its result type: `defineFlow<MyResult>()({ workflowType, ... })`. */
export function defineFlow<TResult>() {
  return <TType extends string, TSchema extends z.ZodType, TStep extends string>(
    c: Omit<FlowContract<TType, TSchema, TResult, TStep>, 'result'>,
  ): FlowContract<TType, TSchema, TResult, TStep> => c;
}

export type InputOf<C extends FlowContract> = z.input<C['inputSchema']>;
export type ParsedInputOf<C extends FlowContract> = z.output<C['inputSchema']>;
export type ResultOf<C extends FlowContract> = NonNullable<C['result']>;
