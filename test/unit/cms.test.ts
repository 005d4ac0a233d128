// CMS SignedData built by trustflow, checked by `openssl cms -verify`; CMS built by OpenSSL, checked
// by trustflow's verifier. Keys: a sandbox key and the published NCA RK RSA test key (Cyrillic DNs).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signCmsRsaSha256, verifyCms, cmsToDer } from '../../src/crypto/cms.js';
import { isIssuedBy } from '../../src/crypto/certificate-check.js';
import { openPkcs12, type SoftwareKey } from '../../src/crypto/pkcs12.js';
import { runOpenssl, OpensslError } from '../../src/crypto/openssl.js';
import { createSandboxPki, type SandboxPki } from '../../src/sandbox/pki.js';
import { vectorsOrSkip } from '../helpers/paths.js';

const content = Buffer.from('KZ challenge: 8fJ2kQ0pLmN3xYz1aB4cD5eF6gH7iJ\nвторая строка', 'utf8');

describe('CMS SignedData', () => {
  let dir: string;
  let pki: SandboxPki;
  let key: SoftwareKey;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-cms-'));
    pki = await createSandboxPki(dir, [{ name: 'u', commonName: 'ТЕСТОВ ТЕСТ', iin: '900101300017', encryption: 'aes-256' }]);
    const u = pki.users['u']!;
    key = openPkcs12(await readFile(u.p12Path), (await readFile(u.passwordRef.slice(5), 'utf8')).trim(), u.p12Path);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const opensslVerify = async (cms: Buffer, extra: string[] = []) => {
    const cmsPath = join(dir, `sig-${Math.random()}.der`);
    await writeFile(cmsPath, cms);
    const { stdout } = await runOpenssl([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      cmsPath,
      '-CAfile',
      pki.caCertPath,
      '-purpose',
      'any',
      ...extra,
    ]);
    return stdout;
  };

  it('attached: openssl cms -verify accepts it and returns the exact content', async () => {
    const cms = await signCmsRsaSha256({ content, privateKey: key.privateKey, certificates: key.certificates, detached: false });
    assert.deepEqual(await opensslVerify(cms), content);
  });

  it('detached: openssl cms -verify accepts it with the content supplied', async () => {
    const cms = await signCmsRsaSha256({ content, privateKey: key.privateKey, certificates: key.certificates, detached: true });
    const contentPath = join(dir, 'content.bin');
    await writeFile(contentPath, content);
    await opensslVerify(cms, ['-content', contentPath]);
    const v = await verifyCms(cms, content);
    assert.equal(v.signatureValid, true);
    assert.equal(v.encapsulatedContent, undefined);
  });

  it('openssl rejects a signature over different content', async () => {
    const cms = await signCmsRsaSha256({ content, privateKey: key.privateKey, certificates: key.certificates, detached: true });
    const otherPath = join(dir, 'other.bin');
    await writeFile(otherPath, Buffer.from('something else'));
    await assert.rejects(
      opensslVerify(cms, ['-content', otherPath]),
      (e: unknown) => e instanceof OpensslError && /digest failure|verification failure/i.test(e.stderr),
    );
    assert.equal((await verifyCms(cms, Buffer.from('something else'))).signatureValid, false);
  });

  it('verifyCms accepts a CMS made by openssl cms -sign and reads its content, signer and time', async () => {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    const dataPath = join(dir, 'data.bin');
    await writeFile(keyPath, key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    await writeFile(certPath, key.certificates[0]!.toString());
    await writeFile(dataPath, content);
    const { stdout } = await runOpenssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-md',
      'sha256',
      '-in',
      dataPath,
      '-signer',
      certPath,
      '-inkey',
      keyPath,
      '-outform',
      'DER',
    ]);
    const v = await verifyCms(stdout);
    assert.equal(v.signatureValid, true);
    assert.deepEqual(v.encapsulatedContent, content);
    assert.equal(v.signerCertificate?.serialNumber, key.certificates[0]!.serialNumber);
    assert.ok(v.signingTime && Math.abs(v.signingTime.getTime() - Date.now()) < 120_000);
    assert.ok(isIssuedBy(v.signerCertificate!, pki.caCertificate));
  });

  it('verifyCms detects a tampered signature', async () => {
    const cms = await signCmsRsaSha256({ content, privateKey: key.privateKey, certificates: key.certificates, detached: false });
    const tampered = Buffer.from(cms);
    tampered[tampered.length - 10]! ^= 0xff; // inside the RSA signature value, the last field
    assert.equal((await verifyCms(tampered)).signatureValid, false);
    assert.equal((await verifyCms(cms)).signatureValid, true);
  });

  it('reads DER, PEM and base64 input alike', async () => {
    const cms = await signCmsRsaSha256({ content, privateKey: key.privateKey, certificates: key.certificates, detached: false });
    const pem = `-----BEGIN CMS-----\n${cms.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CMS-----\n`;
    assert.deepEqual(cmsToDer(pem), cms);
    assert.deepEqual(cmsToDer(cms.toString('base64')), cms);
    assert.deepEqual(cmsToDer(cms), cms);
  });

  it('signs with the NCA RK RSA test key (Cyrillic DN) so that openssl finds the signer', async (t) => {
    const p12 = vectorsOrSkip(t, 'nca', 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12');
    const ca = vectorsOrSkip(t, 'nca', 'nca_rsa_test.crt');
    if (!p12 || !ca) return;
    const nca = openPkcs12(await readFile(p12), 'Qwerty12', p12);
    const cms = await signCmsRsaSha256({ content, privateKey: nca.privateKey, certificates: nca.certificates, detached: false });
    const cmsPath = join(dir, 'nca.der');
    await writeFile(cmsPath, cms);
    // The NCA test certificates expired in 2019: check the signature and signer lookup, not validity.
    const { stdout } = await runOpenssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', cmsPath, '-noverify']);
    assert.deepEqual(stdout, content);
    assert.equal((await verifyCms(cms)).signatureValid, true);
  });

  it('writes DER: OpenSSL re-encoding the parsed CMS gives the same bytes (sorted signed attributes, definite lengths)', async (t) => {
    const p12 = vectorsOrSkip(t, 'nca', 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12');
    if (!p12) return;
    const nca = openPkcs12(await readFile(p12), 'Qwerty12', p12);
    for (const detached of [false, true]) {
      const cms = await signCmsRsaSha256({ content, privateKey: nca.privateKey, certificates: nca.certificates, detached });
      const cmsPath = join(dir, `der-${detached}.der`);
      await writeFile(cmsPath, cms);
      const { stdout } = await runOpenssl(['cms', '-cmsout', '-inform', 'DER', '-outform', 'DER', '-in', cmsPath]);
      assert.ok(stdout.equals(cms), `detached=${detached}: OpenSSL's DER differs from ours`);
    }
  });
});
