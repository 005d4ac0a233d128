// konturSignIn end to end: a real Temporal dev server, the worker code, the Kontur simulator over
// loopback HTTP, GOST keys decrypted by OpenSSL + gost-engine.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { startFlow, executeFlow } from '../../src/client/flows.js';
import type { KonturSignInInput } from '../../src/flows/kontur/kontur-sign-in.contract.js';
import { FailureType } from '../../src/common/errors.js';
import { runGostOpenssl } from '../../src/crypto/openssl-gost-engine.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { failureOf, startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { assertResultFitsContract } from '../helpers/result-schema.js';
import { findSecrets, storedHistory, visibleMetadata } from '../helpers/history.js';
import { konturSignIn } from '../../src/flows/index.js';
import { vectorsOrSkip } from '../helpers/paths.js';

const pemDer = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----/g, ''), 'base64');

const taskQueue = 'kontur-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let tmp: string;
let url: string;
let n = 0;

const keyOf = (user: string): KonturSignInInput['key'] => {
  const k = sandbox.manifest.konturKeys![user]!;
  return k.format === 'pem'
    ? { kind: 'pem', path: k.key, certificate: k.certificate, password: k.password as `file:/${string}` }
    : { kind: 'pkcs12', path: k.key, password: k.password as `file:/${string}` };
};
const input = (user = 'kontur-256', extra: Partial<KonturSignInInput> = {}): KonturSignInInput => ({
  ...sandbox.manifest.examples.konturSignIn!,
  key: keyOf(user),
  ...extra,
});
const wfId = (name: string) => `test-kontur-${name}-${++n}`;
const state = () => sandboxAdmin(url, 'state');
const sessionWorks = async (sid: string) =>
  (await fetch(`${url}/auth/v5.9/sessions/current`, { headers: { authorization: `auth.sid ${sid}` } })).status === 200;

before(async () => {
  t = await startFlowTestEnv(taskQueue);
  ({ client, sandbox, tmp } = t);
  assert.ok(sandbox.simulators.kontur, 'the Kontur simulator needs OpenSSL + gost-engine (apt-get install libengine-gost-openssl)');
  url = sandbox.manifest.services.kontur!.baseUrl;
});

after(() => t?.stop());

beforeEach(() => sandboxAdmin(url, 'reset'));

describe('konturSignIn on a real Temporal server', () => {
  it('signs in with a GOST 2012-256 key (encrypted PEM, GOST 28147-89 envelope) and the session works', async () => {
    const workflowId = wfId('256');
    const r = await executeFlow(client, konturSignIn, { workflowId, input: input(), taskQueue });
    assert.ok(await sessionWorks(r.sid));
    assert.equal(Date.parse(r.expiresAt) - Date.parse(r.obtainedAt), 30 * 86400_000);
    assertResultFitsContract('konturSignIn', r, ['sid', 'refreshToken', 'expiresAt', 'obtainedAt']);
    const s = await state();
    assert.deepEqual([s.successfulApprovals, s.calls['POST /auth/{version}/authenticate-by-cert']], [1, 1]);

    // Nothing secret in the stored history: sid, refresh token, key password, key bytes, API key.
    const k = sandbox.manifest.konturKeys!['kontur-256']!;
    const password = (await readFile(k.password.slice(5), 'utf8')).trim();
    const keyDer = (await runGostOpenssl(['pkey', '-in', k.key, '-passin', 'env:PW', '-outform', 'DER'], { env: { PW: password } })).stdout;
    const apiKey = (await readFile(sandbox.manifest.examples.konturSignIn!.apiKey!.slice(5), 'utf8')).trim();
    const hits = findSecrets(await storedHistory(client, workflowId), [
      { label: 'sid', value: r.sid },
      { label: 'refresh token', value: r.refreshToken },
      { label: 'key password', value: password },
      { label: 'private key DER', value: keyDer },
      { label: 'private key scalar (last 32 bytes of the DER)', value: keyDer.subarray(keyDer.length - 32) },
      { label: 'API key', value: apiKey },
    ]);
    assert.deepEqual(hits, []);
    assert.ok(!(await visibleMetadata(client, workflowId)).includes('Иванов'));
  });

  it('signs in with a GOST 2012-512 key from a PKCS#12 with GOST PBE, Kuznyechik envelope', async () => {
    await sandboxAdmin(url, 'config', { cipher: 'kuznyechik' });
    const r = await executeFlow(client, konturSignIn, { workflowId: wfId('512'), input: input('kontur-512'), taskQueue });
    assert.ok(await sessionWorks(r.sid));
    assert.equal((await state()).successfulApprovals, 1);
  });

  it('starts again from authenticate-by-cert when the random value expired', async () => {
    await sandboxAdmin(url, 'faults', { endpoint: 'POST /auth/{version}/approve-cert', action: 'delay', delayMs: 1500 });
    const handle = await startFlow(client, konturSignIn, { workflowId: wfId('expired'), input: input(), taskQueue });
    for (let i = 0; i < 200 && !(await state()).calls['POST /auth/{version}/approve-cert']; i++)
      await new Promise((r) => setTimeout(r, 25));
    await sandboxAdmin(url, 'clock', { advanceMs: 11 * 60_000 });
    await handle.result();
    const s = await state();
    assert.equal(s.rejected.RndBytesExpired, 1);
    assert.equal(s.calls['POST /auth/{version}/authenticate-by-cert'], 2);
    assert.equal(s.successfulApprovals, 1);
  });

  it("a different user's key fails fast, before anything is sent to approve-cert", async () => {
    // Another user's (valid, GOST 2012-256) key with kontur-256's certificate.
    const wrong = {
      kind: 'pem' as const,
      path: sandbox.manifest.konturKeys!['kontur-unbound']!.key,
      certificate: sandbox.manifest.konturKeys!['kontur-256']!.certificate,
      password: sandbox.manifest.konturKeys!['kontur-unbound']!.password as `file:/${string}`,
    };
    const f = failureOf(
      await executeFlow(client, konturSignIn, {
        workflowId: wfId('wrong-key'),
        input: input('kontur-256', { key: wrong }),
        taskQueue,
      }).catch((e: unknown) => e),
    );
    assert.equal(f.type, FailureType.KeyStoreUnreadable);
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /private key does not belong to the recipient certificate/);
    assert.equal((await state()).calls['POST /auth/{version}/approve-cert'], undefined);
  });

  it("Kontur's own 403 WrongKey (JSON body) fails without a retry, with what to do", async () => {
    await sandboxAdmin(url, 'faults', {
      endpoint: 'POST /auth/{version}/approve-cert',
      action: 'status',
      status: 403,
      body: { Code: 'WrongKey', Message: 'Wrong key' },
    });
    const f = failureOf(
      await executeFlow(client, konturSignIn, { workflowId: wfId('403-wrongkey'), input: input(), taskQueue }).catch((e: unknown) => e),
    );
    assert.equal(f.type, FailureType.ProviderRejected);
    assert.match(f.message, /HTTP 403 \(WrongKey: the decrypted value did not match/);
    assert.equal((await state()).calls['POST /auth/{version}/authenticate-by-cert'], 1);
  });

  it('explains 403 codes of certificates Kontur does not accept (plain-text bodies)', async () => {
    const cases: [string, RegExp][] = [
      ['kontur-unbound', /UnknownCertificate: the certificate is not bound to a Kontur user/],
      ['kontur-no-key-usage', /CertNotValid: Kontur does not accept this certificate/],
      ['kontur-register-fails', /CertRegisterFail: Kontur could not register the certificate/],
    ];
    for (const [user, expected] of cases) {
      const f = failureOf(
        await executeFlow(client, konturSignIn, { workflowId: wfId(user), input: input(user), taskQueue }).catch((e: unknown) => e),
      );
      assert.equal(f.type, FailureType.ProviderRejected, user);
      assert.match(f.message, expected);
    }
  });

  it('406 for a certificate that expired (sandbox clock +400 days), explained, not retried', async () => {
    await sandboxAdmin(url, 'clock', { advanceMs: 400 * 86400_000 });
    const f = failureOf(
      await executeFlow(client, konturSignIn, { workflowId: wfId('406'), input: input(), taskQueue }).catch((e: unknown) => e),
    );
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /HTTP 406.*certificate chain is not valid.*expired or not yet valid/);
    assert.equal((await state()).calls['POST /auth/{version}/authenticate-by-cert'], 1);
    // free=true skips the check (test stands).
    const r = await executeFlow(client, konturSignIn, {
      workflowId: wfId('406-free'),
      input: input('kontur-256', { free: true }),
      taskQueue,
    });
    assert.ok(r.sid);
  });

  it('retries two 503s on authenticate-by-cert, then succeeds', async () => {
    await sandboxAdmin(url, 'faults', {
      endpoint: 'POST /auth/{version}/authenticate-by-cert',
      times: 2,
      action: 'status',
      status: 503,
      retryAfterSeconds: 1,
    });
    await executeFlow(client, konturSignIn, { workflowId: wfId('503'), input: input(), taskQueue });
    const s = await state();
    assert.equal(s.calls['POST /auth/{version}/authenticate-by-cert'], 3);
    assert.equal(s.successfulApprovals, 1);
  });

  it('never sends the decrypted value to a host other than the configured one', async () => {
    await sandboxAdmin(url, 'faults', {
      endpoint: 'POST /auth/{version}/authenticate-by-cert',
      action: 'malformed',
      body: { EncryptedKey: 'AAAA', Link: { Rel: 'x', Href: 'https://kontur.example.invalid/auth/v5.9/approve-cert?thumbprint=AB' } },
    });
    const f = failureOf(
      await executeFlow(client, konturSignIn, { workflowId: wfId('link'), input: input(), taskQueue }).catch((e: unknown) => e),
    );
    assert.equal(f.nonRetryable, true);
    assert.match(
      f.message,
      /approve link points to https:\/\/kontur\.example\.invalid, not to the configured http:\/\/127\.0\.0\.1:\d+: the decrypted key is not sent there/,
    );
    assert.equal((await state()).calls['POST /auth/{version}/approve-cert'], undefined);
  });

  it('refreshes a session from references, invalidating the old pair; a spent pair falls back to a full sign-in', async () => {
    const first = await executeFlow(client, konturSignIn, { workflowId: wfId('session'), input: input(), taskQueue });
    const write = async (name: string, value: string) => {
      const path = join(tmp, name);
      await writeFile(path, value, { mode: 0o600 });
      return `file:${path}` as `file:/${string}`;
    };
    const session = { sid: await write('sid', first.sid), refreshToken: await write('rt', first.refreshToken) };
    const refreshed = await executeFlow(client, konturSignIn, {
      workflowId: wfId('refresh'),
      input: input('kontur-256', { session }),
      taskQueue,
    });
    assert.notEqual(refreshed.sid, first.sid);
    assert.ok(await sessionWorks(refreshed.sid));
    assert.equal(await sessionWorks(first.sid), false, 'the old sid is invalid after refresh');
    let s = await state();
    assert.deepEqual([s.refreshes, s.successfulApprovals], [1, 1]);

    // The same (now spent) pair again: refresh fails, a full certificate sign-in follows.
    const fallback = await executeFlow(client, konturSignIn, {
      workflowId: wfId('fallback'),
      input: input('kontur-256', { session }),
      taskQueue,
    });
    assert.ok(await sessionWorks(fallback.sid));
    s = await state();
    assert.deepEqual([s.refreshes, s.successfulApprovals, s.rejected.UnknownError], [1, 2, 1]);
  });

  it('rejects an input with an http base URL that is not loopback, before any call', async () => {
    await assert.rejects(
      startFlow(client, konturSignIn, {
        workflowId: wfId('bad'),
        input: input('kontur-256', { baseUrl: 'http://api.kontur.example' }),
        taskQueue,
      }),
      /baseUrl: must be https/,
    );
    assert.deepEqual((await state()).calls, {});
  });

  describe('keys as CryptoPro CSP holds them (genuine containers from ../shared/vectors/cryptopro)', () => {
    const register = async (certificatePem: string) => sandboxAdmin(url, 'config', { registerCertificate: certificatePem });

    it('signs in with the exchange key of a two-key container (2012-256), certificate from the container; no key in the history', async (tt) => {
      const dir = vectorsOrSkip(tt, 'cryptopro');
      if (!dir) return;
      const container = join(dir, 'cryptopro-corefx/containers/G2012256.001');
      const certificate = await readFile(join(dir, 'cryptopro-corefx/expected/G2012256.001.secondary.cert.pem'), 'utf8');
      await register(certificate);
      const workflowId = wfId('container-2012');
      const r = await executeFlow(client, konturSignIn, {
        workflowId,
        input: input('kontur-256', { key: { kind: 'cryptopro', path: container } }),
        taskQueue,
      });
      assert.ok(await sessionWorks(r.sid));
      assert.equal((await state()).successfulApprovals, 1);
      const keyDer = pemDer(await readFile(join(dir, 'cryptopro-corefx/expected/G2012256.001.secondary.key.pem'), 'utf8'));
      const hits = findSecrets(await storedHistory(client, workflowId), [
        { label: 'sid', value: r.sid },
        { label: 'private key DER', value: keyDer },
        { label: 'private key scalar', value: keyDer.subarray(keyDer.length - 32) },
      ]);
      assert.deepEqual(hits, []);
    });

    it('signs in with a GOST R 34.10-2001 container; a password-protected one with a wrong password fails at once, naming the reference', async (tt) => {
      const dir = vectorsOrSkip(tt, 'cryptopro');
      if (!dir) return;
      await register(await readFile(join(dir, 'cryptopro-corefx/expected/G2001256.000.cert.pem'), 'utf8'));
      const key = { kind: 'cryptopro' as const, path: join(dir, 'cryptopro-corefx/containers/G2001256.000') };
      const r = await executeFlow(client, konturSignIn, {
        workflowId: wfId('container-2001'),
        input: input('kontur-256', { key }),
        taskQueue,
      });
      assert.ok(await sessionWorks(r.sid));

      // get-cpcert's containers have a password ("1"); their test-centre certificates expired in 2019, so
      // only the refusal can run as a flow here (the password opens them in test/unit and test/e2e).
      const badPin = join(tmp, 'container-bad-pin');
      await writeFile(badPin, '2', { mode: 0o600 });
      const f = failureOf(
        await executeFlow(client, konturSignIn, {
          workflowId: wfId('container-wrong-pin'),
          input: input('kontur-256', { key: { kind: 'cryptopro', path: join(dir, 'get-cpcert/g2001.000'), password: `file:${badPin}` } }),
          taskQueue,
        }).catch((e: unknown) => e),
      );
      assert.equal(f.type, FailureType.KeyStoreUnreadable);
      assert.equal(f.nonRetryable, true);
      assert.ok(f.message.includes(`wrong password for the container (check the secret behind file:${badPin})`), f.message);
      assert.equal((await state()).calls['POST /auth/{version}/authenticate-by-cert'], 1);
    });

    it('signs in with PFX files CryptoPro CSP exported (kind pkcs12): 2012-256 with a password, 2012-512 without', async (tt) => {
      const dir = vectorsOrSkip(tt, 'cryptopro');
      if (!dir) return;
      const pin = join(tmp, 'pfx-pin');
      await writeFile(pin, '1', { mode: 0o600 });
      const cases: [string, KonturSignInInput['key']][] = [
        ['Cli_2012_256_pw1', { kind: 'pkcs12', path: join(dir, 'cryptopro-corefx/pfx/Cli_2012_256_pw1.pfx'), password: `file:${pin}` }],
        ['dotnet_core_2012_512', { kind: 'pkcs12', path: join(dir, 'cryptopro-corefx/pfx/dotnet_core_2012_512.pfx') }],
      ];
      for (const [name, key] of cases) {
        await register(await readFile(join(dir, `cryptopro-corefx/expected/${name}.pfx.cert.pem`), 'utf8'));
        const r = await executeFlow(client, konturSignIn, {
          workflowId: wfId(`pfx-${name}`),
          input: input('kontur-256', { key }),
          taskQueue,
        });
        assert.ok(await sessionWorks(r.sid), name);
      }
    });

    it('refuses a container of the newer format (ECDSA) and a container without the asked key, before anything is sent', async (tt) => {
      const dir = vectorsOrSkip(tt, 'cryptopro');
      if (!dir) return;
      const cases: [KonturSignInInput['key'], RegExp, string][] = [
        [{ kind: 'cryptopro', path: join(dir, 'cryptopro-corefx/other-formats/pfx-0829.000') }, /newer format/, FailureType.UnsupportedKey],
        [
          { kind: 'cryptopro', path: join(dir, 'cryptopro-corefx/containers/G2001256.000'), keyUsage: 'signature' },
          /holds no signature key/,
          FailureType.KeyStoreUnreadable,
        ],
      ];
      for (const [key, message, type] of cases) {
        const f = failureOf(
          await executeFlow(client, konturSignIn, {
            workflowId: wfId('container-refused'),
            input: input('kontur-256', { key }),
            taskQueue,
          }).catch((e: unknown) => e),
        );
        assert.equal(f.type, type);
        assert.match(f.message, message);
      }
      assert.equal((await state()).calls['POST /auth/{version}/authenticate-by-cert'], undefined);
    });
  });
});
