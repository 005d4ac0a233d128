// Mutual TLS from PKCS#12 against the KISC simulator: legacy and AES key stores, the expiry warning
// (and its throttle), the insecure mode's warning, key-store errors, and how TLS failures surface
// through KiscClient (ProviderTlsError, never a retryable network error; a 403 for an unregistered
// participant). The expiry-warning throttle is module-level, keyed by certificate fingerprint: the
// 14-day 'kisc-tls' key is opened first here, by the test that expects its warning.
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  FailureType,
  KeyStoreError,
  ProviderHttpError,
  ProviderNetworkError,
  ProviderTlsError,
  TrustflowError,
} from '../../src/common/errors.js';
import { createLogger } from '../../src/common/logger.js';
import { openPkcs12File } from '../../src/crypto/keys/pkcs12.js';
import { KISC_TLS_ADVICE, KiscClient } from '../../src/providers/kisc/index.js';
import { closeMutualTlsAgents, openMutualTls, type OpenMutualTlsOptions } from '../../src/providers/mutual-tls.js';
import { MutualTlsSpecSchema, type MutualTlsSpec } from '../../src/contracts/mutual-tls-spec.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { resolveSecret } from '../../src/secrets/resolve.js';

const RENEWAL = 'Extend the key on the KISC CA portal (test advice).';

describe('openMutualTls and KISC TLS failures', () => {
  let dir: string;
  let sandbox: Sandbox;
  let baseUrl: string;
  /** Every p12 password of the sandbox: none may appear in an error message. */
  const passwords: string[] = [];
  const extraAgents: Agent[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-mtls-'));
    sandbox = await startSandbox({ dir: join(dir, 'sandbox'), logger: createLogger({ level: 'silent' }) });
    baseUrl = sandbox.manifest.services.kisc!.baseUrl;
    for (const k of Object.values(sandbox.manifest.kisc.tlsKeys)) passwords.push(await resolveSecret(k.password));
    for (const k of Object.values(sandbox.manifest.keys)) passwords.push(await resolveSecret(k.password));
    assert.ok(passwords.every((p) => p.length >= 8));
  });
  after(async () => {
    for (const a of extraAgents) a.destroy();
    closeMutualTlsAgents();
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const collector = () => {
    const warnings: { message: string; attrs?: Record<string, unknown> }[] = [];
    const o: OpenMutualTlsOptions = {
      provider: 'KISC',
      renewalAdvice: RENEWAL,
      warn: (message, attrs) => warnings.push({ message, ...(attrs ? { attrs } : {}) }),
    };
    return { warnings, o };
  };
  const spec = (name: string, extra: Partial<MutualTlsSpec> = {}): MutualTlsSpec => {
    const k = sandbox.manifest.kisc.tlsKeys[name];
    assert.ok(k, name);
    return { p12: k.p12, password: k.password, ca: sandbox.manifest.kisc.ca, ...extra };
  };
  const assertNoPassword = (message: string) => {
    for (const p of passwords) assert.ok(!message.includes(p), `a p12 password appears in: ${message}`);
  };
  const errorOf = async (p: Promise<unknown>): Promise<Error> => {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof Error, String(err));
      assertNoPassword(err.message);
      return err;
    }
    assert.fail('expected a failure');
  };

  it('opens the legacy 3DES PKCS#12 (14-day key), warns that it expires, and reaches GET /vendors', async () => {
    assert.equal(sandbox.manifest.kisc.tlsKeys['kisc-tls']!.encryption, 'legacy-3des');
    const { warnings, o } = collector();
    const identity = await openMutualTls(spec('kisc-tls'), resolveSecret, o);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!.message, /^KISC: the TLS client certificate expires in 1[34] days\. /);
    assert.ok(warnings[0]!.message.endsWith(RENEWAL));
    assert.equal(warnings[0]!.attrs?.validTo, sandbox.manifest.kisc.tlsKeys['kisc-tls']!.validTo);
    assert.equal(identity.clientCertificate.fingerprint256.length, 95);
    assert.ok(identity.clientCertificate.subject.includes('АО ТЕСТ БАНК (TLS)'), identity.clientCertificate.subject);

    const vendors = await new KiscClient({ baseUrl, agent: identity.agent }).vendors();
    assert.deepEqual(
      vendors.map((v) => v.id),
      [1, 2, 3, 4, 5],
    );
    assert.equal(vendors[0]!.name, 'VisionLabs');
  });

  it('throttles the expiry warning: a second open within the hour is silent, one an hour later warns', async () => {
    const first = collector();
    const again = await openMutualTls(spec('kisc-tls'), resolveSecret, first.o);
    assert.deepEqual(first.warnings, []);
    const third = collector();
    await openMutualTls(spec('kisc-tls'), resolveSecret, { ...third.o, now: new Date(Date.now() + 30 * 60_000) });
    assert.deepEqual(third.warnings, [], 'half an hour later: still throttled');
    const later = collector();
    const identity = await openMutualTls(spec('kisc-tls'), resolveSecret, { ...later.o, now: new Date(Date.now() + 3601_000) });
    assert.equal(later.warnings.length, 1);
    assert.match(later.warnings[0]!.message, /expires in 1[34] days/);
    assert.equal(identity.agent, again.agent, 'the same identity comes from the agent cache');
  });

  it('opens the AES PKCS#12, with no expiry warning for a one-year key, and reaches GET /vendors', async () => {
    assert.equal(sandbox.manifest.kisc.tlsKeys['kisc-tls-aes']!.encryption, 'aes-256');
    const { warnings, o } = collector();
    const identity = await openMutualTls(spec('kisc-tls-aes'), resolveSecret, o);
    assert.deepEqual(warnings, []);
    assert.ok(identity.clientCertificate.subject.includes('AES'), identity.clientCertificate.subject);
    const vendors = await new KiscClient({ baseUrl, agent: identity.agent }).vendors();
    assert.equal(vendors.length, 5);
  });

  it('insecureSkipServerVerification warns on every call and connects without a CA', async () => {
    const { warnings, o } = collector();
    const insecure: MutualTlsSpec = {
      p12: spec('kisc-tls-aes').p12,
      password: spec('kisc-tls-aes').password,
      insecureSkipServerVerification: true,
    };
    assert.equal(MutualTlsSpecSchema.safeParse(insecure).success, true);
    await openMutualTls(insecure, resolveSecret, o);
    const identity = await openMutualTls(insecure, resolveSecret, o);
    assert.equal(warnings.length, 2, JSON.stringify(warnings));
    for (const w of warnings) {
      assert.match(w.message, /^!!! KISC: server certificate verification is OFF \(insecureSkipServerVerification\)/);
      assert.match(w.message, /configure tls\.ca with the KISC CA/);
    }
    const vendors = await new KiscClient({ baseUrl, agent: identity.agent }).vendors();
    assert.equal(vendors.length, 5);
  });

  it('an expired client certificate fails before any request: TlsRejected with the renewal advice', async () => {
    const { warnings, o } = collector();
    const err = await errorOf(openMutualTls(spec('kisc-tls-expired'), resolveSecret, o));
    assert.ok(err instanceof TrustflowError, err.name);
    assert.equal(err.type, FailureType.TlsRejected);
    assert.equal(err.retryable, false);
    const validTo = sandbox.manifest.kisc.tlsKeys['kisc-tls-expired']!.validTo;
    assert.ok(Date.parse(validTo) < Date.now());
    assert.equal(
      err.message,
      `${sandbox.manifest.kisc.tlsKeys['kisc-tls-expired']!.p12}: the TLS client certificate expired on ${validTo}. ${RENEWAL}`,
    );
    assert.deepEqual(warnings, []);
  });

  it('a wrong password gives a KeyStoreError that names the password reference', async () => {
    const wrongRef = `file:${join(dir, 'wrong.password')}`;
    await writeFile(join(dir, 'wrong.password'), 'definitely-not-it-42\n', { mode: 0o600 });
    const err = await errorOf(
      openMutualTls(spec('kisc-tls-aes', { password: wrongRef as MutualTlsSpec['password'] }), resolveSecret, collector().o),
    );
    assert.ok(err instanceof KeyStoreError, err.name);
    assert.equal(err.type, FailureType.KeyStoreUnreadable);
    assert.ok(err.message.includes(wrongRef), err.message);
    assert.ok(err.message.startsWith(spec('kisc-tls-aes').p12 + ': wrong password'), err.message);
    assert.ok(!err.message.includes('definitely-not-it-42'), err.message);

    const legacy = await errorOf(
      openMutualTls(spec('kisc-tls', { password: wrongRef as MutualTlsSpec['password'] }), resolveSecret, collector().o),
    );
    assert.ok(legacy instanceof KeyStoreError, legacy.name);
    assert.match(legacy.message, /wrong password/);
    assert.ok(legacy.message.includes(wrongRef), legacy.message);
  });

  it('a ca file that is not PEM gives a clear KeyStoreError; a missing one names its path', async () => {
    const notPem = join(dir, 'ca.der-or-whatever');
    await writeFile(notPem, 'this is not a certificate bundle\n');
    const err = await errorOf(openMutualTls(spec('kisc-tls-aes', { ca: notPem }), resolveSecret, collector().o));
    assert.ok(err instanceof KeyStoreError, err.name);
    assert.equal(err.message, `${notPem}: not a PEM bundle of CA certificates (expected one or more -----BEGIN CERTIFICATE----- blocks)`);

    const broken = join(dir, 'broken.pem');
    await writeFile(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const err2 = await errorOf(openMutualTls(spec('kisc-tls-aes', { ca: broken }), resolveSecret, collector().o));
    assert.ok(err2 instanceof KeyStoreError, err2.name);
    assert.match(err2.message, /not a PEM bundle of CA certificates/);

    const missing = join(dir, 'nope.pem');
    const err3 = await errorOf(openMutualTls(spec('kisc-tls-aes', { ca: missing }), resolveSecret, collector().o));
    assert.ok(err3 instanceof KeyStoreError, err3.name);
    assert.equal(err3.message, `${missing}: cannot read the CA bundle (ENOENT)`);
  });

  it('MutualTlsSpecSchema rejects a spec with neither ca nor the insecure flag, naming ca', () => {
    const r = MutualTlsSpecSchema.safeParse({ p12: '/etc/trustflow/kisc/tls.p12', password: 'env:KISC_TLS_PASSWORD' });
    assert.equal(r.success, false);
    assert.equal(r.error!.issues.length, 1, JSON.stringify(r.error!.issues));
    assert.deepEqual(r.error!.issues[0]!.path, ['ca']);
    assert.match(r.error!.issues[0]!.message, /needs 'ca'/);
    assert.match(r.error!.issues[0]!.message, /insecureSkipServerVerification: true/);
    assert.equal(
      MutualTlsSpecSchema.safeParse({ p12: '/x.p12', password: 'env:P', insecureSkipServerVerification: false }).success,
      false,
      'only the literal true',
    );
    assert.equal(MutualTlsSpecSchema.safeParse({ p12: 'relative.p12', password: 'env:P', ca: '/ca.pem' }).success, false);
    assert.equal(MutualTlsSpecSchema.safeParse({ p12: '/x.p12', password: 'env:P', ca: '/ca.pem' }).success, true);
  });

  const assertTlsRejected = (err: Error, side: ProviderTlsError['side']) => {
    assert.ok(err instanceof ProviderTlsError, `${err.name}: ${err.message}`);
    assert.equal(err.name, 'ProviderTlsError');
    assert.equal(err.type, FailureType.TlsRejected);
    assert.equal(err.retryable, false);
    assert.equal(err.side, side, err.message);
    assert.equal(err.endpoint, 'GET /vendors');
    assert.ok(err.message.startsWith('KISC GET /vendors: TLS '), err.message);
    assert.ok(err.message.endsWith(KISC_TLS_ADVICE), err.message);
    assert.match(err.message, /14 days/);
    return err;
  };

  it('(a) no client certificate: ProviderTlsError, "refused our client certificate", 14-day advice', async () => {
    const agent = new Agent({ ca: await readFile(sandbox.manifest.kisc.ca, 'utf8'), keepAlive: true });
    extraAgents.push(agent);
    const err = assertTlsRejected(await errorOf(new KiscClient({ baseUrl, agent }).vendors()), 'client-certificate');
    assert.match(err.message, /refused our client certificate/);
    assert.match(err.code, /^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|TLS_CLOSED_AFTER_HANDSHAKE)$/);
  });

  it('(b) a client certificate from another CA (IS MPT sandbox): TlsRejected, not a network error', async () => {
    const mpt = sandbox.manifest.keys['mpt-legacy']!;
    const { warnings, o } = collector();
    const identity = await openMutualTls({ p12: mpt.p12, password: mpt.password, ca: sandbox.manifest.kisc.ca }, resolveSecret, o);
    assert.deepEqual(warnings, []);
    const err = await errorOf(new KiscClient({ baseUrl, agent: identity.agent }).vendors());
    assert.ok(!(err instanceof ProviderNetworkError), `a certificate refusal must not look transient: ${err.message}`);
    // Node's server sends no alert here: the client sees a reset, and the probe finds the silent close.
    assert.match(assertTlsRejected(err, 'client-certificate').code, /^(TLS_CLOSED_AFTER_HANDSHAKE|ERR_SSL_\w*ALERT_\w+)$/);
    assert.match(err.message, /refused our client certificate/);
  });

  it('(c) the wrong CA bundle: TlsRejected, the server certificate could not be verified', async () => {
    const key = await openPkcs12File(spec('kisc-tls-aes').p12, spec('kisc-tls-aes').password, resolveSecret);
    const agent = new Agent({
      key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      cert: key.certificates.map((c) => c.toString()).join('\n'),
      ca: await readFile(sandbox.manifest.ca.certificate, 'utf8'),
    });
    extraAgents.push(agent);
    const err = assertTlsRejected(await errorOf(new KiscClient({ baseUrl, agent }).vendors()), 'server-certificate');
    assert.match(err.message, /could not be verified against the configured CA bundle/);
    assert.ok(!/refused our client certificate/.test(err.message));

    // The same through openMutualTls, with the IS MPT CA file configured as tls.ca.
    const identity = await openMutualTls(spec('kisc-tls-aes', { ca: sandbox.manifest.ca.certificate }), resolveSecret, collector().o);
    assertTlsRejected(await errorOf(new KiscClient({ baseUrl, agent: identity.agent }).vendors()), 'server-certificate');
  });

  it('(d) right CA, certificate not registered for a participant: HTTP 403, not a TLS error', async () => {
    assert.equal(sandbox.manifest.kisc.tlsKeys['kisc-tls-unregistered']!.registered, false);
    const identity = await openMutualTls(spec('kisc-tls-unregistered'), resolveSecret, collector().o);
    const err = await errorOf(new KiscClient({ baseUrl, agent: identity.agent }).vendors());
    assert.ok(!(err instanceof ProviderTlsError), err.message);
    assert.ok(err instanceof ProviderHttpError, `${err.name}: ${err.message}`);
    assert.equal(err.status, 403);
    assert.equal(err.retryable, false);
    assert.equal(err.type, FailureType.ProviderRejected);
    assert.equal(err.message, 'KISC GET /vendors answered HTTP 403 (participant is not registered)');
  });

  it('an expired key does not take a cache slot: a working identity keeps its agent (regression)', async () => {
    const { o } = collector();
    const good = await openMutualTls(spec('kisc-tls-aes'), resolveSecret, o);
    const ca = await readFile(sandbox.manifest.kisc.ca, 'utf8');
    // Nine distinct cache keys for the expired certificate (same CA, different files' bytes).
    for (let i = 0; i < 9; i++) {
      const caCopy = join(dir, `ca-copy-${i}.pem`);
      await writeFile(caCopy, ca + '\n'.repeat(i + 1));
      await assert.rejects(
        openMutualTls(spec('kisc-tls-expired', { ca: caCopy }), resolveSecret, o),
        (e: TrustflowError) => e.type === FailureType.TlsRejected,
      );
    }
    const again = await openMutualTls(spec('kisc-tls-aes'), resolveSecret, o);
    assert.equal(again.agent, good.agent, 'the working agent was evicted (and destroyed) by failed opens');
  });
});
