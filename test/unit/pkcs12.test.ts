// PKCS#12 loading: the sandbox's legacy and AES files, and the published NCA RK test files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FailureType, KeyStoreError } from '../../src/common/errors.js';
import { openKeyStore, openPkcs12 } from '../../src/crypto/keys/pkcs12.js';
import { runOpenssl } from '../../src/crypto/openssl.js';
import { createSandboxPki, type SandboxPki } from '../../src/sandbox/pki.js';
import { vectorsOrSkip } from '../helpers/paths.js';

const NCA_PASSWORD = 'Qwerty12';

describe('openPkcs12', () => {
  let dir: string;
  let pki: SandboxPki;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-p12-'));
    pki = await createSandboxPki(dir, [
      { name: 'legacy', commonName: 'ТЕСТ ЛЕГАСИ', iin: '900101300017', encryption: 'legacy-3des' },
      { name: 'aes', commonName: 'ТЕСТ AES', iin: '850202400026', encryption: 'aes-256' },
    ]);
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const passwordOf = async (name: string) => (await readFile(pki.users[name]!.passwordRef.slice(5), 'utf8')).trim();

  for (const name of ['legacy', 'aes']) {
    it(`opens the sandbox ${name} file: RSA key, matching certificate first, CA after`, async () => {
      const u = pki.users[name]!;
      const key = openPkcs12(await readFile(u.p12Path), await passwordOf(name), u.p12Path);
      assert.equal(key.privateKey.asymmetricKeyType, 'rsa');
      assert.ok(key.certificates[0]!.checkPrivateKey(key.privateKey));
      assert.match(key.certificates[0]!.subject, /serialNumber=IIN\d{12}/);
      assert.equal(key.certificates[1]?.subject, pki.caCertificate.subject);
    });
  }

  it('the two sandbox files really use different encryptions (checked by OpenSSL)', async () => {
    const info = async (name: string) =>
      (
        await runOpenssl(
          ['pkcs12', '-info', '-noout', '-in', pki.users[name]!.p12Path, '-passin', 'env:PW', ...(name === 'legacy' ? ['-legacy'] : [])],
          { env: { PW: await passwordOf(name) } },
        )
      ).stderr;
    assert.match(await info('aes'), /PBES2, PBKDF2, AES-256-CBC/);
    assert.match(await info('legacy'), /pbeWithSHA1And3-KeyTripleDES-CBC/);
  });

  it('says "wrong password" for a wrong password, without the password', async () => {
    const u = pki.users['legacy']!;
    assert.throws(
      () => openPkcs12(readFileSync(u.p12Path), 'not-the-password', u.p12Path),
      (e: unknown) => {
        assert.ok(e instanceof KeyStoreError);
        assert.match(e.message, /wrong password/);
        assert.ok(!e.message.includes('not-the-password'));
        return true;
      },
    );
  });

  it('says the file is not PKCS#12 for garbage', () => {
    assert.throws(() => openPkcs12(Buffer.from('not a p12 file at all'), 'x', '/tmp/x.p12'), /not a readable PKCS#12 file/);
  });

  for (const file of ['RSA256_8426360556902ce4ac33977836f873e1dc190976.p12', 'AUTH_RSA256_6b361b864c679601b652fe387f61fcd9303c0327.p12']) {
    it(`opens the NCA RK test file ${file.split('_')[0]} (legacy 3DES/RC2-40, Cyrillic subject)`, async (t) => {
      const path = vectorsOrSkip(t, 'nca', file);
      if (!path) return;
      const key = openPkcs12(await readFile(path), NCA_PASSWORD, path);
      assert.equal(key.privateKey.asymmetricKeyType, 'rsa');
      assert.match(key.certificates[0]!.subject, /serialNumber=IIN123456789011/);
      assert.match(key.certificates[0]!.subject, /CN=ТЕСТОВ ТЕСТ/);
    });
  }

  it('opens the NCA RK GOST key through the same loader as RSA; Node-crypto uses refuse it, saying what it can do', async (t) => {
    const path = vectorsOrSkip(t, 'nca', 'GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12');
    if (!path) return;
    const store = openKeyStore(readFileSync(path), NCA_PASSWORD, path);
    assert.equal(store.key.kind, 'kz-gost');
    assert.match(store.certificates[0]!.subject, /serialNumber=IIN123456789011/);
    assert.throws(
      () => openPkcs12(readFileSync(path), NCA_PASSWORD, path),
      (e: unknown) => {
        assert.ok(e instanceof KeyStoreError);
        assert.equal(e.type, FailureType.UnsupportedKey);
        assert.match(e.message, /GOST 34\.310-2004 \(Kazakhstan\) key/);
        assert.match(e.message, /signs CMS with it \(mptSignIn, trustflow cms sign\)/);
        assert.match(e.message, /RSA256_\*\.p12 or AUTH_RSA256_\*\.p12/);
        return true;
      },
    );
  });
});
