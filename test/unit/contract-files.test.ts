// The published contract (contract/): the committed files are what the code generates, every schema
// is valid JSON Schema 2020-12 for a strict validator (ajv), the schemas agree with the zod contracts
// on real inputs (the sandbox's examples, and inputs the contracts refuse), and every failure type and
// search attribute is explained. Results are checked against their schemas on real runs in the flows'
// integration tests (test/helpers/result-schema.ts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { contractFiles, contractIndex, flowJsonSchema, flowTypeNamed } from '../../src/client/contract-files.js';
import { FailureType, failureTypeMeanings } from '../../src/common/errors.js';
import { allSearchAttributeKeys, searchAttributeMeanings } from '../../src/common/search-attributes.js';
import { flowContracts } from '../../src/flows/contracts.js';
import { workflowTypesOf } from '../../src/flows/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { strictAjv } from '../helpers/json-schema.js';
import { repoRoot } from '../helpers/paths.js';

const contractDir = join(repoRoot, 'contract');
const flowTypes = workflowTypesOf('flow');

describe('contract/ is what the code generates', () => {
  it('every generated file is committed with the same content, and nothing else is there', () => {
    const files = contractFiles();
    const stale: string[] = [];
    for (const [path, text] of files) {
      let committed: string | undefined;
      try {
        committed = readFileSync(join(contractDir, path), 'utf8');
      } catch {
        committed = undefined;
      }
      if (committed !== text) stale.push(path);
    }
    assert.deepEqual(stale, [], `contract/ is out of date: run \`node bin/trustflow.js schema --write contract\` and commit it`);
    const schemaFiles = readdirSync(join(contractDir, 'schemas')).map((f) => `schemas/${f}`);
    assert.deepEqual(
      schemaFiles.filter((f) => !files.has(f)),
      [],
      'a schema of a flow that no longer exists',
    );
    assert.equal(schemaFiles.length, flowTypes.length * 2, 'an input and a result schema per flow');
  });

  it('contract.json lists every flow with its schemas, start options and steps', () => {
    const index = contractIndex() as { flows: Record<string, { input: string; result: string; start: object; steps: string[] }> };
    assert.deepEqual(Object.keys(index.flows), flowTypes);
    for (const [type, f] of Object.entries(index.flows)) {
      assert.ok(contractFiles().has(f.input) && contractFiles().has(f.result), type);
      assert.deepEqual(f.steps, [...flowContracts[type as keyof typeof flowContracts].steps]);
    }
    assert.deepEqual((index.flows.kiscVerifyIdentity as { start: object }).start, {
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      workflowIdConflictPolicy: 'FAIL',
    });
  });

  it('every failure type and search attribute is explained', () => {
    for (const type of [...Object.values(FailureType), 'InternalError'] as const) {
      assert.ok((failureTypeMeanings[type] ?? '').length > 20, `${type} has no meaning`);
    }
    assert.deepEqual(Object.keys(searchAttributeMeanings).sort(), allSearchAttributeKeys.map((k) => k.name).sort());
    const reliability = readFileSync(join(repoRoot, 'docs', 'reliability.md'), 'utf8');
    const table = reliability.slice(reliability.indexOf('## Failure types'));
    assert.deepEqual(
      Object.keys(failureTypeMeanings).filter((type) => !table.includes(`\`${type}\``)),
      [],
      "docs/reliability.md's failure types table names every type",
    );
  });

  it('flows are found by workflow type or CLI name, nothing else', () => {
    assert.equal(flowTypeNamed('mptSignIn'), 'mptSignIn');
    assert.equal(flowTypeNamed('kisc-verify-identity'), 'kiscVerifyIdentity');
    assert.equal(flowTypeNamed('mptTokenKeeper'), undefined, 'an entity is not a flow callers start');
    assert.equal(flowTypeNamed('toString'), undefined);
  });
});

describe('the JSON Schemas agree with the zod contracts', () => {
  let tmp: string;
  let sandbox: Sandbox;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'trustflow-contract-'));
    sandbox = await startSandbox({ dir: join(tmp, 'sandbox') });
  });
  after(async () => {
    await sandbox.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  for (const type of flowTypes) {
    it(`${type}: both schemas compile in a strict 2020-12 validator`, () => {
      const ajv = strictAjv();
      ajv.compile(flowJsonSchema(type, 'input'));
      ajv.compile(flowJsonSchema(type, 'result'));
    });

    it(`${type}: the sandbox's example input is valid for both; a missing or misspelled field is refused by both`, (t) => {
      const example = (sandbox.manifest.examples as Record<string, unknown>)[type] as Record<string, unknown> | undefined;
      if (!example) {
        // Only konturSignIn's example depends on gost-engine, which CI installs.
        if (process.env.CI) assert.fail(`sandbox example of ${type} missing`);
        console.log(`# SKIP: no sandbox example of ${type} (gost-engine missing)`);
        t.skip('no sandbox example (gost-engine missing)');
        return;
      }
      const validate = strictAjv().compile(flowJsonSchema(type, 'input'));
      const zod = flowContracts[type].inputSchema;
      assert.equal(validate(example), true, JSON.stringify(validate.errors));
      assert.equal(zod.safeParse(example).success, true);

      const required = (flowJsonSchema(type, 'input') as { required?: string[] }).required ?? [];
      assert.ok(required.length > 0, 'some input field is required');
      for (const key of required) {
        const without: Record<string, unknown> = { ...example };
        delete without[key];
        assert.equal(validate(without), false, `${type} without ${key}: the JSON Schema accepted it`);
        assert.equal(zod.safeParse(without).success, false, `${type} without ${key}: zod accepted it`);
      }
      const misspelled = { ...example, [`${required[0]}x`]: example[required[0]!] };
      assert.equal(validate(misspelled), false, 'an unknown key is refused (inputs are strict at every level)');
      assert.equal(zod.safeParse(misspelled).success, false);
    });
  }

  it('a secret in place of its reference, and a malformed IIN, are refused by the JSON Schema as by zod', () => {
    const examples = sandbox.manifest.examples as Record<string, Record<string, unknown>>;
    let secretsChecked = 0;
    for (const type of flowTypes) {
      const example = examples[type];
      if (!example) continue;
      const validate = strictAjv().compile(flowJsonSchema(type, 'input'));
      // Every string that is a secret reference in the example, replaced by what a careless caller sends.
      for (const path of stringPaths(example).filter(
        (p) => /^(?:env:|file:)/.test(String(at(example, p))) && /password|secret|token/i.test(p.join('.')),
      )) {
        const withSecret: Record<string, unknown> = structuredClone(example);
        set(withSecret, path, 'hunter2-the-password-itself');
        assert.equal(validate(withSecret), false, `${type}.${path.join('.')}: the JSON Schema accepted a plain password`);
        assert.equal(flowContracts[type].inputSchema.safeParse(withSecret).success, false, `${type}.${path.join('.')}: zod accepted it`);
        secretsChecked++;
      }
    }
    assert.ok(secretsChecked >= 5, `${secretsChecked} secret references checked`);

    const kisc = examples.kiscVerifyIdentity!;
    const validateKisc = strictAjv().compile(flowJsonSchema('kiscVerifyIdentity', 'input'));
    for (const iin of ['12345678901', '1234567890123', '12345678901a']) {
      assert.equal(validateKisc({ ...kisc, iin }), false, `iin ${iin}`);
      assert.equal(flowContracts.kiscVerifyIdentity.inputSchema.safeParse({ ...kisc, iin }).success, false, `iin ${iin}`);
    }
  });
});

type Path = (string | number)[];
function stringPaths(value: unknown, path: Path = []): Path[] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...path, k]));
  return [];
}
function at(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);
}
function set(value: unknown, path: Path, to: unknown): void {
  (at(value, path.slice(0, -1)) as Record<string | number, unknown>)[path.at(-1)!] = to;
}
