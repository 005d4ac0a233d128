// The first step of every workflow: the input against its contract. Invalid input ends the flow
// at once (non-retryable InvalidInput) with what is wrong, before any provider is called.
import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { describeInputIssues } from '../contracts/validation.js';
import { FailureType } from '../common/errors.js';

export function validateInput<S extends z.ZodType>(schema: S, raw: unknown, workflowType: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      message: `invalid ${workflowType} input: ${describeInputIssues(parsed.error)}`,
      nonRetryable: true,
    });
  }
  return parsed.data;
}
