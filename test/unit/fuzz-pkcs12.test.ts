// Property-based (fast-check) tests of the PKCS#12 readers (src/crypto/keys/pkcs12.ts: openKeyStore,
// openPkcs12) under random bytes and damaged key stores, the generated one and NCA's: each file is
// opened or refused with a KeyStoreError, within a deadline (they run in a worker thread, so a hang
// fails the test instead of freezing it). Mutators and samples: test/helpers/fuzz.ts.
// Seeds are random on every run; on failure fast-check prints the seed and the (shrunk) counterexample.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import forge from 'node-forge';
import { DeadlineWorker, type DeadlineOutcome } from '../helpers/deadline-worker.js';
import { damaged, mutateTree, rsaCert, rsaKey, treeMutation, treeMutationModel, vectors } from '../helpers/fuzz.js';

// The reason of a failure in the report itself: node:test prints messages, not causes.
fc.configureGlobal({ includeErrorInReport: true });

const NCA_PASSWORD = 'Qwerty12';

/** A PKCS#12 of the RSA key written by node-forge: AES-256/PBES2 key bag, MAC over it. */
function forgePkcs12(): Buffer {
  const key = forge.pki.privateKeyFromPem(rsaKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(rsaCert.raw.toString('binary')));
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [cert], NCA_PASSWORD, { algorithm: 'aes256', count: 1024 });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}

interface Pkcs12Outcome extends DeadlineOutcome {
  errorName?: string;
  keyStoreError?: boolean;
  trustflowError?: boolean;
  type?: string;
  message?: string;
}

/**
 * openKeyStore/openPkcs12 in a worker thread: they are synchronous (node-forge), so a key store
 * that makes them loop for minutes would freeze this test. The worker is ended at the deadline and
 * the run fails as a hang.
 */
const PKCS12_WORKER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const loaded = Promise.all([import(workerData.pkcs12), import(workerData.errors)]);
  loaded.then(() => parentPort.postMessage({ ready: true }));
  parentPort.on('message', async (m) => {
    const [{ openKeyStore, openPkcs12 }, { KeyStoreError, TrustflowError }] = await loaded;
    const started = performance.now();
    try {
      (m.fn === 'openPkcs12' ? openPkcs12 : openKeyStore)(m.der, m.password, 'fuzz.p12');
      parentPort.postMessage({ id: m.id, ok: true, ms: performance.now() - started });
    } catch (e) {
      parentPort.postMessage({
        id: m.id, ok: false, ms: performance.now() - started,
        errorName: e && e.constructor && e.constructor.name, keyStoreError: e instanceof KeyStoreError,
        trustflowError: e instanceof TrustflowError, type: e && e.type, message: String(e && e.message),
      });
    }
  });`;

const isolatedPkcs12 = () =>
  new DeadlineWorker<{ fn: 'openKeyStore' | 'openPkcs12'; der: Buffer; password: string }, Pkcs12Outcome>(PKCS12_WORKER, {
    pkcs12: new URL('../../src/crypto/keys/pkcs12.js', import.meta.url).href,
    errors: new URL('../../src/common/errors.js', import.meta.url).href,
  });

describe('PKCS#12 (openKeyStore, openPkcs12) under random and damaged files', () => {
  const isolated = isolatedPkcs12();
  after(() => isolated.stop());
  const open = (fn: 'openKeyStore' | 'openPkcs12', der: Buffer, password: string, deadlineMs: number) =>
    isolated.run({ fn, der, password }, deadlineMs);
  const generated = forgePkcs12();

  /** A refusal must be a KeyStoreError: a damaged file is never an untyped crash, nor a hang. */
  const assertRefusedOrOpened = (o: Pkcs12Outcome, deadlineMs: number) => {
    assert.ok(!o.timedOut, `no answer within ${deadlineMs} ms: the worker would hang`);
    if (!o.ok) assert.ok(o.keyStoreError && o.trustflowError, `threw ${o.errorName}: ${o.message}`);
  };

  it('the samples open (sanity), the generated one and the NCA RK files', async (t) => {
    for (const sample of [generated, ...(vectors(t, 'nca', /\.p12$/) ?? [])]) {
      const o = await open('openKeyStore', sample, NCA_PASSWORD, 10_000);
      assert.equal(o.ok, true, `${o.errorName}: ${o.message}`);
    }
  });

  it('random bytes and byte-level damage (flips, truncation, insertion, length bytes): opened or KeyStoreError, within 3 s', async (t) => {
    const samples = [generated, ...(vectors(t, 'nca', /\.p12$/) ?? [])];
    await fc.assert(
      fc.asyncProperty(damaged(samples), fc.constantFrom('openKeyStore' as const, 'openPkcs12' as const), async (bytes, fn) => {
        assertRefusedOrOpened(await open(fn, bytes, NCA_PASSWORD, 3000), 3000);
      }),
      { numRuns: 300 },
    );
  });

  // Structure-aware damage with every INTEGER kept at two bytes at most (iteration counts ≤ 65535).
  const smallTreeMutation = fc.record({ ...treeMutationModel, bytes: fc.uint8Array({ maxLength: 2 }) });

  it('structure-aware damage (re-encoded BER tree, MacData kept or stripped, small integers): opened or KeyStoreError', {}, async () => {
    const samples = [generated, ...(vectors('optional', 'nca', /\.p12$/) ?? [])];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.array(smallTreeMutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (sample, mutations, stripMac) => {
          assertRefusedOrOpened(await open('openKeyStore', mutateTree(sample, mutations, { stripMac }), NCA_PASSWORD, 3000), 3000);
        },
      ),
      { numRuns: 200, endOnFailure: true },
    );
  });

  // The deadline is above the worst legitimate cost: pkcs12.ts runs up to 1,000,000 iterations (~1 s
  // of forge each) and three widened INTEGERs can each be such a count; a count past the bound would
  // block for minutes (2^31: ~35 min), which is what this catches. 2 s failed in CI on a busy machine.
  it('structure-aware damage with any INTEGER (iteration counts up to 2^63): every file is opened or refused within 10 s', {}, async () => {
    const samples = [generated, ...(vectors('optional', 'nca', /\.p12$/) ?? [])];
    const anyInteger = fc.record({
      ...treeMutationModel,
      op: fc.constant('widen' as const),
      bytes: fc.uint8Array({ minLength: 3, maxLength: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.array(fc.oneof(treeMutation, anyInteger), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (sample, mutations, stripMac) => {
          const o = await open('openKeyStore', mutateTree(sample, mutations, { stripMac }), NCA_PASSWORD, 10_000);
          assert.ok(!o.timedOut, 'no answer within 10 s: the worker would hang');
        },
      ),
      // A failing run costs the whole deadline: no shrinking (the counterexample is printed as found).
      { numRuns: 150, endOnFailure: true },
    );
  });
});
