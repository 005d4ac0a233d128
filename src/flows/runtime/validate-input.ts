// The first step of every workflow: the input against its contract. Invalid input ends the flow
// at once (non-retryable InvalidInput) with what is wrong, before any provider is called.
import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { FailureType } from '../../common/errors.js';
import { underLegacyInputRules } from '../../contracts/fields.js';
import { describeInputIssues } from '../../contracts/validation.js';

export function validateInput<S extends z.ZodType>(schema: S, raw: unknown, workflowType: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidInput(workflowType, parsed.error);
  return parsed.data;
}

/**
 * For flows started before inputs became strict and the transport rule existed (their histories
 * have no `trustflow-strict-inputs` marker): they must replay as they ran, so unknown keys are
 * dropped (as the older schemas did) and any http(s) URL without credentials passes. Everything
 * else is checked as always.
 */
export function validateLegacyInput<S extends z.ZodType>(schema: S, raw: unknown, workflowType: string): z.output<S> {
  let input = raw;
  for (let round = 0; ; round++) {
    const parsed = underLegacyInputRules(() => schema.safeParse(input));
    if (parsed.success) return parsed.data;
    const unknown = parsed.error.issues.filter((i) => i.code === 'unrecognized_keys');
    if (unknown.length === 0 || round >= 8) throw invalidInput(workflowType, parsed.error);
    input = withoutKeys(input, unknown);
  }
}

/** A copy of `value` without the keys the issues name at their paths. */
function withoutKeys(value: unknown, issues: { path: PropertyKey[]; keys: string[] }[]): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  for (const issue of issues) {
    const target = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], copy);
    if (target && typeof target === 'object') for (const key of issue.keys) delete (target as Record<string, unknown>)[key];
  }
  return copy;
}

function invalidInput(workflowType: string, error: z.ZodError): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidInput,
    message: `invalid ${workflowType} input: ${describeInputIssues(error)}`,
    nonRetryable: true,
  });
}
