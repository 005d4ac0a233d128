// Property-based (fast-check) tests of every workflow input contract: whatever JSON a client sends,
// the first step of a workflow (validateInput / validateLegacyInput) either returns the parsed input
// or throws the one non-retryable InvalidInput failure, quickly, naming the field and never echoing
// a value. Valid examples are written here (no sandbox: these runs must stay cheap), one per flow;
// a flow added to `flowContracts` without an example fails the first test.
// Seeds are random on every run; on failure fast-check prints the seed and the shrunk counterexample.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/workflow';
import fc from 'fast-check';
import { flowContracts } from '../../src/flows/contracts.js';
import type { FlowType as WorkflowType } from '../../src/flows/registry.js';
import { DurationSchema } from '../../src/contracts/fields.js';
import { validateInput, validateLegacyInput } from '../../src/flows/runtime/validate-input.js';

// The reason of a failure in the report itself: node:test prints messages, not causes.
fc.configureGlobal({ includeErrorInReport: true });

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** Per call: validation is a few zod checks, far below this even on a slow CI machine. */
const MAX_MS = 200;

const TLS = { p12: '/etc/trustflow/kisc/tls.p12', password: 'env:KISC_TLS_PASSWORD', ca: '/etc/trustflow/kisc/ca.pem' };
const CIPHER_URL = 'https://local.cipher.kiev.ua:9090/api/v1';

/** A valid input of every flow, with every optional field set, so that mutations reach every field. */
const EXAMPLES: Record<WorkflowType, Json> = {
  mptSignIn: {
    baseUrl: 'https://ismpt.example.kz/api/v3/true-api',
    signer: {
      kind: 'pkcs12',
      path: '/etc/trustflow/keys/signer.p12',
      password: 'env:SIGNER_PASSWORD',
      gostCms: { signatureAlgorithm: 'signature', signingCertificateV2: true, includeChain: false },
    },
    defaultTokenTtlSeconds: 36000,
    maxChallengeAttempts: 3,
    challengeRejectedCodes: ['auth-key-expired', 'auth-key-not-found'],
  },
  konturSignIn: {
    baseUrl: 'https://api.kontur.ru',
    apiVersion: 'v5.9',
    free: false,
    apiKey: 'env:KONTUR_API_KEY',
    key: {
      kind: 'pem',
      path: '/etc/trustflow/kontur/key.pem',
      certificate: '/etc/trustflow/kontur/cert.pem',
      password: 'file:/run/kontur',
    },
    session: { sid: 'env:KONTUR_SID', refreshToken: 'env:KONTUR_REFRESH_TOKEN' },
    sessionTtlSeconds: 2592000,
    maxChallengeAttempts: 3,
  },
  kiscVerifyIdentity: {
    baseUrl: 'https://onlinetest.kisc.kz/identity/1.1.0',
    tls: TLS,
    signingKey: {
      kind: 'pkcs12',
      path: '/etc/trustflow/kisc/sign.p12',
      password: 'env:KISC_SIGN_PASSWORD',
      alg: 'RS256',
      payloadMode: 'unencoded',
      x5c: false,
    },
    iin: '900101300017',
    vendor: 1,
    photo: 'file:/var/trustflow/photo.jpg',
    maxPhotoBytes: 5242880,
    minSimilarity: 0.8,
    fetchPersonalData: true,
    consentText: 'Я согласен на передачу персональных данных',
    consentBodyFormat: 'json-string',
    personalDataFields: ['last_name', 'first_name', 'mobilephone'],
    mcdb: true,
    onMaintenance: 'wait',
  },
  kiscReconcile: { baseUrl: 'https://onlinetest.kisc.kz/identity/1.1.0', tls: TLS, from: '2024-01-01', to: '2024-01-31' },
  cipherSign: {
    baseUrl: CIPHER_URL,
    keyStore: { file: 'file:/etc/trustflow/cipher/key.dat' },
    password: 'env:CIPHER_PASSWORD',
    maxTicketAttempts: 3,
    maxServiceWaitSeconds: 120,
    data: 'file:/var/trustflow/document.pdf',
    maxDataBytes: 1048576,
    options: {
      caId: 'ca-1',
      signatureType: 'detached',
      cadesType: 'CAdES-X Long',
      embedCertificateType: 'signerCert',
      embedSignatureTs: true,
      embedDataTs: false,
      dataToSignQualifier: 'notSignedBefore',
      duplicateSign: false,
      asicForm: 'NONE',
    },
    output: { file: '/var/trustflow/document.p7s' },
    maxSigningSeconds: 120,
  },
  cipherInspectKeyStore: {
    baseUrl: CIPHER_URL,
    keyStore: { path: '/home/user/Key-6.dat' },
    password: 'env:CIPHER_PASSWORD',
    maxTicketAttempts: 2,
    maxServiceWaitSeconds: 60,
  },
  kpsisIssueCertificate: {
    baseUrl: 'http://kpsis.internal:8088',
    allowPlainHttp: true,
    keyParam: { securityLevel: 128, iterationCount: 10000, usersNum: 3, thresholdNum: 2, passwords: ['env:P1', 'env:P2', 'file:/run/p3'] },
    certReqParam: {
      type: 'service_and_tls',
      certInfo: {
        commonName: '*.example.by',
        organization: 'ООО «Пример»',
        description: 'TLS',
        state: 'Минская',
        locality: 'Минск',
        street: 'ул. Ленина, 1',
        email: 'admin@example.by',
        subjectAltNames: ['api.example.by', 'www.example.by'],
      },
    },
    saveToFile: false,
    artifactsDir: '/var/trustflow/kpsis/request-1',
    reminderEvery: '12h',
    giveUpAfter: '30d',
  },
};

const flows = Object.values(flowContracts).map((flow) => ({ flow, example: EXAMPLES[flow.workflowType] }));

/** Runs the validation, timed: the parsed input, or the failure it threw. Anything but an InvalidInput failure fails the test. */
function run(
  validate: typeof validateInput,
  flow: (typeof flows)[number]['flow'],
  raw: unknown,
): { ok: true; data: unknown } | { ok: false; message: string } {
  const started = performance.now();
  let outcome: { ok: true; data: unknown } | { ok: false; message: string };
  try {
    outcome = { ok: true, data: validate(flow.inputSchema, raw, flow.workflowType) };
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.equal(err.type, 'InvalidInput');
    assert.equal(err.nonRetryable, true);
    assert.ok(err.message.startsWith(`invalid ${flow.workflowType} input: `), err.message);
    assert.ok(err.message.length > `invalid ${flow.workflowType} input: `.length, 'the message says what is wrong');
    outcome = { ok: false, message: err.message };
  }
  const ms = performance.now() - started;
  assert.ok(ms < MAX_MS, `validation took ${ms.toFixed(1)} ms`);
  return outcome;
}

// --- mutations of a valid input ------------------------------------------------------------------

/** Every path below the root: object keys and array indices, containers and leaves. */
function pathsOf(value: Json, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...path, i], ...pathsOf(v, [...path, i])]);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [[...path, k], ...pathsOf(v, [...path, k])]);
  return [];
}
const objectPathsOf = (value: Json): Path[] => [[], ...pathsOf(value)].filter((p) => isObject(at(value, p)));
const isObject = (v: unknown): v is Record<string, Json> => !!v && typeof v === 'object' && !Array.isArray(v);
const at = (value: Json, path: Path): Json | undefined =>
  path.reduce<Json | undefined>((v, k) => (v && typeof v === 'object' ? (v as Record<string | number, Json>)[k] : undefined), value);

/** Strings a hostile or careless client might put anywhere. */
const hostileString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '../../../../etc/passwd',
    '/etc/trustflow/../../../root/.ssh/id_rsa',
    'file:/../../etc/shadow',
    'file:///etc/passwd',
    'env:',
    'env:1BAD',
    'env:PATH;rm -rf /',
    'https://user:hunter2@provider.example.kz/api',
    'https://provider.example.kz:99999/api',
    'http://169.254.169.254/latest/meta-data/',
    'http://127.0.0.1.example.kz/',
    'http://[::1]:8080/',
    'javascript:alert(1)',
    'data:text/plain,hi',
    '*.',
    'v5.9\n',
    '2024-02-30',
    '9999-99-99',
    '１２３４５６７８９０１２',
    'ТЕСТ',
    '\u202eexe.pdf',
    '9'.repeat(400) + 'd',
    '0s',
    'NaN',
  ),
  fc.integer({ min: 1000, max: 100_000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 100, max: 5000 }).map((n) => 'https://provider.example.kz/' + 'я/'.repeat(n)),
);

type Mutation =
  { op: 'delete'; path: Path } | { op: 'replace'; path: Path; value: Json } | { op: 'unknown-key'; path: Path; key: string; value: Json };

function mutationOf(example: Json): fc.Arbitrary<Mutation> {
  const paths = pathsOf(example);
  const objects = objectPathsOf(example);
  return fc.oneof(
    fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...paths) }),
    fc.record({
      op: fc.constant('replace' as const),
      path: fc.constantFrom(...paths),
      value: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
    }),
    fc.record({ op: fc.constant('replace' as const), path: fc.constantFrom(...paths), value: hostileString }),
    fc.record({
      op: fc.constant('unknown-key' as const),
      path: fc.constantFrom(...objects),
      key: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf')),
      value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
    }),
  );
}

/** A deep copy of `input` with the mutation applied; `applied: false` when its path no longer exists. */
function applyMutation(input: Json, m: Mutation): { value: Json; applied: boolean } {
  const copy = structuredClone(input);
  const parentPath = m.op === 'unknown-key' ? m.path : m.path.slice(0, -1);
  const parent = at(copy, parentPath);
  if (!parent || typeof parent !== 'object') return { value: copy, applied: false };
  if (m.op === 'unknown-key') {
    if (!isObject(parent) || Object.hasOwn(parent, m.key)) return { value: copy, applied: false };
    // defineProperty: `__proto__` becomes an own key, as JSON.parse (Temporal's payload converter) makes it.
    Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    return { value: copy, applied: true };
  }
  const key = m.path.at(-1)!;
  if (!Object.hasOwn(parent, key)) return { value: copy, applied: false };
  if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete (parent as Record<string, Json>)[key];
  } else (parent as Record<string | number, Json>)[key] = m.value;
  return { value: copy, applied: true };
}

/** The names by which a failure message can point at the mutated field: the key itself, or its object's path. */
function namesOf(m: Mutation): string[] {
  if (m.op === 'unknown-key') return [`unknown key '${m.key}'`];
  const keys = m.path.filter((k): k is string => typeof k === 'string');
  const names = keys.length ? [keys.at(-1)!] : [];
  // An element of an array is named by its index path (personalDataFields.1) or its array's name.
  const dotted = m.path.map(String).join('.');
  names.push(dotted);
  if (keys.length > 1) names.push(m.path.slice(0, -1).map(String).join('.'));
  if (m.path.length === 1) names.push('(input)'); // a top-level field's value can fail a whole-object rule
  return names;
}

describe('workflow inputs under random and mutated JSON', () => {
  it('every flow contract has a valid example here (a new flow must add one)', () => {
    for (const { flow, example } of flows) {
      assert.ok(example, `no example for ${flow.workflowType}`);
      const r = run(validateInput, flow, example);
      assert.equal(r.ok, true, `${flow.workflowType}: the example is invalid: ${r.ok ? '' : r.message}`);
    }
    assert.deepEqual(Object.keys(EXAMPLES).sort(), Object.keys(flowContracts).sort());
  });

  for (const { flow, example } of flows) {
    describe(flow.workflowType, () => {
      it('any JSON value: parsed, or refused with InvalidInput, in time (strict and legacy rules)', () => {
        fc.assert(
          fc.property(fc.jsonValue(), (raw) => {
            run(validateInput, flow, raw);
            run(validateLegacyInput, flow, raw);
          }),
          { numRuns: 300 },
        );
      });

      it('any JS value (BigInt, Map, Date, typed arrays, null prototypes, sparse arrays): refused with InvalidInput, in time', () => {
        const anything = fc.anything({
          withBigInt: true,
          withMap: true,
          withSet: true,
          withDate: true,
          withTypedArray: true,
          withNullPrototype: true,
          withSparseArray: true,
          withBoxedValues: true,
          withObjectString: true,
        });
        fc.assert(
          fc.property(anything, (raw) => {
            run(validateInput, flow, raw);
          }),
          { numRuns: 200 },
        );
      });

      it('the example with 1-3 mutations: parsed, or refused with InvalidInput naming a mutated field', () => {
        fc.assert(
          fc.property(fc.array(mutationOf(example), { minLength: 1, maxLength: 3 }), (mutations) => {
            let input = example;
            const applied: Mutation[] = [];
            for (const m of mutations) {
              const r = applyMutation(input, m);
              input = r.value;
              if (r.applied) applied.push(m);
            }
            const r = run(validateInput, flow, input);
            const unknownLeft = applied.some((m) => m.op === 'unknown-key' && Object.hasOwn(Object(at(input, m.path)), m.key));
            if (unknownLeft) assert.equal(r.ok, false, 'an unknown key was accepted');
            if (r.ok) return;
            const names = applied.flatMap(namesOf);
            assert.ok(
              names.some((n) => r.message.includes(n)),
              `the message names none of ${JSON.stringify(names)}: ${r.message}`,
            );
          }),
          { numRuns: 800 },
        );
      });

      it('a secret-like value put in any field is never echoed in the failure message', () => {
        const marker = fc.stringMatching(/^[a-z0-9]{12}$/).map((s) => `sekret${s}`);
        const placed = marker.chain((secret) =>
          fc.record({
            secret: fc.constant(secret),
            path: fc.constantFrom(...pathsOf(example)),
            value: fc.constantFrom(
              secret,
              `env:${secret}-`,
              `file:${secret}`,
              `https://user:${secret}@provider.example.kz/api`,
              `http://user:${secret}@127.0.0.1/api`,
              `/${secret}\u0000`,
              `${secret}.example.by `,
            ),
          }),
        );
        fc.assert(
          fc.property(placed, ({ secret, path, value }) => {
            const { value: input } = applyMutation(example, { op: 'replace', path, value });
            const r = run(validateInput, flow, input);
            if (!r.ok) assert.ok(!r.message.toLowerCase().includes(secret), `the value is echoed: ${r.message}`);
          }),
          { numRuns: 200 },
        );
      });

      it('legacy rules (replay of old flows) accept whatever the strict rules accept, unknown keys dropped', () => {
        const objects = objectPathsOf(example);
        const extraKeys = fc.array(
          fc.record({
            path: fc.constantFrom(...objects),
            key: fc.string({ minLength: 1, maxLength: 12 }).map((k) => `x-${k}`),
            value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
          }),
          { maxLength: 4 },
        );
        const valueMutation = mutationOf(example).filter((m) => m.op !== 'unknown-key');
        fc.assert(
          fc.property(fc.option(valueMutation), extraKeys, (mutation, extras) => {
            const base = mutation ? applyMutation(example, mutation).value : example;
            const strict = run(validateInput, flow, base);
            if (!strict.ok) return;
            let withExtras = base;
            for (const e of extras) withExtras = applyMutation(withExtras, { op: 'unknown-key', ...e }).value;
            const legacy = run(validateLegacyInput, flow, withExtras);
            assert.equal(legacy.ok, true, `legacy refused what strict accepts (plus unknown keys): ${legacy.ok ? '' : legacy.message}`);
            assert.deepEqual(legacy.ok && legacy.data, strict.data);
          }),
          { numRuns: 200 },
        );
      });
    });
  }
});

describe('durations (kpsisIssueCertificate reminderEvery, giveUpAfter)', () => {
  const durationText = fc
    .tuple(fc.stringMatching(/^\d{1,30}(\.\d{1,6})?$/), fc.constantFrom('', ' ', '  '), fc.constantFrom('ms', 's', 'm', 'h', 'd'))
    .map(([n, space, unit]) => `${n}${space}${unit}`);

  it('every duration text or number either is refused or parses to a positive safe integer of ms, like the number form', {}, () => {
    fc.assert(
      fc.property(fc.oneof(durationText, fc.double(), fc.integer()), (raw) => {
        const r = DurationSchema.safeParse(raw);
        if (!r.success) return;
        assert.ok(Number.isSafeInteger(r.data) && r.data > 0, `${JSON.stringify(raw)} parsed to ${r.data}`);
      }),
      { numRuns: 300 },
    );
  });
});
