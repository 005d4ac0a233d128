// The NCALayer room of the whole sandbox: its manifest part, ws:// and wss:// (self-signed), a real
// CMS from every key of the person's token that chains to the written CA bundle and signs in at the
// IS MPT sandbox (also after its reset), the person-signer input, the admin switches, and the IS MPT
// sandbox's run-time challenge lifetime.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ProviderHttpError } from '../../src/common/errors.js';
import { PersonSignerSpecSchema } from '../../src/contracts/person-signer-spec.js';
import { verifyChain } from '../../src/crypto/certificates/chain.js';
import { readCertificateBundle } from '../../src/crypto/certificates/credential-certificates.js';
import { verifyCms } from '../../src/crypto/cms/verify.js';
import { KZ_GOST } from '../../src/crypto/gost/kz-gost.js';
import { IsmptClient } from '../../src/providers/ismpt/client.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { MODULE } from '../../src/sandbox/ncalayer/index.js';
import { connect, open, signRequest, type NcaLayerClient } from '../helpers/ncalayer.js';

let dir: string;
let sandbox: Sandbox;
let ismpt: IsmptClient;
let ismptAdmin: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trustflow-ncalayer-room-'));
  sandbox = await startSandbox({ dir });
  ismpt = new IsmptClient({ baseUrl: sandbox.manifest.services.ismpt!.baseUrl });
  ismptAdmin = sandbox.simulators.ismpt.adminBaseUrl;
});

after(async () => {
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

const nca = () => sandbox.manifest.ncalayer;
/** The self-signed wss:// certificate is trusted by no CA: tests accept it as a browser told to would. */
const insecure = { rejectUnauthorized: false };

beforeEach(() => sandboxAdmin(nca().admin, 'reset'));

/** Signs `data` with the person's chosen key over an open socket; the CMS (base64). */
async function sign(c: NcaLayerClient, data: Buffer): Promise<string> {
  c.send(signRequest(data));
  const reply = (await c.next(30_000)) as { status: boolean; body: { result?: string } };
  assert.equal(reply.status, true, JSON.stringify(reply));
  assert.equal(typeof reply.body.result, 'string', JSON.stringify(reply));
  return reply.body.result!;
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof ProviderHttpError ? `${e.status} ${e.providerCode}` : String(e)),
  );

describe('NCALayer room: the manifest', () => {
  it('declares ws:// and wss:// URLs, the admin root, the keys, the CA bundle and a services entry', async () => {
    const m = nca();
    assert.match(m.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.match(m.wssUrl, /^wss:\/\/127\.0\.0\.1:\d+$/);
    assert.match(m.admin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(sandbox.manifest.services.ncalayer, { baseUrl: m.url, admin: `${m.admin}/__sandbox` });
    assert.equal(sandbox.simulators.ncalayer.baseUrl, m.url);
    assert.equal(sandbox.simulators.ncalayer.wssUrl, m.wssUrl);
    // NCALayer after kz-gost, before Kontur (when Kontur runs here).
    const names = Object.keys(sandbox.manifest.services);
    assert.equal(names.indexOf('ncalayer'), names.includes('kontur') ? names.indexOf('kontur') - 1 : names.length - 1);

    assert.ok(isAbsolute(m.caBundle));
    assert.ok(m.keys[m.defaultKey], 'the default key is one of the keys');
    const algorithms = new Set(Object.values(m.keys).map((k) => k.algorithm));
    assert.deepEqual([...algorithms].sort(), ['RSA', KZ_GOST.gost2004.name, KZ_GOST['gost2015-512'].name].sort());
    const right = Object.values(m.keys).filter((k) => !k.wrongPerson);
    const wrong = Object.values(m.keys).filter((k) => k.wrongPerson);
    assert.ok(wrong.length >= 1);
    assert.equal(new Set(right.map((k) => k.iin)).size, 1, 'the person: one IIN');
    for (const w of wrong) assert.notEqual(w.iin, right[0]!.iin);
    assert.equal(m.keys[m.defaultKey]!.wrongPerson, false);
    for (const k of Object.values(m.keys)) {
      const cert = new X509Certificate(await readFile(k.certificate));
      assert.match(cert.subject, new RegExp(`serialNumber=IIN${k.iin}`));
      if (k.bin) assert.match(cert.subject, new RegExp(`OU=BIN${k.bin}`));
    }
    // The manifest on disk is the one returned.
    assert.deepEqual(JSON.parse(await readFile(sandbox.manifestPath, 'utf8')).ncalayer, JSON.parse(JSON.stringify(m)));
  });

  it('personSigner is a valid person-signer input for the default key', () => {
    const m = nca();
    const spec = PersonSignerSpecSchema.parse(m.personSigner);
    const key = m.keys[m.defaultKey]!;
    assert.equal(spec.kind, 'person');
    assert.equal(spec.role, 'director');
    assert.equal(spec.expected.iin, key.iin);
    assert.equal(spec.expected.bin, key.bin ?? undefined);
    assert.equal(spec.caBundle, m.caBundle);
    assert.deepEqual([spec.deadline, spec.remindEvery, spec.challengeTtl, spec.locale], [600_000, 120_000, 240_000, 'ru']);
  });
});

describe('NCALayer room: ws:// and wss://', () => {
  for (const transport of ['ws', 'wss'] as const) {
    it(`${transport}://: greeting, getVersion probe, and a basics.sign per key that chains to the CA bundle`, async () => {
      const m = nca();
      const bundle = readCertificateBundle(await readFile(m.caBundle), m.caBundle);
      const c = transport === 'ws' ? await open(m.url) : await open(m.wssUrl, insecure);
      c.send({ module: MODULE.digiflow, method: 'getVersion' });
      assert.notEqual(((await c.next()) as { code: string }).code, '200');
      for (const [name, key] of Object.entries(m.keys)) {
        await sandboxAdmin(m.admin, 'config', { key: name });
        const data = Buffer.from(`${transport} ${name}: данные для подписи`);
        const v = await verifyCms(Buffer.from(await sign(c, data), 'base64'));
        assert.equal(v.signatureValid, true, `${name}: ${v.reason}`);
        assert.deepEqual(v.encapsulatedContent, data);
        const expected = new X509Certificate(await readFile(key.certificate));
        assert.equal(v.signerCertificate?.fingerprint256, expected.fingerprint256, name);
        const chain = verifyChain(v.signerCertificate!, bundle);
        assert.equal(chain.valid, true, `${name}: ${chain.problems.join('; ')}`);
      }
      await c.close();
      const state = await sandboxAdmin(m.admin, 'state');
      assert.equal(state.signatures, Object.keys(m.keys).length);
      assert.equal(state.connections, 1);
    });
  }

  it('wss:// is self-signed: refused by a client that checks certificates, even against the sandbox CA', async () => {
    await assert.rejects(connect(nca().wssUrl));
    await assert.rejects(connect(nca().wssUrl, { ca: await readFile(sandbox.manifest.ca.certificate) }));
    const pem = await readFile(join(dir, 'ncalayer', 'wss-certificate.pem'));
    await (await open(nca().wssUrl, { ca: pem })).close();
  });
});

describe('NCALayer room: IS MPT sign-in with every key', () => {
  const signIn = async (name: string, url: string, options = {}) => {
    await sandboxAdmin(nca().admin, 'config', { key: name });
    const c = await open(url, options);
    try {
      const ch = await ismpt.fetchChallenge();
      return await codeOf(ismpt.signIn({ uuid: ch.uuid, data: await sign(c, Buffer.from(ch.data, 'utf8')) }));
    } finally {
      await c.close();
    }
  };

  it('accepts a sign-in with the CMS of each key (the wrong person too: a registered participant)', async () => {
    for (const name of Object.keys(nca().keys)) {
      assert.equal(await signIn(name, nca().url), 'accepted', name);
      assert.equal(await signIn(name, nca().wssUrl, insecure), 'accepted', `${name} over wss://`);
    }
  });

  it('still accepts them after the IS MPT sandbox is reset (registered with keepOnReset)', async () => {
    await sandboxAdmin(ismptAdmin, 'config', { tokenTtlMs: 5000 });
    await sandboxAdmin(ismptAdmin, 'reset');
    assert.equal((await sandboxAdmin(ismptAdmin, 'state')).tokenTtlMs, 10 * 3600_000, 'reset still resets');
    for (const name of Object.keys(nca().keys)) assert.equal(await signIn(name, nca().url), 'accepted', name);
    const state = await sandboxAdmin(ismptAdmin, 'state');
    assert.equal(state.successfulSignIns, Object.keys(nca().keys).length);
  });
});

describe('NCALayer room: admin switches through sandboxAdmin', () => {
  it('cancel, fail and absent apply to ws:// and wss:// alike; reset restores the default key', async () => {
    const m = nca();
    await sandboxAdmin(m.admin, 'config', { behaviour: 'cancel', key: 'wrong-person' });
    for (const c of [await open(m.url), await open(m.wssUrl, insecure)]) {
      c.send(signRequest(Buffer.from('x')));
      assert.deepEqual(await c.next(), { status: true, body: {} });
      await c.close();
    }
    await sandboxAdmin(m.admin, 'config', { behaviour: 'fail', failCode: 'GENERAL_ERROR', delayMs: 50 });
    const c = await open(m.wssUrl, insecure);
    c.send(signRequest(Buffer.from('x')));
    assert.equal(((await c.next()) as { code: string }).code, 'GENERAL_ERROR');
    const closed = new Promise<void>((res) => c.ws.once('close', () => res()));
    await sandboxAdmin(m.admin, 'config', { behaviour: 'absent' });
    await closed;
    await assert.rejects(connect(m.url));
    await assert.rejects(connect(m.wssUrl, insecure));
    const state = await sandboxAdmin(m.admin, 'state');
    assert.deepEqual([state.cancels, state.failures, state.refusedConnections], [2, 1, 2]);
    assert.deepEqual(state.keys, Object.keys(m.keys));

    await sandboxAdmin(m.admin, 'reset');
    const after = await sandboxAdmin(m.admin, 'state');
    assert.equal(after.config.behaviour, 'sign');
    assert.equal(after.config.key, m.defaultKey);
    await (await open(m.url)).close();
    await assert.rejects(sandboxAdmin(m.admin, 'config', { key: 'nobody' }), /no key named nobody/);
  });
});

describe('IS MPT sandbox: challengeTtlMs at run time', () => {
  it('a challenge older than challengeTtlMs is expired; reset restores 5 minutes', async () => {
    await sandboxAdmin(ismptAdmin, 'reset');
    assert.equal((await sandboxAdmin(ismptAdmin, 'state')).challengeTtlMs, 5 * 60_000);
    assert.equal((await sandboxAdmin(ismptAdmin, 'config', { challengeTtlMs: 2000 })).challengeTtlMs, 2000);
    assert.equal((await sandboxAdmin(ismptAdmin, 'state')).challengeTtlMs, 2000);

    const c = await open(nca().url);
    try {
      // Older than 2 s (the simulator's clock moved 2.5 s): expired.
      let ch = await ismpt.fetchChallenge();
      let cms = await sign(c, Buffer.from(ch.data, 'utf8'));
      await sandboxAdmin(ismptAdmin, 'clock', { advanceMs: 2500 });
      assert.equal(await codeOf(ismpt.signIn({ uuid: ch.uuid, data: cms })), '403 auth-key-expired');
      // Younger than 2 s: accepted.
      ch = await ismpt.fetchChallenge();
      cms = await sign(c, Buffer.from(ch.data, 'utf8'));
      assert.equal(await codeOf(ismpt.signIn({ uuid: ch.uuid, data: cms })), 'accepted');
      // 2.5 s would be fine under the default 5 minutes: the switch made the difference.
      await sandboxAdmin(ismptAdmin, 'reset');
      ch = await ismpt.fetchChallenge();
      cms = await sign(c, Buffer.from(ch.data, 'utf8'));
      await sandboxAdmin(ismptAdmin, 'clock', { advanceMs: 2500 });
      assert.equal(await codeOf(ismpt.signIn({ uuid: ch.uuid, data: cms })), 'accepted');
    } finally {
      await c.close();
    }
    assert.equal((await sandboxAdmin(ismptAdmin, 'state')).challengeTtlMs, 5 * 60_000);
  });

  it('refuses a challengeTtlMs below 1000 ms or not an integer, naming what it expects', async () => {
    for (const bad of [999, 1500.5, '2000', 0]) {
      await assert.rejects(
        sandboxAdmin(ismptAdmin, 'config', { challengeTtlMs: bad }),
        /HTTP 400 .*challengeTtlMs\?: integer ≥ 1000/,
        String(bad),
      );
    }
    await assert.rejects(sandboxAdmin(ismptAdmin, 'config', { keepOnReset: true }), /keepOnReset: applies to a registerCertificate only/);
    assert.equal((await sandboxAdmin(ismptAdmin, 'state')).challengeTtlMs, 5 * 60_000);
  });
});
