// The shape every workflow contract has, so the registry (index.ts), the client helpers, the CLI,
// the sandbox examples and the demo can treat flows alike. Pure: workflow-safe.
import { z } from 'zod';

/** Which provider's service a flow talks to (the TrustflowProvider search attribute). */
export type Provider = 'ismpt' | 'kontur' | 'kisc' | 'cipher' | 'kpsis';

export interface FlowContract<
  TType extends string = string,
  TSchema extends z.ZodType = z.ZodType,
  TResultSchema extends z.ZodType = z.ZodType,
  TStep extends string = string,
> {
  /** The Temporal workflow type (the exported workflow function's name). */
  workflowType: TType;
  provider: Provider;
  /** Validated when a flow starts (client helpers) and again in the workflow's first step. */
  inputSchema: TSchema;
  /**
   * The workflow's result, field by field (its objects built with `resultObject`): the TypeScript
   * type of the result and, through `z.toJSONSchema(resultSchema, { io: 'output' })`, the JSON Schema
   * published for callers in other languages. Never parsed by the workflow: it documents what the
   * workflow returns, and the integration tests hold each flow's real results to it.
   */
  resultSchema: TResultSchema;
  /** The steps the `status` query and the TrustflowStep search attribute report. */
  steps: readonly TStep[];
  /** What starting the flow again with the id of a closed run does (see IdReuse). */
  idReuse: IdReuse;
  /** The result without secrets or personal data, for `trustflow status`. */
  summarize(result: z.output<TResultSchema>): Record<string, unknown>;
}

/**
 * An object of a flow's result. Not strict, unlike the input objects (`strictObject`): a result is
 * what trustflow sends, and a later version may add a field to it, so callers must tolerate fields
 * they do not know. A plain `z.object` does (its parse drops them), but its JSON Schema in output
 * mode says `additionalProperties: false`, which would make a caller validating with the published
 * schema refuse the first result with a new field: the schema of a result object says `true`
 * instead. (`z.looseObject` would say so too, but types the result with an index signature, and a
 * misspelled field in a workflow's result would then compile.) `.extend()` loses the setting: build
 * a wider object with `resultObject({ ...Other.shape, more })`.
 */
export function resultObject<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.object(shape).meta({ additionalProperties: true });
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

/**
 * Builds a contract, its types inferred from it: `defineFlow({ workflowType, provider, inputSchema,
 * resultSchema, steps, idReuse, summarize })`; `summarize` gets the result type of `resultSchema`.
 */
export function defineFlow<TType extends string, TSchema extends z.ZodType, TResultSchema extends z.ZodType, TStep extends string>(
  c: FlowContract<TType, TSchema, TResultSchema, TStep>,
): FlowContract<TType, TSchema, TResultSchema, TStep> {
  return c;
}

export type InputOf<C extends FlowContract> = z.input<C['inputSchema']>;
export type ParsedInputOf<C extends FlowContract> = z.output<C['inputSchema']>;
export type ResultOf<C extends FlowContract> = z.output<C['resultSchema']>;
