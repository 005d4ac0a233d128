// The sandbox's NCALayer simulator, driven by a plain `ws` client: the handshake the sigex client
// needs, basics.sign and commonUtils with real CMS (RSA and Kazakh GOST keys, verified with
// verifyCms), and the person's switches (cancel, fail, absent, wrong key, delay).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createLogger } from '../../src/common/logger.js';
import { verifyCms } from '../../src/crypto/cms/verify.js';
import { setupKzGost } from '../../src/sandbox/kz-gost/setup.js';
import { createNcaLayerSimulator, MODULE, type NcaLayerSimulator } from '../../src/sandbox/ncalayer/index.js';
import { createSandboxPki, type SandboxPki } from '../../src/sandbox/pki.js';
import { sandboxAdmin } from '../../src/sandbox/simulator.js';
import { connect, open, signRequest as sign } from '../helpers/ncalayer.js';

const DATA = Buffer.from('challenge: 6f1c2d3e-sandbox, with ünïcödé');
const signRequest = (o: { data?: unknown; encapsulate?: boolean; iin?: string; oids?: string[] } = {}) => sign(o.data ?? DATA, o);

let dir: string;
let pki: SandboxPki;
let gost: { p12: string; password: `file:/${string}`; iin: string };
let sim: NcaLayerSimulator;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ncalayer-'));
  pki = await createSandboxPki(dir, [
    { name: 'alice', commonName: 'АЛИСОВА АЛИСА', iin: '900101300017', encryption: 'aes-256' },
    { name: 'bob', commonName: 'БОБОВ БОБ', iin: '850505300024', encryption: 'legacy-3des' },
  ]);
  const part = await setupKzGost({ dir, ports: {}, logger: createLogger({ name: 'test', level: 'warn' }) });
  gost = part.manifest.kzGost!;
  const user = (n: string) => ({ kind: 'pkcs12' as const, path: pki.users[n]!.p12Path, password: pki.users[n]!.passwordRef });
  sim = createNcaLayerSimulator({
    keys: [
      { name: 'alice', signer: user('alice') },
      { name: 'bob', signer: user('bob') },
      { name: 'gost', signer: { kind: 'pkcs12', path: gost.p12, password: gost.password } },
    ],
  });
  await sim.start();
});

after(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => sandboxAdmin(sim.adminUrl, 'reset'));

describe('NCALayer simulator: handshake', () => {
  it('greets, answers the sigex getVersion probe with a non-200 reply, echoes the heartbeat', async () => {
    assert.match(sim.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    const c = await open(sim.url);
    c.send({ module: MODULE.digiflow, method: 'getVersion' });
    const v = (await c.next()) as { code: string; message: string };
    assert.notEqual(v.code, '200');
    assert.equal(typeof v.message, 'string');
    c.send('--heartbeat--');
    assert.equal(await c.next(), '--heartbeat--');
    c.send({ module: MODULE.commonUtils, method: 'getActiveTokens' });
    assert.deepEqual(await c.next(), { code: '200', responseObject: ['PKCS12'] });
    await c.close();
    const state = await sandboxAdmin(sim.adminUrl, 'state');
    assert.equal(state.requests[`${MODULE.digiflow}.getVersion`], 1);
    assert.equal(state.heartbeats, 1);
    assert.equal(state.connections, 1);
  });

  it('answers malformed JSON and unknown modules/methods with errors and keeps the socket', async () => {
    const c = await open(sim.url);
    c.send('{not json');
    assert.equal(((await c.next()) as { code: string }).code, '500');
    c.send({ module: 'kz.gov.pki.knca.nothing', method: 'x' });
    assert.equal(((await c.next()) as { code: string }).code, '500');
    c.send({ module: MODULE.commonUtils, method: 'nothing', args: [] });
    assert.equal(((await c.next()) as { code: string }).code, '500');
    c.send({ module: MODULE.basics, method: 'nothing', args: {} });
    assert.deepEqual(((await c.next()) as { status: boolean }).status, false);
    c.send(signRequest({ data: 'not base64!' }));
    assert.equal(((await c.next()) as { code: string }).code, 'INVALID_SIGNING_PARAMS');
    c.send('--heartbeat--');
    assert.equal(await c.next(), '--heartbeat--');
    await c.close();
    assert.equal((await sandboxAdmin(sim.adminUrl, 'state')).malformed, 1);
  });
});

describe('NCALayer simulator: basics.sign', () => {
  it('signs attached with an RSA key: the CMS verifies and carries exactly the data', async () => {
    const c = await open(sim.url);
    c.send(signRequest());
    const reply = (await c.next()) as { status: boolean; body: { result: string } };
    assert.equal(reply.status, true);
    const v = await verifyCms(Buffer.from(reply.body.result, 'base64'));
    assert.equal(v.signatureValid, true, v.reason);
    assert.deepEqual(v.encapsulatedContent, DATA);
    assert.equal(v.signerCertificate?.fingerprint256, pki.users.alice!.certificate.fingerprint256);
    await c.close();
    const state = await sandboxAdmin(sim.adminUrl, 'state');
    assert.equal(state.signatures, 1);
    assert.equal(state.requests[`${MODULE.basics}.sign`], 1);
    // The last request is kept without its data; no signature is kept anywhere in the state.
    assert.equal(state.lastRequest.args.data, undefined);
    assert.equal(state.lastRequest.args.format, 'cms');
    const text = JSON.stringify(state);
    assert.ok(!text.includes(DATA.toString('base64')) && !text.includes(reply.body.result.slice(0, 40)));
  });

  it('signs attached with a Kazakh GOST key and matches an IIN filter', async () => {
    await sandboxAdmin(sim.adminUrl, 'config', { key: 'gost' });
    const c = await open(sim.url);
    c.send(signRequest({ iin: gost.iin, oids: ['1.3.6.1.5.5.7.3.4'] }));
    const reply = (await c.next()) as { status: boolean; body: { result: string } };
    assert.equal(reply.status, true, JSON.stringify(reply));
    const v = await verifyCms(Buffer.from(reply.body.result, 'base64'));
    assert.equal(v.signatureValid, true, v.reason);
    assert.deepEqual(v.encapsulatedContent, DATA);
    assert.match(v.signerCertificate!.subject, new RegExp(`serialNumber=IIN${gost.iin}`));
    await c.close();
  });

  it('signs detached, and an array of data into an array of results', async () => {
    const c = await open(sim.url);
    const other = Buffer.from('second document');
    c.send(signRequest({ encapsulate: false, data: [DATA.toString('base64'), other.toString('base64')] }));
    const reply = (await c.next()) as { status: boolean; body: { result: string[] } };
    assert.equal(reply.body.result.length, 2);
    for (const [i, content] of [DATA, other].entries()) {
      const cms = Buffer.from(reply.body.result[i]!, 'base64');
      assert.equal((await verifyCms(cms)).problem, 'content-missing');
      const v = await verifyCms(cms, content);
      assert.equal(v.signatureValid, true, v.reason);
      assert.equal(v.encapsulatedContent, undefined);
    }
    await c.close();
    assert.equal((await sandboxAdmin(sim.adminUrl, 'state')).signatures, 2);
  });

  it('cancel: {"status":true,"body":{}}; fail: the configured code and message', async () => {
    const c = await open(sim.url);
    await sandboxAdmin(sim.adminUrl, 'config', { behaviour: 'cancel' });
    c.send(signRequest());
    assert.deepEqual(await c.next(), { status: true, body: {} });
    await sandboxAdmin(sim.adminUrl, 'config', { behaviour: 'fail', failCode: 'GENERAL_ERROR', failMessage: 'token removed' });
    c.send(signRequest());
    const failed = (await c.next()) as Record<string, unknown>;
    assert.equal(failed.status, false);
    assert.equal(failed.code, 'GENERAL_ERROR');
    assert.equal(failed.message, 'token removed');
    await c.close();
    const state = await sandboxAdmin(sim.adminUrl, 'state');
    assert.equal(state.cancels, 1);
    assert.equal(state.failures, 1);
    assert.equal(state.signatures, 0);
  });

  it('wrong key: the person picks another key and NCALayer signs with it', async () => {
    await sandboxAdmin(sim.adminUrl, 'config', { key: 'bob' });
    const c = await open(sim.url);
    c.send(signRequest());
    const reply = (await c.next()) as { body: { result: string } };
    const v = await verifyCms(Buffer.from(reply.body.result, 'base64'));
    assert.equal(v.signatureValid, true);
    assert.equal(v.signerCertificate?.fingerprint256, pki.users.bob!.certificate.fingerprint256);
    // With an IIN filter the wrong key is not offered: a failure, not a signature.
    c.send(signRequest({ iin: pki.users.alice!.iin }));
    const refused = (await c.next()) as Record<string, unknown>;
    assert.equal(refused.status, false);
    await c.close();
    await assert.rejects(sandboxAdmin(sim.adminUrl, 'config', { key: 'nobody' }), /no key named nobody/);
    await assert.rejects(sandboxAdmin(sim.adminUrl, 'config', { behaviour: 'maybe' }), /HTTP 400/);
  });

  it('one request at a time: a second request is answered after the first, in order', async () => {
    await sandboxAdmin(sim.adminUrl, 'config', { delayMs: 300 });
    const c = await open(sim.url);
    const t0 = Date.now();
    c.send(signRequest());
    c.send({ module: MODULE.commonUtils, method: 'getActiveTokens', args: [] });
    c.send('--heartbeat--');
    assert.equal(await c.next(), '--heartbeat--'); // the heartbeat does not wait for the person
    assert.ok(Date.now() - t0 < 300);
    assert.equal(((await c.next()) as { status: boolean }).status, true);
    assert.ok(Date.now() - t0 >= 290);
    assert.deepEqual(await c.next(), { code: '200', responseObject: ['PKCS12'] });
    await c.close();
    assert.equal((await sandboxAdmin(sim.adminUrl, 'state')).overlapping, 1);
  });
});

describe('NCALayer simulator: commonUtils', () => {
  it('getKeyInfo describes the chosen key; createCAdESFromBase64 signs attached and detached', async () => {
    const c = await open(sim.url);
    c.send({ module: MODULE.commonUtils, method: 'getKeyInfo', args: ['PKCS12'] });
    const info = (await c.next()) as { code: string; responseObject: Record<string, string> };
    assert.equal(info.code, '200');
    const cert = pki.users.alice!.certificate;
    assert.equal(info.responseObject.subjectCn, 'АЛИСОВА АЛИСА');
    assert.equal(info.responseObject.certNotAfter, String(Date.parse(cert.validTo)));
    assert.equal(info.responseObject.certNotBefore, String(Date.parse(cert.validFrom)));
    assert.equal(info.responseObject.serialNumber, cert.serialNumber.toLowerCase());
    assert.equal(info.responseObject.algorithm, 'RSA');
    assert.equal(info.responseObject.pem, cert.toString());
    assert.match(info.responseObject.keyId!, /^[0-9a-f]{40}$/);
    assert.equal(info.responseObject.authorityKeyIdentifier, ''); // the sandbox CA's RSA certificates carry none

    c.send({ module: MODULE.commonUtils, method: 'createCAdESFromBase64', args: ['PKCS12', 'SIGNATURE', DATA.toString('base64'), true] });
    const attached = (await c.next()) as { code: string; responseObject: string };
    assert.equal(attached.code, '200');
    const v = await verifyCms(Buffer.from(attached.responseObject, 'base64'));
    assert.equal(v.signatureValid, true, v.reason);
    assert.deepEqual(v.encapsulatedContent, DATA);

    c.send({
      module: MODULE.commonUtils,
      method: 'createCAdESFromBase64',
      args: ['PKCS12', 'AUTHENTICATION', DATA.toString('base64'), false],
    });
    const detached = (await c.next()) as { responseObject: string };
    const d = await verifyCms(Buffer.from(detached.responseObject, 'base64'), DATA);
    assert.equal(d.signatureValid, true, d.reason);
    assert.equal(d.encapsulatedContent, undefined);
    await c.close();
    const state = await sandboxAdmin(sim.adminUrl, 'state');
    assert.deepEqual(state.lastRequest.args, ['PKCS12', 'AUTHENTICATION', '(data omitted)', false]);
  });

  it('getKeyInfo of a Kazakh GOST key: algorithm and key identifiers', async () => {
    await sandboxAdmin(sim.adminUrl, 'config', { key: 'gost' });
    const c = await open(sim.url);
    c.send({ module: MODULE.commonUtils, method: 'getKeyInfo', args: ['PKCS12'] });
    const info = (await c.next()) as { code: string; responseObject: Record<string, string> };
    assert.equal(info.responseObject.algorithm, 'ECGOST34310');
    assert.equal(info.responseObject.subjectCn, 'ТЕСТОВ ТЕСТ');
    assert.equal(info.responseObject.alias, info.responseObject.keyId);
    assert.ok(gost.p12.includes(`GOSTKNCA_${info.responseObject.keyId}.p12`));
    assert.match(info.responseObject.authorityKeyIdentifier!, /^[0-9a-f]{40}$/);
    c.send({ module: MODULE.commonUtils, method: 'getKeyInfo', args: ['AKKaztokenStore'] });
    assert.equal(((await c.next()) as { code: string }).code, '500');
    await c.close();
  });

  it('cancel: {"code":"500","message":"action.canceled"}', async () => {
    await sandboxAdmin(sim.adminUrl, 'config', { behaviour: 'cancel' });
    const c = await open(sim.url);
    c.send({ module: MODULE.commonUtils, method: 'createCAdESFromBase64', args: ['PKCS12', 'SIGNATURE', DATA.toString('base64'), true] });
    assert.deepEqual(await c.next(), { code: '500', message: 'action.canceled' });
    await c.close();
  });
});

describe('NCALayer simulator: absent', () => {
  it('closes open sockets and refuses new connections until switched back', async () => {
    const c = await open(sim.url);
    const closed = new Promise<number>((res) => c.ws.once('close', (code) => res(code)));
    await sandboxAdmin(sim.adminUrl, 'config', { behaviour: 'absent' });
    assert.equal(await closed, 1006);
    await assert.rejects(connect(sim.url));
    assert.equal((await sandboxAdmin(sim.adminUrl, 'state')).refusedConnections, 1);
    await sandboxAdmin(sim.adminUrl, 'config', { behaviour: 'sign' });
    await (await open(sim.url)).close();
  });
});

describe('NCALayer simulator over wss://', () => {
  it('serves the protocol with a certificate from the sandbox PKI', async () => {
    const { keyPem, certPem } = pki.issueServerCertificate();
    const tlsSim = createNcaLayerSimulator({
      keys: [{ name: 'alice', signer: { kind: 'pkcs12', path: pki.users.alice!.p12Path, password: pki.users.alice!.passwordRef } }],
      tls: { key: keyPem, cert: certPem },
    });
    await tlsSim.start();
    try {
      assert.match(tlsSim.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
      await assert.rejects(connect(tlsSim.url)); // an unknown (self-signed) CA is refused by default
      const c = await open(tlsSim.url, { ca: pki.caCertificate.toString() });
      c.send(signRequest());
      const reply = (await c.next()) as { body: { result: string } };
      assert.equal((await verifyCms(Buffer.from(reply.body.result, 'base64'))).signatureValid, true);
      await c.close();
    } finally {
      await tlsSim.stop();
    }
  });

  it('serves ws:// and wss:// at once (option wss): one set of keys, switches and counters', async () => {
    const { keyPem, certPem } = pki.issueServerCertificate();
    const both = createNcaLayerSimulator({
      keys: [
        { name: 'alice', signer: { kind: 'pkcs12', path: pki.users.alice!.p12Path, password: pki.users.alice!.passwordRef } },
        { name: 'bob', signer: { kind: 'pkcs12', path: pki.users.bob!.p12Path, password: pki.users.bob!.passwordRef } },
      ],
      wss: { key: keyPem, cert: certPem },
    });
    await both.start();
    try {
      assert.match(both.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
      assert.match(both.wssUrl!, /^wss:\/\/127\.0\.0\.1:\d+$/);
      await sandboxAdmin(both.adminUrl, 'config', { key: 'bob' });
      for (const c of [await open(both.url), await open(both.wssUrl!, { ca: pki.caCertificate.toString() })]) {
        c.send(signRequest());
        const reply = (await c.next()) as { body: { result: string } };
        const v = await verifyCms(Buffer.from(reply.body.result, 'base64'));
        assert.equal(v.signerCertificate?.fingerprint256, pki.users.bob!.certificate.fingerprint256);
        await c.close();
      }
      const state = await sandboxAdmin(both.adminUrl, 'state');
      assert.equal(state.connections, 2);
      assert.equal(state.signatures, 2);
    } finally {
      await both.stop();
    }
    assert.equal(sim.wssUrl, undefined);
  });
});
