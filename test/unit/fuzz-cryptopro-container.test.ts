// Property-based (fast-check) tests of the CryptoPro container reader (src/crypto/keys/cryptopro-
// container.ts: openCryptoProContainer, inspectCryptoProContainer) under random bytes and damaged
// copies of the genuine containers (../shared/vectors/cryptopro): every container is opened or
// refused with a CryptoProContainerError, never another error, within a deadline (the reader runs in
// a worker thread, so a hang fails the test instead of freezing it). A container that opens must
// still give the keys of its expected certificates: damage never yields another key silently.
// Mutators: test/helpers/fuzz.ts. Seeds are random on every run; on failure fast-check prints the
// seed and the (shrunk) counterexample.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { DeadlineWorker, type DeadlineOutcome } from '../helpers/deadline-worker.js';
import fc from 'fast-check';
import { derOf } from '../../src/common/x509-der.js';
import * as der from '../../src/crypto/cms/der.js';
import { Gost28147, GOST28147_PARAM_Z, GOST28147_SBOX_BY_OID, type GostSbox } from '../../src/crypto/gost/gost-28147.js';
import { damaged, mutateTree, treeMutation } from '../helpers/fuzz.js';
import { vectorsOrSkip } from '../helpers/paths.js';

// The reason of a failure in the report itself: node:test prints messages, not causes.
fc.configureGlobal({ includeErrorInReport: true });

const FILE_NAMES = ['header', 'masks', 'primary', 'masks2', 'primary2', 'name'] as const;
type FileName = (typeof FILE_NAMES)[number];
type Files = Partial<Record<FileName, Buffer>>;
const PROBLEMS = new Set([
  'not-a-container',
  'other-format',
  'damaged',
  'wrong-password',
  'password-required',
  'no-such-key',
  'unsupported-key',
]);

interface Sample {
  name: string;
  password: string;
  files: Record<FileName, Buffer>;
  /** The expected certificate (DER) of each key, in the container's order. */
  certificates: Buffer[];
  /** 2000 KDF rounds (a password is set): ~100 ms an open, so fewer runs. */
  slow: boolean;
  /** The S-box its header MAC is under (CryptoPro-A for a 2001 key, TC26-Z for 2012). */
  headerSbox: GostSbox;
}

const SBOX_A = GOST28147_SBOX_BY_OID.get('1.2.643.2.2.31.1')!;
const SBOX_Z = GOST28147_SBOX_BY_OID.get(GOST28147_PARAM_Z)!;
/** The header MAC: GOST 28147 MAC under an all-zero key (so anyone can recompute it). */
const headerMac = (content: Uint8Array, sbox: GostSbox) => new Gost28147(new Uint8Array(32), sbox).mac(new Uint8Array(8), content);

/** Every container of expected.json, with its files and expected certificates. */
function samples(t: TestContext): Sample[] | undefined {
  const dir = vectorsOrSkip(t, 'cryptopro');
  if (!dir) return undefined;
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
    string,
    { password: string; keys: { certificate_file: string }[] }
  >;
  return Object.entries(expected)
    .filter(([name]) => !name.endsWith('.pfx'))
    .map(([name, c]) => {
      const files = Object.fromEntries(FILE_NAMES.map((f) => [f, readFileSync(join(dir, name, `${f}.key`))])) as Record<FileName, Buffer>;
      const [content, mac] = der.elementsOf(files.header);
      return {
        name,
        password: c.password,
        files,
        certificates: c.keys.map((k) => Buffer.from(derOf(readFileSync(join(dir, k.certificate_file), 'latin1')))),
        slow: c.password !== '',
        headerSbox: headerMac(content!, SBOX_A).equals(der.contentOf(mac!)) ? SBOX_A : SBOX_Z,
      };
    });
}

interface Outcome extends DeadlineOutcome {
  errorName?: string;
  containerError?: boolean;
  problem?: string;
  message?: string;
  /** open: per key, whether it belongs to the expected certificate; inspect: undefined. */
  belongs?: boolean[];
  keys?: number;
  /** open: per key, whether the header kept a fingerprint or certificate to check it against. */
  verifiable?: boolean[];
}

/**
 * open/inspect in a worker thread: they are synchronous, so a container that made them loop would
 * freeze this test. The worker is ended at the deadline and the run fails as a hang.
 */
const READER_WORKER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { X509Certificate } = require('node:crypto');
  const loaded = import(workerData.container);
  loaded.then(() => parentPort.postMessage({ ready: true }));
  parentPort.on('message', async (m) => {
    const { openCryptoProContainer, inspectCryptoProContainer, CryptoProContainerError } = await loaded;
    const started = performance.now();
    try {
      if (m.fn === 'inspect') {
        const info = inspectCryptoProContainer(m.files, 'fuzz.000');
        parentPort.postMessage({ id: m.id, ok: true, ms: performance.now() - started, keys: info.keys.length });
      } else {
        const keys = openCryptoProContainer(m.files, m.password, 'fuzz.000');
        parentPort.postMessage({
          id: m.id, ok: true, ms: performance.now() - started, keys: keys.length,
          belongs: keys.map((k, i) => m.certificates[i] !== undefined && k.key.belongsTo(new X509Certificate(m.certificates[i]))),
          verifiable: keys.map((k) => k.info.fingerprint !== undefined || k.info.certificate !== undefined),
        });
      }
    } catch (e) {
      parentPort.postMessage({
        id: m.id, ok: false, ms: performance.now() - started,
        errorName: e && e.constructor && e.constructor.name, containerError: e instanceof CryptoProContainerError,
        problem: e && e.problem, message: String(e && e.message),
      });
    }
  });`;

type ReaderRequest = { fn: 'open' | 'inspect'; files: Files; password: string; certificates: Buffer[] };
const isolatedReader = () =>
  new DeadlineWorker<ReaderRequest, Outcome>(READER_WORKER, {
    container: new URL('../../src/crypto/keys/cryptopro-container.js', import.meta.url).href,
  });

/** What a run changes in a container: a file's bytes replaced, or an optional file left out. Counterexamples show only this. */
type Damage = Partial<Record<FileName, Buffer | 'missing'>>;

/** The container's files with the damage applied. */
function filesOf(sample: Sample, damage: Damage): Files {
  const files: Files = {};
  for (const f of FILE_NAMES) {
    const d = damage[f];
    if (d !== 'missing') files[f] = d ?? sample.files[f];
  }
  return files;
}
const named = (all: Sample[], name: string) => all.find((s) => s.name === name)!;

describe('CryptoPro containers (openCryptoProContainer, inspectCryptoProContainer) under random and damaged files', () => {
  const isolated = isolatedReader();
  after(() => isolated.stop());
  const DEADLINE_MS = 5000;

  /** Opened or refused with a CryptoProContainerError, in time; opened means the expected keys. */
  async function check(sample: Sample, files: Files) {
    for (const fn of ['inspect', 'open'] as const) {
      const o = await isolated.run({ fn, files, password: sample.password, certificates: sample.certificates }, DEADLINE_MS);
      assert.ok(!o.timedOut, `${fn} ${sample.name}: no answer within ${DEADLINE_MS} ms: the reader would hang`);
      if (!o.ok) {
        assert.ok(o.containerError, `${fn} ${sample.name} threw ${o.errorName}: ${o.message}`);
        assert.ok(PROBLEMS.has(o.problem!), `${fn} ${sample.name}: problem ${o.problem}`);
        assert.ok(o.message!.startsWith('fuzz.000'), `${fn} ${sample.name}: the message names the container: ${o.message}`);
        continue;
      }
      // The header MAC guards the key list: damage never adds or loses a key.
      assert.equal(o.keys, sample.certificates.length, `${fn} ${sample.name}: ${o.keys} keys`);
      if (fn === 'open')
        assert.deepEqual(
          o.belongs,
          sample.certificates.map(() => true),
          `${sample.name}: opened to another key`,
        );
    }
  }

  /**
   * For each file: mostly genuine, sometimes damaged by `bytes`, the optional ones sometimes missing.
   * header.key is damaged less often: a damaged header ends every open at once, before the key files.
   */
  function damagedContainer(all: Sample[], bytes: (genuine: Buffer) => fc.Arbitrary<Buffer>) {
    return fc.constantFrom(...all.map((s) => s.name)).chain((container) => {
      const sample = named(all, container);
      const choice = (f: FileName): fc.Arbitrary<Buffer | 'missing' | undefined> =>
        fc.oneof(
          { weight: f === 'header' ? 6 : 3, arbitrary: fc.constant(undefined) },
          { weight: f === 'header' ? 1 : 2, arbitrary: bytes(sample.files[f]) },
          ...(['header', 'masks', 'primary'].includes(f) ? [] : [{ weight: 1, arbitrary: fc.constant('missing' as const) }]),
        );
      return fc
        .record(Object.fromEntries(FILE_NAMES.map((f) => [f, choice(f)])) as Record<FileName, fc.Arbitrary<Buffer | 'missing' | undefined>>)
        .map((r) => Object.fromEntries(Object.entries(r).filter(([, d]) => d !== undefined)) as Damage)
        .filter((damage) => Object.values(damage).some((d) => d !== 'missing'))
        .map((damage) => ({ container, damage }));
    });
  }

  it('the genuine containers open in the worker (sanity), from either copy', async (t) => {
    const all = samples(t);
    if (!all) return;
    for (const s of all) {
      await check(s, s.files);
      await check(s, { header: s.files.header, masks: s.files.masks2, primary: s.files.primary2 });
      const o = await isolated.run({ fn: 'open', files: s.files, password: s.password, certificates: s.certificates }, DEADLINE_MS);
      assert.equal(o.ok, true, `${s.name}: ${o.errorName}: ${o.message}`);
    }
  });

  it('random bytes for every file: refused with a CryptoProContainerError, within 5 s', async (t) => {
    const all = samples(t);
    if (!all) return;
    const randomFile = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 1600 })).map((b) => Buffer.from(b));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...all.map((s) => s.name)),
        fc.record(Object.fromEntries(FILE_NAMES.map((f) => [f, randomFile]))),
        async (container, files) => {
          await check(named(all, container), files as Files);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('password-less containers, files replaced by random bytes or damaged (byte flips, truncation, length bytes, BER tree edits)', async (t) => {
    const all = samples(t)?.filter((s) => !s.slow);
    if (!all) return;
    await fc.assert(
      fc.asyncProperty(
        damagedContainer(all, (genuine) => damaged([genuine], { tree: true })),
        async ({ container, damage }) => check(named(all, container), filesOf(named(all, container), damage)),
      ),
      { numRuns: 800 },
    );
  });

  it('password-protected containers (2000 KDF rounds), files damaged the same ways', async (t) => {
    const all = samples(t)?.filter((s) => s.slow);
    if (!all) return;
    await fc.assert(
      fc.asyncProperty(
        damagedContainer(all, (genuine) => damaged([genuine], { tree: true })),
        async ({ container, damage }) => check(named(all, container), filesOf(named(all, container), damage)),
      ),
      { numRuns: 30 },
    );
  });

  it('structure-aware header edits past the integrity check (the header MAC recomputed): refused or the expected keys', async (t) => {
    // The header MAC is keyed by an all-zero key: anyone can recompute it. These headers reach the
    // parser beyond the MAC, as bit rot cannot but a hand-edited file can.
    const all = samples(t)?.filter((s) => !s.slow);
    if (!all) return;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...all.map((s) => s.name)),
        fc.array(treeMutation, { minLength: 1, maxLength: 3 }),
        fc.nat(9),
        async (container, mutations, otherSbox) => {
          const sample = named(all, container);
          // The MAC under the S-box of the genuine header; one time in ten under the other one.
          const content = mutateTree(der.elementsOf(sample.files.header)[0]!, mutations);
          const sbox = otherSbox === 0 ? (sample.headerSbox === SBOX_A ? SBOX_Z : SBOX_A) : sample.headerSbox;
          const header = der.sequence(content, der.tlv(der.TAG.octetString, headerMac(content, sbox)));
          for (const fn of ['inspect', 'open'] as const) {
            const o = await isolated.run(
              { fn, files: { ...sample.files, header }, password: sample.password, certificates: sample.certificates },
              DEADLINE_MS,
            );
            assert.ok(!o.timedOut, `${fn}: no answer within ${DEADLINE_MS} ms`);
            if (!o.ok) {
              assert.ok(o.containerError, `${fn} ${sample.name} threw ${o.errorName}: ${o.message}`);
              assert.ok(PROBLEMS.has(o.problem!));
            } else if (fn === 'open') {
              // A key the header still names a fingerprint or certificate for is checked against it, so it is the expected one.
              for (const [i, belongs] of (o.belongs ?? []).entries())
                if (o.verifiable![i]) assert.ok(belongs, `${sample.name}: key ${i} opened to another key`);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
