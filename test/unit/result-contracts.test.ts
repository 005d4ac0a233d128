// Every flow's contract publishes its input and its result as JSON Schema (z.toJSONSchema) for
// callers in other languages: nothing in either may be something JSON Schema cannot express, every
// result field says what it is, and no result object refuses fields a later version adds. The real
// results are held to these schemas in each flow's integration test (helpers/result-schema.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { resultObject } from '../../src/contracts/flow-contract.js';
import { flowContracts } from '../../src/flows/contracts.js';
import { SubmitIssuedCertificateResultSchema } from '../../src/flows/kpsis/kpsis-issue-certificate.contract.js';
import { workflowTypesOf } from '../../src/flows/registry.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $defs?: Record<string, JsonSchema>;
}

/** Every object schema in `s`, with its path (`[]` for array items, `{}` for record values). */
function objectsOf(s: JsonSchema, path = '(result)'): { path: string; schema: JsonSchema }[] {
  const here = s.properties ? [{ path, schema: s }] : [];
  const sub = (x: JsonSchema | boolean | undefined, p: string) => (x && typeof x === 'object' ? objectsOf(x, p) : []);
  return [
    ...here,
    ...Object.entries(s.properties ?? {}).flatMap(([k, v]) => sub(v, path === '(result)' ? k : `${path}.${k}`)),
    ...sub(s.additionalProperties, `${path}{}`),
    ...sub(s.items, `${path}[]`),
    ...[...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])].flatMap((x) => sub(x, path)),
    ...Object.entries(s.$defs ?? {}).flatMap(([k, v]) => sub(v, `$defs.${k}`)),
  ];
}

const resultJson = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw' }) as JsonSchema;

/** The results callers receive: every flow's, and the Update's of kpsisIssueCertificate. */
const results: [string, z.ZodType][] = [
  ...workflowTypesOf('flow').map((type): [string, z.ZodType] => [type, flowContracts[type].resultSchema]),
  ['submitIssuedCertificate (Update)', SubmitIssuedCertificateResultSchema],
];

describe('flow contracts as JSON Schema', () => {
  it('every flow contract has a resultSchema, an object schema', () => {
    const types = workflowTypesOf('flow');
    assert.equal(types.length, 7);
    for (const type of types) {
      const c = flowContracts[type];
      assert.ok(c.resultSchema instanceof z.ZodObject, `${type}: resultSchema is a zod object schema`);
      assert.equal(c.workflowType, type);
    }
  });

  for (const type of workflowTypesOf('flow')) {
    it(`${type}: its input and its result convert to JSON Schema, nothing unrepresentable`, () => {
      const c = flowContracts[type];
      const input = z.toJSONSchema(c.inputSchema, { io: 'input', unrepresentable: 'throw' }) as JsonSchema;
      const result = z.toJSONSchema(c.resultSchema, { io: 'output', unrepresentable: 'throw' }) as JsonSchema;
      assert.equal(input.type, 'object');
      assert.equal(result.type, 'object');
      assert.ok(Object.keys(result.properties ?? {}).length > 0, `${type}: the result has fields`);
    });
  }

  for (const [name, schema] of results) {
    it(`${name}: every result field is described, and no result object refuses a field it does not know`, () => {
      const objects = objectsOf(resultJson(schema));
      assert.ok(objects.length > 0);
      const undescribed = objects.flatMap(({ path, schema: o }) =>
        Object.entries(o.properties ?? {})
          .filter(([, field]) => !field.description?.trim())
          .map(([k]) => (path === '(result)' ? k : `${path}.${k}`)),
      );
      assert.deepEqual(undescribed, [], 'fields without a description');
      const closed = objects.filter(({ schema: o }) => o.additionalProperties === false).map(({ path }) => path);
      assert.deepEqual(closed, [], 'objects with additionalProperties: false (build them with resultObject, not .extend)');
    });
  }

  it('a result object: a field it does not know passes (and is dropped) in zod and in its JSON Schema; a missing one fails', () => {
    const o = resultObject({ a: z.string().describe('A') });
    assert.deepEqual(o.parse({ a: 'x', added: 1 }), { a: 'x' });
    assert.equal(o.safeParse({ added: 1 }).success, false);
    const json = resultJson(o);
    assert.equal(json.additionalProperties, true);
    assert.deepEqual((json as { required?: string[] }).required, ['a']);
  });
});
