// The Kontur simulator produces each documented 403 code for real, in both body formats, and the
// GOST module explains a missing gost-engine.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ProviderHttpError } from '../../src/common/errors.js';
import { decryptCms } from '../../src/crypto/cms/decrypt.js';
import { elementsOf, oidToString } from '../../src/crypto/cms/der.js';
import { openDecryptionKey } from '../../src/crypto/keys/decryption-key.js';
import { KonturClient } from '../../src/providers/kontur/index.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createGostPki } from '../../src/sandbox/kontur/gost-pki.js';
import { resolveSecret } from '../../src/secrets/resolve.js';
import { repoRoot } from '../helpers/paths.js';

describe('Kontur simulator', () => {
  let dir: string;
  let sandbox: Sandbox;
  let client: KonturClient;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-ksim-'));
    sandbox = await startSandbox({ dir });
    assert.ok(sandbox.simulators.kontur, 'needs OpenSSL + gost-engine');
    const apiKey = (await readFile(sandbox.manifest.examples.konturSignIn!.apiKey!.slice(5), 'utf8')).trim();
    client = new KonturClient({ baseUrl: sandbox.manifest.services.kontur!.baseUrl, apiKey });
  });
  after(async () => {
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (e: unknown) => (e instanceof ProviderHttpError ? `${e.status} ${e.providerCode ?? ''}`.trim() : String(e)),
    );

  it('WrongKey for other bytes, then the right bytes work once, then RndBytesNotFound', async () => {
    const opened = await openDecryptionKey(sandbox.manifest.examples.konturSignIn!.key, resolveSecret);
    const a = await client.authenticateByCert(opened.certificate, false);
    assert.equal(await codeOf(client.approveCert(a.Link.Href, Buffer.from('not the random value'))), '403 WrongKey');
    const rnd = await decryptCms({ cms: a.EncryptedKey, key: opened.key, certificate: opened.certificate });
    assert.equal(await codeOf(client.approveCert(a.Link.Href, rnd)), 'accepted');
    assert.equal(await codeOf(client.approveCert(a.Link.Href, rnd)), '403 RndBytesNotFound');
  });

  // GOST 28147-89 is written in-process (checked against OpenSSL in cms-gost-enveloped.test.ts),
  // Kuznyechik by OpenSSL; decryptCms reads both.
  it('encrypts with GOST 28147-89 by default and with Kuznyechik when configured', async () => {
    const url = sandbox.manifest.services.kontur!.baseUrl;
    const opened = await openDecryptionKey(sandbox.manifest.examples.konturSignIn!.key, resolveSecret);
    const contentAlgorithmOf = (b64: string) => {
      const fields = elementsOf(elementsOf(elementsOf(Buffer.from(b64, 'base64'))[1]!)[0]!);
      return oidToString(elementsOf(elementsOf(fields[2]!)[1]!)[0]!);
    };
    try {
      for (const [cipher, oid] of [
        ['gost89', '1.2.643.2.2.21'],
        ['kuznyechik', '1.2.643.7.1.1.5.2.1'],
      ] as const) {
        await sandboxAdmin(url, 'config', { cipher });
        const a = await client.authenticateByCert(opened.certificate, false);
        assert.equal(contentAlgorithmOf(a.EncryptedKey), oid, cipher);
        const rnd = await decryptCms({ cms: a.EncryptedKey, key: opened.key, certificate: opened.certificate });
        assert.equal(await codeOf(client.approveCert(a.Link.Href, rnd)), 'accepted', cipher);
      }
    } finally {
      await sandboxAdmin(url, 'reset');
    }
  });

  // The simulator asks openssl about a certificate once and checks the clock on every call: the
  // cached answer must still refuse a stranger's certificate, whichever call came first.
  it('406 for a certificate of another CA, every time, though free=true accepts it', async () => {
    const other = await createGostPki(join(dir, 'other-ca'), [{ name: 'stranger', commonName: 'Stranger', bits: 256, format: 'pem' }]);
    const stranger = other.users['stranger']!.certificate.raw;
    assert.equal(await codeOf(client.authenticateByCert(stranger, true)), 'accepted');
    assert.equal(await codeOf(client.authenticateByCert(stranger, false)), '406');
    assert.equal(await codeOf(client.authenticateByCert(stranger, false)), '406');
    const own = (await openDecryptionKey(sandbox.manifest.examples.konturSignIn!.key, resolveSecret)).certificate;
    assert.equal(await codeOf(client.authenticateByCert(own, false)), 'accepted');
  });

  it('CertUnreadable for a body that is no certificate, in plain text and as JSON', async () => {
    const url = sandbox.manifest.services.kontur!.baseUrl;
    assert.equal(await codeOf(client.authenticateByCert(Buffer.from('not a certificate'), false)), '403 CertUnreadable');
    await sandboxAdmin(url, 'config', { errorFormat: 'json' });
    const raw = await fetch(`${url}/auth/v5.9/authenticate-by-cert?free=false&apiKey=x`, { method: 'POST', body: 'x' });
    assert.equal(raw.status, 400, 'a wrong apiKey is refused first');
    assert.equal(await codeOf(client.authenticateByCert(Buffer.from('not a certificate'), false)), '403 CertUnreadable');
    await sandboxAdmin(url, 'reset');
  });
});

describe('gost-engine missing', () => {
  it('says how to install it', async () => {
    const script = `import('${join(repoRoot, 'dist', 'src', 'crypto', 'openssl-gost-engine.js')}').then((m) => m.gostOpensslEnv()).then(() => console.log('loaded'), (e) => console.log(e.message))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      env: { ...process.env, TRUSTFLOW_GOST_ENGINE_PATH: '/nonexistent/gost.so' },
    });
    assert.match(
      stdout,
      /gost-engine not found at \/nonexistent\/gost\.so: install gost-engine for OpenSSL 3 \(Debian\/Ubuntu: apt-get install libengine-gost-openssl\)/,
    );
  });
});
