// mptSignIn end to end: a real Temporal dev server, the real worker code, the IS MPT simulator
// over loopback HTTP, real PKCS#12 files and real CMS verification in the simulator.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import type { Client } from '@temporalio/client';
import { startFlow, executeFlow } from '../../src/client/flows.js';
import type { MptKeyFileSignInInput, MptSignInInput } from '../../src/flows/ismpt/mpt-sign-in.contract.js';
import type { FlowStatus } from '../../src/contracts/status.js';
import { FailureType } from '../../src/common/errors.js';
import { jwtExp } from '../../src/providers/ismpt/token.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { failureOf, startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { assertResultFitsContract } from '../helpers/result-schema.js';
import { findSecrets, storedHistory, visibleMetadata } from '../helpers/history.js';
import { pkcs12Secrets } from '../helpers/keys.js';
import { testDataConverter, testKeyring, testWorkflowBundle } from '../helpers/temporal.js';
import { vectorsOrSkip } from '../helpers/paths.js';
import { openKeyStore } from '../../src/crypto/keys/pkcs12.js';
import { createTrustflowWorker } from '../../src/worker/worker.js';
import { mptSignIn } from '../../src/flows/index.js';

const GOSTKNCA = 'GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12';

const taskQueue = 'mpt-sign-in-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let tmp: string;
let mptUrl: string;
let n = 0;

const input = (user = 'mpt-legacy', extra: Partial<Omit<MptSignInInput, 'signer'>> = {}): MptKeyFileSignInInput => {
  const k = sandbox.manifest.keys[user]!;
  return { baseUrl: mptUrl, signer: { kind: 'pkcs12', path: k.p12, password: k.password as `file:/${string}` }, ...extra };
};
const wfId = (name: string) => `test-mpt-${name}-${++n}`;
const state = () => sandboxAdmin(mptUrl, 'state');

before(async () => {
  t = await startFlowTestEnv(taskQueue);
  ({ client, sandbox, tmp } = t);
  mptUrl = sandbox.manifest.services.ismpt!.baseUrl;
});

after(() => t?.stop());

beforeEach(() => sandboxAdmin(mptUrl, 'reset'));

describe('mptSignIn on a real Temporal server', () => {
  it('signs in with a legacy (3DES) PKCS#12 and returns a token whose expiry comes from the JWT', async () => {
    const workflowId = wfId('happy');
    const result = await executeFlow(client, mptSignIn, { workflowId, input: input(), taskQueue });
    const exp = jwtExp(result.token);
    assert.ok(exp, 'the sandbox token is a JWT with exp');
    assert.equal(result.expiresAt, new Date(exp * 1000).toISOString());
    const hours = (Date.parse(result.expiresAt) - Date.parse(result.obtainedAt)) / 3600_000;
    assert.ok(hours > 9.9 && hours <= 10, `token lifetime ${hours} h`);
    const s = await state();
    assert.equal(s.successfulSignIns, 1);
    assert.equal(s.calls['GET /auth/key'], 1);

    const status = await client.workflow.getHandle(workflowId).query<FlowStatus>('status');
    assert.deepEqual([status.step, status.outcome], ['done', 'succeeded']);
    assertResultFitsContract('mptSignIn', result, ['token', 'expiresAt', 'obtainedAt']);
  });

  it('signs in with an OpenSSL 3 AES-256 PKCS#12', async () => {
    const result = await executeFlow(client, mptSignIn, { workflowId: wfId('aes'), input: input('mpt-aes'), taskQueue });
    assert.ok(jwtExp(result.token));
    assert.equal((await state()).successfulSignIns, 1);
  });

  it('stores no password, key, token, certificate or IIN: inputs and results only as ciphertext', async () => {
    const workflowId = wfId('history');
    const result = await executeFlow(client, mptSignIn, { workflowId, input: input(), taskQueue });
    const k = sandbox.manifest.keys['mpt-legacy']!;
    const password = (await readFile(k.password.slice('file:'.length), 'utf8')).trim();
    const stored = await storedHistory(client, workflowId);
    const hits = findSecrets(stored, [
      ...(await pkcs12Secrets(k.p12, password)),
      { label: 'token', value: result.token },
      { label: 'token signature part', value: result.token.split('.')[2]! },
      { label: 'signer certificate (in the signed CMS)', value: sandbox.pki.users['mpt-legacy']!.certificate.raw },
      { label: 'IIN', value: k.iin },
      { label: 'p12 path (input, encrypted)', value: k.p12 },
      { label: 'stand URL (input, encrypted)', value: mptUrl },
    ]);
    assert.deepEqual(hits, []);
    // Positive control: the payloads are there, encrypted with the test key.
    assert.ok(stored.includes('binary/encrypted') && stored.includes(testKeyring.activeKeyId));
    const visible = await visibleMetadata(client, workflowId);
    assert.ok(!visible.includes(k.iin), 'IIN must not appear in workflow id, search attributes or memo');
  });

  it('stores failure messages and stack traces encrypted too', async () => {
    const workflowId = wfId('failure-history');
    const err = await executeFlow(client, mptSignIn, { workflowId, input: input('mpt-unregistered'), taskQueue }).catch((e: unknown) => e);
    assert.match(failureOf(err).message, /participant-not-registered/, 'the caller still reads the message');
    const hits = findSecrets(await storedHistory(client, workflowId), [
      { label: 'provider code', value: 'participant-not-registered' },
      { label: 'provider message', value: 'Участник не зарегистрирован' },
      { label: 'stack frame', value: 'toApplicationFailure' },
      { label: 'IIN of the unregistered user', value: sandbox.manifest.keys['mpt-unregistered']!.iin },
    ]);
    assert.deepEqual(hits, []);
  });

  it('retries two 503s on GET /auth/key (honouring Retry-After) and then succeeds', async () => {
    await sandboxAdmin(mptUrl, 'faults', { endpoint: 'GET /auth/key', times: 2, action: 'status', status: 503, retryAfterSeconds: 1 });
    const workflowId = wfId('503');
    await executeFlow(client, mptSignIn, { workflowId, input: input(), taskQueue });
    const s = await state();
    assert.equal(s.calls['GET /auth/key'], 3);
    assert.equal(s.successfulSignIns, 1);
  });

  it('fails fast on 403 with the provider message and does not retry', async () => {
    const workflowId = wfId('403');
    const err = await executeFlow(client, mptSignIn, { workflowId, input: input('mpt-unregistered'), taskQueue }).catch((e: unknown) => e);
    const f = failureOf(err);
    assert.equal(f.type, FailureType.ProviderRejected);
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /HTTP 403/);
    assert.match(f.message, /participant-not-registered: Участник не зарегистрирован в ИС МПТ/);
    assert.equal((await state()).calls['POST /auth/simpleSignIn'], 1);
    const status = await client.workflow.getHandle(workflowId).query<FlowStatus>('status');
    assert.equal(status.outcome, 'failed');
    assert.equal(status.error?.type, FailureType.ProviderRejected);
  });

  it('fetches and signs a new challenge when the first one expired before the exchange', async () => {
    // Hold the first exchange for a moment and move the sandbox clock past the challenge TTL meanwhile.
    await sandboxAdmin(mptUrl, 'faults', { endpoint: 'POST /auth/simpleSignIn', action: 'delay', delayMs: 1500 });
    const handle = await startFlow(client, mptSignIn, { workflowId: wfId('expired'), input: input(), taskQueue });
    for (let i = 0; i < 100 && !(await state()).calls['POST /auth/simpleSignIn']; i++) await sleep(50);
    await sandboxAdmin(mptUrl, 'clock', { advanceMs: 10 * 60_000 });
    await handle.result();
    const s = await state();
    assert.equal(s.rejectedSignIns['auth-key-expired'], 1);
    assert.equal(s.calls['GET /auth/key'], 2);
    assert.equal(s.successfulSignIns, 1);
  });

  it('gives up after maxChallengeAttempts rejected challenges', async () => {
    // Every exchange is answered "expired": the stand's code, injected.
    const body = { code: 'auth-key-expired', error_message: 'Срок действия данных для подписи истёк' };
    await sandboxAdmin(mptUrl, 'faults', { endpoint: 'POST /auth/simpleSignIn', times: 5, action: 'status', status: 403, body });
    const err = await executeFlow(client, mptSignIn, {
      workflowId: wfId('exhausted'),
      input: input('mpt-legacy', { maxChallengeAttempts: 2 }),
      taskQueue,
    }).catch((e: unknown) => e);
    assert.equal(failureOf(err).type, FailureType.ChallengeAttemptsExhausted);
    assert.equal((await state()).calls['GET /auth/key'], 2);
  });

  it('fails with a clear non-retryable error naming the reference when the password is wrong', async () => {
    const wrongPasswordFile = join(tmp, 'wrong.password');
    await writeFile(wrongPasswordFile, 'definitely-not-it-4711\n', { mode: 0o600 });
    const err = await executeFlow(client, mptSignIn, {
      workflowId: wfId('wrong-password'),
      input: { ...input(), signer: { ...input().signer, password: `file:${wrongPasswordFile}` } },
      taskQueue,
    }).catch((e: unknown) => e);
    const f = failureOf(err);
    assert.equal(f.type, FailureType.KeyStoreUnreadable);
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /wrong password/);
    assert.ok(f.message.includes(`file:${wrongPasswordFile}`), f.message);
    assert.ok(!f.message.includes('definitely-not-it-4711'));
    assert.equal((await state()).calls['POST /auth/simpleSignIn'], undefined, 'nothing was sent to the stand');
  });

  it('names a missing environment variable without retrying', async () => {
    const err = await executeFlow(client, mptSignIn, {
      workflowId: wfId('missing-env'),
      input: { ...input(), signer: { ...input().signer, password: 'env:TRUSTFLOW_TEST_NOT_SET' } },
      taskQueue,
    }).catch((e: unknown) => e);
    const f = failureOf(err);
    assert.equal(f.type, FailureType.SecretUnavailable);
    assert.match(f.message, /env:TRUSTFLOW_TEST_NOT_SET.*not set/);
  });

  it('rejects an input that carries a password instead of a reference, before any call', async () => {
    const bad = { ...input(), signer: { kind: 'pkcs12', path: sandbox.manifest.keys['mpt-legacy']!.p12, password: 'Qwerty12' } };
    // The client helper refuses to start it...
    await assert.rejects(
      startFlow(client, mptSignIn, { workflowId: wfId('bad-input'), input: bad as MptSignInInput, taskQueue }),
      /signer\.password: must be a secret reference/,
    );
    // ...and a flow started by other means (raw client) fails in its first step.
    const handle = await client.workflow.start('mptSignIn', { taskQueue, workflowId: wfId('bad-input-raw'), args: [bad] });
    const f = failureOf(await handle.result().catch((e: unknown) => e));
    assert.equal(f.type, FailureType.InvalidInput);
    assert.match(f.message, /signer\.password/);
    assert.ok(!f.message.includes('Qwerty12'));
    assert.deepEqual((await state()).calls, {});
  });

  it('fails non-retryably, naming the paths, when the stand answers outside its contract', async () => {
    await sandboxAdmin(mptUrl, 'faults', {
      endpoint: 'GET /auth/key',
      action: 'malformed',
      body: { uuid: 42, secretish: 'value-not-to-echo' },
    });
    const f = failureOf(
      await executeFlow(client, mptSignIn, { workflowId: wfId('contract'), input: input(), taskQueue }).catch((e: unknown) => e),
    );
    assert.equal(f.type, FailureType.ProviderContractViolation);
    assert.match(f.message, /uuid \(invalid_type\)/);
    assert.match(f.message, /data \(invalid_type\)/);
    assert.ok(!f.message.includes('42') && !f.message.includes('value-not-to-echo'));
    assert.equal((await state()).calls['GET /auth/key'], 1);
  });

  it('refuses plain http to a remote stand before anything is sent (helper and raw start)', async () => {
    const remote = { ...input(), baseUrl: 'http://stand.example.kz/api/v3/true-api' };
    await assert.rejects(startFlow(client, mptSignIn, { workflowId: wfId('http-remote'), input: remote, taskQueue }), (e: Error) => {
      assert.equal(e.name, 'InvalidInputError');
      assert.match(e.message, /baseUrl: must be https: plain http is allowed only on loopback/);
      return true;
    });
    const handle = await client.workflow.start('mptSignIn', { taskQueue, workflowId: wfId('http-remote-raw'), args: [remote] });
    const f = failureOf(await handle.result().catch((e: unknown) => e));
    assert.equal(f.type, FailureType.InvalidInput);
    assert.match(f.message, /baseUrl: must be https/);
  });

  it('refuses misspelled keys at every level, naming the closest known key, before any call', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...input(), maxChalengeAttempts: 1 }, /\(input\): unknown key 'maxChalengeAttempts' \(did you mean 'maxChallengeAttempts'\?\)/],
      [
        { ...input(), signer: { kind: 'pkcs12', path: input().signer.path, password: input().signer.password, pasword: 'env:X' } },
        /signer: unknown key 'pasword' \(did you mean 'password'\?\)/,
      ],
    ];
    for (const [bad, message] of cases) {
      await assert.rejects(startFlow(client, mptSignIn, { workflowId: wfId('typo'), input: bad as MptSignInInput, taskQueue }), message);
      const handle = await client.workflow.start('mptSignIn', { taskQueue, workflowId: wfId('typo-raw'), args: [bad] });
      const f = failureOf(await handle.result().catch((e: unknown) => e));
      assert.equal(f.type, FailureType.InvalidInput);
      assert.match(f.message, message);
    }
    assert.deepEqual((await state()).calls, {});
  });

  it('refuses an expired signing certificate with its dates before exchanging anything', async () => {
    const f = failureOf(
      await executeFlow(client, mptSignIn, { workflowId: wfId('expired-cert'), input: input('mpt-expired'), taskQueue }).catch(
        (e: unknown) => e,
      ),
    );
    assert.equal(f.type, FailureType.CertificateNotValid);
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /valid \d{4}-\d\d-\d\dT[\d:]+Z to \d{4}-\d\d-\d\dT[\d:]+Z\) expired 3[45] day\(s\) ago: renew/);
    const s = await state();
    assert.equal(s.calls['POST /auth/simpleSignIn'], undefined, 'the stand never saw the expired certificate');
  });

  it('the client helpers refuse to start without payload encryption (TRUSTFLOW_ALLOW_UNENCRYPTED only on loopback)', async () => {
    const { Client } = await import('@temporalio/client');
    const plain = new Client({ connection: client.connection, namespace: 'default' });
    const workflowId = wfId('unencrypted');
    await assert.rejects(startFlow(plain, mptSignIn, { workflowId, input: input(), taskQueue }), (e: Error) => {
      assert.equal(e.name, 'UnencryptedStartRefusedError');
      assert.match(e.message, /refusing to start a flow without payload encryption.*TRUSTFLOW_CODEC_KEYS/);
      return true;
    });
    await assert.rejects(client.workflow.getHandle(workflowId).describe(), /not found/i, 'nothing was started');
    assert.deepEqual((await state()).calls, {});
  });

  it('joins the running flow when started twice with the same workflow id', async () => {
    const workflowId = wfId('same-id');
    const [a, b] = await Promise.all([
      startFlow(client, mptSignIn, { workflowId, input: input(), taskQueue }),
      startFlow(client, mptSignIn, { workflowId, input: input(), taskQueue }),
    ]);
    assert.equal(a.firstExecutionRunId, b.firstExecutionRunId);
    await a.result();
    assert.equal((await state()).successfulSignIns, 1);
  });
});

// NCA RK's published GOSTKNCA test key: a Kazakh GOST 34.310-2004 key whose certificate (issued by the
// production NCA GOST CA, not published) was valid from 2018-08-23 to 2019-08-23. The flow runs "in
// 2019": the simulator's clock is moved back and the certificate registered with it (as IS MPT
// registers a participant), and a second worker runs with its activities' clock set to the same
// instant. Production checks are untouched: the default worker refuses this certificate as expired.
describe('mptSignIn with a Kazakh GOST key (NCA RK GOSTKNCA test key)', () => {
  const AT = new Date('2019-03-01T06:00:00Z');
  const gostQueue = 'mpt-sign-in-gost-2019';

  async function gostInput(tc: TestContext): Promise<MptKeyFileSignInInput | undefined> {
    const p12 = vectorsOrSkip(tc, 'nca', GOSTKNCA);
    if (!p12) return undefined;
    const passwordFile = join(tmp, 'gostknca.password');
    await writeFile(passwordFile, 'Qwerty12\n', { mode: 0o600 });
    return { baseUrl: mptUrl, signer: { kind: 'pkcs12', path: p12, password: `file:${passwordFile}` as `file:/${string}` } };
  }

  it('signs the challenge with GOST, the simulator verifies the GOST CMS, a token comes back; no key or password in history', async (tc) => {
    const gost = await gostInput(tc);
    if (!gost) return;
    const store = openKeyStore(await readFile(gost.signer.path), 'Qwerty12', gost.signer.path);
    assert.equal(store.key.kind, 'kz-gost');
    const certificate = store.certificates[0]!;
    await sandboxAdmin(mptUrl, 'clock', { advanceMs: AT.getTime() - Date.now() });
    await sandboxAdmin(mptUrl, 'config', { registerCertificate: certificate.toString() });
    const started = Date.now();
    const worker = await createTrustflowWorker({
      connection: t.env.nativeConnection,
      namespace: 'default',
      taskQueue: gostQueue,
      dataConverter: testDataConverter,
      workflowBundle: await testWorkflowBundle(),
      activityDeps: { now: () => new Date(AT.getTime() + (Date.now() - started)) },
    });
    const workflowId = wfId('gost');
    const result = await worker.runUntil(executeFlow(client, mptSignIn, { workflowId, input: gost, taskQueue: gostQueue }));
    const exp = jwtExp(result.token);
    assert.ok(exp && Math.abs(exp * 1000 - (AT.getTime() + 10 * 3600_000)) < 60_000, "the token was issued at the simulator's 2019");
    const s = await state();
    assert.equal(s.successfulSignIns, 1);
    assert.deepEqual(s.rejectedSignIns, {});

    const gostKey = store.key.kind === 'kz-gost' ? store.key.gost : undefined;
    const d = gostKey!.secretScalar().toString(16).padStart(64, '0');
    const hits = findSecrets(await storedHistory(client, workflowId), [
      { label: 'p12 password', value: 'Qwerty12' },
      { label: 'private key d (big-endian)', value: Buffer.from(d, 'hex') },
      { label: 'private key d (little-endian)', value: Buffer.from(d, 'hex').reverse() },
      { label: 'token', value: result.token },
      { label: 'signer certificate', value: certificate.raw },
      { label: 'IIN', value: '123456789011' },
    ]);
    assert.deepEqual(hits, []);
  });

  it("today's worker refuses the expired GOST certificate before IS MPT sees it (the simulator, set to 2019, is never asked)", async (tc) => {
    const gost = await gostInput(tc);
    if (!gost) return;
    const store = openKeyStore(await readFile(gost.signer.path), 'Qwerty12', gost.signer.path);
    await sandboxAdmin(mptUrl, 'clock', { advanceMs: AT.getTime() - Date.now() });
    await sandboxAdmin(mptUrl, 'config', { registerCertificate: store.certificates[0]!.toString() });
    const err = await executeFlow(client, mptSignIn, { workflowId: wfId('gost-today'), input: gost, taskQueue }).catch((e: unknown) => e);
    const failure = failureOf(err);
    assert.equal(failure.type, FailureType.CertificateNotValid);
    assert.match(failure.message, /expired/);
    assert.equal((await state()).calls['POST /auth/simpleSignIn'], undefined);
  });

  it('a wrong password for the GOST key fails at once with the reference named, nothing sent to IS MPT', async (tc) => {
    const gost = await gostInput(tc);
    if (!gost) return;
    const badFile = join(tmp, 'gostknca.wrong');
    await writeFile(badFile, 'not-it\n', { mode: 0o600 });
    const input = { ...gost, signer: { ...gost.signer, password: `file:${badFile}` as `file:/${string}` } };
    const err = await executeFlow(client, mptSignIn, { workflowId: wfId('gost-password'), input, taskQueue }).catch((e: unknown) => e);
    const failure = failureOf(err);
    assert.equal(failure.type, FailureType.KeyStoreUnreadable);
    assert.match(failure.message, /wrong password.*gostknca\.wrong/);
    assert.equal((await state()).calls['POST /auth/simpleSignIn'], undefined);
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
