// A real result held to the schema its contract publishes (resultSchema, z.toJSONSchema of it): the
// flows' integration tests call it on what a caller received from a real run.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { flowJsonSchema } from '../../src/client/contract-files.js';
import { flowContracts } from '../../src/flows/contracts.js';
import type { FlowType } from '../../src/flows/registry.js';
import { strictAjv } from './json-schema.js';

type ResultOfType<T extends FlowType> = z.output<(typeof flowContracts)[T]['resultSchema']>;

/**
 * Asserts that `value` fits `schema` exactly as published:
 *  - it parses: every required field is there, every field has its type and format;
 *  - nothing undescribed: result objects drop unknown keys when parsed (callers tolerate new fields),
 *    so the parse must give `value` back unchanged, at every depth: a field the workflow renamed or
 *    added without its schema fails here, an optional one too;
 *  - the published JSON Schema requires exactly `required` at the top: a field made optional in the
 *    schema (which a renamed field would then pass as) fails here.
 */
export function assertFitsSchema(schema: z.ZodType, value: unknown, required: readonly string[], what = 'the result'): void {
  const parsed = schema.safeParse(value);
  assert.ok(parsed.success, `${what} does not fit its schema: ${parsed.success ? '' : z.prettifyError(parsed.error)}`);
  assert.deepStrictEqual(parsed.data, value, `${what} has fields its schema does not describe (or parsing changed it)`);
  const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw' }) as { required?: string[] };
  assert.deepStrictEqual([...(json.required ?? [])].sort(), [...required].sort(), `the required fields of ${what}'s JSON Schema`);
}

/**
 * A flow's real result against its contract's resultSchema (see assertFitsSchema), and against the
 * JSON Schema published in contract/ (what a Go or Java caller validates with), by a strict validator.
 */
export function assertResultFitsContract<T extends FlowType>(
  type: T,
  result: ResultOfType<T>,
  required: readonly (keyof ResultOfType<T> & string)[],
): void {
  assertFitsSchema(flowContracts[type].resultSchema, result, required, `${type}'s result`);
  const validate = strictAjv().compile(flowJsonSchema(type, 'result'));
  assert.ok(validate(result), `${type}'s result against contract/schemas/${type}.result.schema.json: ${JSON.stringify(validate.errors)}`);
}
