// Every workflow input, checked by its schema alone (no Temporal): strict at every level (a
// misspelled optional key must never be ignored: `fetchPersonalDat: false` once fetched the data it
// meant to skip), the one transport rule for every provider URL, size limits on every string and on
// the whole input, and the keepers' minValidity rules.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { z } from 'zod';
import { flowContracts as flows } from '../../src/flows/contracts.js';
import {
  inputSizeProblem,
  MAX_INPUT_BYTES,
  MAX_PATH_LENGTH,
  MAX_URL_LENGTH,
  MAX_WORKFLOW_ID_BYTES,
  workflowIdProblem,
} from '../../src/contracts/limits.js';
import { KonturSessionKeeperInputSchema, MptTokenKeeperInputSchema } from '../../src/flows/keepers/token-keeper.contract.js';
import { describeInputIssues } from '../../src/contracts/validation.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  element?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  valueType?: z.ZodType;
  getter?: () => z.ZodType;
};
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/**
 * Every schema node reachable from `schema` (through wrappers, pipes, unions, arrays, records, lazy),
 * with its path (`[]` for array elements, `{}` for record values); each schema once.
 */
function schemaNodes(schema: z.ZodType, path = '(input)', seen = new Set<unknown>()): { path: string; def: Def }[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = defOf(schema);
  const inner = (s: z.ZodType | undefined, p = path) => (s ? schemaNodes(s, p, seen) : []);
  const node = { path, def };
  switch (def.type) {
    case 'object':
      return [node, ...Object.entries(def.shape!).flatMap(([k, v]) => inner(v, path === '(input)' ? k : `${path}.${k}`))];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return [node, ...inner(def.innerType)];
    case 'pipe':
      return [node, ...inner(def.in), ...inner(def.out)];
    case 'union':
      return [node, ...def.options!.flatMap((o) => inner(o))];
    case 'array':
      return [node, ...inner(def.element, `${path}[]`)];
    case 'intersection':
      return [node, ...inner(def.left), ...inner(def.right)];
    case 'record':
      return [node, ...inner(def.valueType, `${path}{}`)];
    case 'lazy':
      return [node, ...inner(def.getter!())];
    default:
      return [node];
  }
}

/** Every object schema reachable from `schema`, with its path. */
function objectsOf(schema: z.ZodType): { path: string; def: Def }[] {
  return schemaNodes(schema).filter((n) => n.def.type === 'object');
}

function objectPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => objectPaths(v, [...path, i]));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    return [...(keys.length ? [path] : []), ...keys.flatMap((k) => objectPaths((value as Record<string, unknown>)[k], [...path, k]))];
  }
  return [];
}

function at(value: unknown, path: (string | number)[]): Record<string, unknown> {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value) as Record<string, unknown>;
}

let sandbox: Sandbox;
let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-contracts-'));
  sandbox = await startSandbox({ dir: join(tmp, 'sandbox') });
});
after(async () => {
  await sandbox?.stop();
  await rm(tmp, { recursive: true, force: true });
});

const example = (workflowType: string) => (sandbox.manifest.examples as Record<string, unknown>)[workflowType];

describe('workflow inputs are strict at every level', () => {
  for (const [name, flow] of Object.entries(flows)) {
    it(`${flow.workflowType}: every object in its schema refuses unknown keys`, () => {
      const objects = objectsOf(flow.inputSchema);
      assert.ok(objects.length >= 1, `${name}: found its objects`);
      const loose = objects.filter(
        (o) => defOf(o.def.catchall ?? ({ _zod: { def: { type: 'unknown' } } } as unknown as z.ZodType)).type !== 'never',
      );
      assert.deepEqual(
        loose.map((o) => o.path),
        [],
        `${name}: objects that would ignore unknown keys`,
      );
    });

    it(`${flow.workflowType}: a misspelled key anywhere in the sandbox example is refused, naming the closest known key`, (t) => {
      const input = example(flow.workflowType);
      if (!input) {
        // Only konturSignIn's example depends on gost-engine, which CI installs.
        if (process.env.CI) assert.fail(`sandbox example of ${flow.workflowType} missing`);
        t.skip('no sandbox example (gost-engine missing)');
        return;
      }
      assert.equal(flow.inputSchema.safeParse(input).success, true, 'the example itself is valid');
      const paths = objectPaths(input);
      assert.ok(paths.length >= 1);
      let checked = 0;
      for (const path of paths) {
        for (const key of Object.keys(at(input, path))) {
          if (key.length < 4) continue; // 'ca', 'alg': a one-letter slip there is another short word
          if (key === 'kind') continue; // a union's discriminator: checked below, it says which kinds exist
          const typo = key.slice(0, -1); // fetchPersonalData → fetchPersonalDat
          const mutated = structuredClone(input) as Record<string, unknown>;
          const obj = at(mutated, path);
          obj[typo] = obj[key];
          delete obj[key];
          const r = flow.inputSchema.safeParse(mutated);
          assert.equal(r.success, false, `${[...path, typo].join('.')} was accepted`);
          const where = path.length ? path.join('.') : '(input)';
          const message = describeInputIssues(r.error!);
          assert.ok(
            message.includes(`${where}: unknown key '${typo}' (did you mean '${key}'?)`),
            `${[...path, typo].join('.')}: expected the unknown key and '${key}' to be named, got: ${message}`,
          );
          checked++;
        }
      }
      assert.ok(checked >= 3, `${checked} keys checked`);
    });
  }

  it('the cases from the report: fetchPersonalDat, signer.pasword, maxChalengeAttempts', () => {
    const kisc = { ...(example('kiscVerifyIdentity') as Record<string, unknown>), fetchPersonalDat: false };
    const r1 = flows.kiscVerifyIdentity.inputSchema.safeParse(kisc);
    assert.match(describeInputIssues(r1.error!), /\(input\): unknown key 'fetchPersonalDat' \(did you mean 'fetchPersonalData'\?\)/);
    const mpt = example('mptSignIn') as { signer: Record<string, unknown> };
    const r2 = flows.mptSignIn.inputSchema.safeParse({ ...mpt, signer: { ...mpt.signer, pasword: 'env:X' } });
    assert.match(describeInputIssues(r2.error!), /signer: unknown key 'pasword' \(did you mean 'password'\?\)/);
    const r3 = flows.mptSignIn.inputSchema.safeParse({ ...mpt, maxChalengeAttempts: 1 });
    assert.match(describeInputIssues(r3.error!), /unknown key 'maxChalengeAttempts' \(did you mean 'maxChallengeAttempts'\?\)/);
    const r5 = flows.mptSignIn.inputSchema.safeParse({ ...mpt, signer: { ...mpt.signer, kind: 'pkcs11' } });
    assert.match(describeInputIssues(r5.error!), /signer\.kind: .*'pkcs12'/);
    const r4 = flows.mptSignIn.inputSchema.safeParse({ ...mpt, colour: 'blue' });
    assert.match(describeInputIssues(r4.error!), /unknown key 'colour' \(known keys: baseUrl, signer, /);
  });
});

describe('one transport rule for every provider URL', () => {
  const withUrl = (workflowType: string, baseUrl: string, extra: Record<string, unknown> = {}) => ({
    ...(example(workflowType) as object),
    baseUrl,
    ...extra,
  });
  const problem = (name: keyof typeof flows, value: unknown) => {
    const r = flows[name].inputSchema.safeParse(value);
    return r.success ? undefined : describeInputIssues(r.error);
  };

  it('every flow refuses plain http to a remote host and credentials in the URL', () => {
    for (const [name, flow] of Object.entries(flows) as [keyof typeof flows, (typeof flows)[keyof typeof flows]][]) {
      if (!example(flow.workflowType)) continue;
      const remote = problem(name, withUrl(flow.workflowType, 'http://provider.example.kz:8080/api'));
      assert.match(remote ?? 'accepted', /baseUrl: must be https/, `${flow.workflowType} accepted plain http to a remote host`);
      const creds = problem(name, withUrl(flow.workflowType, 'https://user:hunter2x@provider.example.kz/api'));
      assert.match(creds ?? 'accepted', /baseUrl: must not contain credentials/, flow.workflowType);
      assert.ok(!(creds ?? '').includes('hunter2x'), 'the credential is not echoed');
      assert.equal(
        problem(name, withUrl(flow.workflowType, 'https://provider.example.kz/api')),
        undefined,
        `${flow.workflowType} refused https`,
      );
    }
  });

  it('plain http on loopback is the sandbox case (KISC excepted: mutual TLS only)', () => {
    assert.equal(problem('mptSignIn', withUrl('mptSignIn', 'http://127.0.0.1:9/api')), undefined);
    assert.equal(problem('cipherSign', withUrl('cipherSign', 'http://localhost:9/api/v1')), undefined);
    assert.match(
      problem('kiscVerifyIdentity', withUrl('kiscVerifyIdentity', 'http://127.0.0.1:9/identity')) ?? '',
      /baseUrl: must be https/,
    );
    assert.match(problem('mptSignIn', withUrl('mptSignIn', 'http://127.0.0.1.example.kz/api')) ?? '', /baseUrl: must be https/);
  });

  it('KPSIS on a closed segment: plain http to another host only with allowPlainHttp: true', () => {
    const remote = withUrl('kpsisIssueCertificate', 'http://kpsis.internal:8088');
    assert.match(problem('kpsisIssueCertificate', remote) ?? '', /baseUrl: must be https.*set allowPlainHttp: true/);
    assert.equal(problem('kpsisIssueCertificate', { ...remote, allowPlainHttp: true }), undefined);
    assert.match(problem('kpsisIssueCertificate', { ...remote, allowPlainHttp: false }) ?? '', /allowPlainHttp/);
  });
});

/** Every string schema reachable from `schema`, with its path, and whether it bounds its length. */
function stringsOf(schema: z.ZodType): { path: string; bounded: boolean }[] {
  return schemaNodes(schema)
    .filter((n) => n.def.type === 'string')
    .map(({ path, def }) => ({
      path,
      bounded: ((def as Def & { checks?: { _zod: { def: { check: string } } }[] }).checks ?? []).some(
        (c) => c._zod.def.check === 'max_length' || c._zod.def.check === 'length_equals',
      ),
    }));
}

describe('inputs have size limits', () => {
  const schemas: [string, z.ZodType][] = [
    ...Object.values(flows).map((f) => [f.workflowType, f.inputSchema] as [string, z.ZodType]),
    ['mptTokenKeeper', MptTokenKeeperInputSchema],
    ['konturSessionKeeper', KonturSessionKeeperInputSchema],
  ];
  for (const [name, schema] of schemas)
    it(`${name}: every string field has a maximum length`, () => {
      const strings = stringsOf(schema);
      assert.ok(strings.length >= 2, `${name}: found its strings`);
      assert.deepEqual(
        strings.filter((s) => !s.bounded).map((s) => s.path),
        [],
        `${name}: strings without a maximum length`,
      );
    });

  it('a path, a URL, a reference over their bounds: refused, naming the field and the bound', () => {
    const ex = example('mptSignIn') as { baseUrl: string; signer: { path: string; password: string } };
    const r = flows.mptSignIn.inputSchema.safeParse({
      ...ex,
      baseUrl: `${ex.baseUrl}/${'a'.repeat(MAX_URL_LENGTH)}`,
      signer: { ...ex.signer, path: `/${'p'.repeat(MAX_PATH_LENGTH)}`, password: `file:/${'s'.repeat(MAX_PATH_LENGTH)}` },
    });
    assert.equal(r.success, false);
    const message = describeInputIssues(r.error!);
    assert.match(message, /baseUrl: must be at most 2048 characters/);
    assert.match(message, /signer\.path: must be at most 4096 characters/);
    assert.match(message, /signer\.password: must be at most 4096 characters/);
  });

  it('the serialized input and the workflow id are checked against the server limits, in UTF-8 bytes', () => {
    assert.equal(inputSizeProblem({ a: 'x'.repeat(1000) }, 'mptSignIn'), undefined);
    assert.match(
      inputSizeProblem({ a: 'ж'.repeat(MAX_INPUT_BYTES / 2) }, 'mptSignIn') ?? '',
      /^the mptSignIn input is 131080 bytes as JSON, over the limit of 131072 bytes: inputs name files and secrets by reference/,
    );
    assert.equal(workflowIdProblem('order-17'), undefined);
    assert.equal(workflowIdProblem('x'.repeat(MAX_WORKFLOW_ID_BYTES)), undefined);
    assert.match(workflowIdProblem('x'.repeat(MAX_WORKFLOW_ID_BYTES + 1)) ?? '', /1001 bytes long, over the server's limit of 1000/);
    assert.match(workflowIdProblem('ж'.repeat(501)) ?? '', /1002 bytes long/);
    assert.match(workflowIdProblem('') ?? '', /empty/);
  });
});

describe('keeper options: minValidity must leave a token something to hand out', () => {
  const mpt = () => example('mptSignIn') as Record<string, unknown>;
  it('at or above the lifetime the input states (IS MPT defaultTokenTtlSeconds, Kontur sessionTtlSeconds): refused', () => {
    const r = MptTokenKeeperInputSchema.safeParse({ signIn: { ...mpt(), defaultTokenTtlSeconds: 600 }, keeper: { minValidity: '10m' } });
    assert.equal(r.success, false);
    assert.match(
      describeInputIssues(r.error!),
      /keeper\.minValidity: must be below the token's lifetime \(signIn\.defaultTokenTtlSeconds: 600 s\)/,
    );
    assert.equal(
      MptTokenKeeperInputSchema.safeParse({ signIn: { ...mpt(), defaultTokenTtlSeconds: 600 }, keeper: { minValidity: '9m' } }).success,
      true,
    );
    const kontur = example('konturSignIn') as Record<string, unknown> | undefined;
    if (kontur) {
      const k = KonturSessionKeeperInputSchema.safeParse({ signIn: { ...kontur, sessionTtlSeconds: 60 }, keeper: { minValidity: '1m' } });
      assert.equal(k.success, false);
      assert.match(
        describeInputIssues(k.error!),
        /keeper\.minValidity: must be below the token's lifetime \(signIn\.sessionTtlSeconds: 60 s\)/,
      );
    }
  });

  it('above a day: refused as a unit slip', () => {
    const r = MptTokenKeeperInputSchema.safeParse({ signIn: mpt(), keeper: { minValidity: '30000m' } });
    assert.equal(r.success, false);
    assert.match(describeInputIssues(r.error!), /keeper\.minValidity: must be at most 1d/);
    assert.equal(MptTokenKeeperInputSchema.safeParse({ signIn: mpt(), keeper: { minValidity: '1h' } }).success, true);
  });
});
