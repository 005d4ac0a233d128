// CMS SignedData built by trustflow, checked by `openssl cms -verify`; CMS built by OpenSSL, checked
// by trustflow's verifier. Keys: a sandbox key and the published NCA RK RSA test key (Cyrillic DNs).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signCmsRsaSha256 } from '../../src/crypto/cms/sign.js';
import { verifyCms, verifyCmsDer } from '../../src/crypto/cms/verify.js';
import { verifyCmsParsed } from '../../src/crypto/cms/verify-parsed.js';
import { cmsToDer } from '../../src/crypto/cms/shared.js';
import { isIssuedBy } from '../../src/crypto/certificates/check.js';
import { openPkcs12, type SoftwareKey } from '../../src/crypto/keys/pkcs12.js';
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

// verifyCms takes a DER path (verifyCmsDer) for RSA/ECDSA signers and falls back to pkijs
// (verifyCmsParsed) for everything else. The two must never disagree: every case below goes through
// both, and the DER path must actually take the cases it claims.
describe('verifyCms: the DER path agrees with the full parser', () => {
  let dir: string;
  let key: SoftwareKey;
  let files: { key: string; cert: string; ecKey: string; ecCert: string; data: string; other: string };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-cms-diff-'));
    const pki = await createSandboxPki(dir, [{ name: 'u', commonName: 'ДИФФ ТЕСТ', iin: '900101300017', encryption: 'aes-256' }]);
    const u = pki.users['u']!;
    key = openPkcs12(await readFile(u.p12Path), (await readFile(u.passwordRef.slice(5), 'utf8')).trim(), u.p12Path);
    files = {
      key: join(dir, 'key.pem'),
      cert: join(dir, 'cert.pem'),
      ecKey: join(dir, 'ec.key'),
      ecCert: join(dir, 'ec.crt'),
      data: join(dir, 'data.bin'),
      other: join(dir, 'other.bin'),
    };
    await writeFile(files.key, key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    await writeFile(files.cert, key.certificates[0]!.toString());
    await writeFile(files.data, content);
    await writeFile(files.other, Buffer.concat([content, Buffer.from('!')]));
    await runOpenssl(
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=EC signer'].concat([
        '-days',
        '2',
        '-keyout',
        files.ecKey,
        '-out',
        files.ecCert,
      ]),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const opensslSign = async (extra: string[], signer = { cert: files.cert, key: files.key }) =>
    (
      await runOpenssl([
        'cms',
        '-sign',
        '-binary',
        '-in',
        files.data,
        '-signer',
        signer.cert,
        '-inkey',
        signer.key,
        '-outform',
        'DER',
        ...extra,
      ])
    ).stdout;
  const flip = (b: Buffer, at: number) => {
    const c = Buffer.from(b);
    c[at] = c[at]! ^ 0x01;
    return c;
  };
  const summary = (v: Awaited<ReturnType<typeof verifyCmsParsed>>) => ({
    signatureValid: v.signatureValid,
    problem: v.problem,
    signer: v.signerCertificate?.fingerprint256,
    signingTime: v.signingTime?.getTime(),
    content: v.encapsulatedContent?.toString('hex'),
    signerCount: v.signerCount,
    certificates: v.certificates.map((c) => c.fingerprint256),
  });

  it('same verdict, signer, time and content on valid, tampered and mismatched CMS', async () => {
    const ours = await signCmsRsaSha256({ content, privateKey: key.privateKey, certificates: key.certificates, detached: false });
    const oursDetached = await signCmsRsaSha256({ content, privateKey: key.privateKey, certificates: key.certificates, detached: true });
    const sha1 = await opensslSign(['-nodetach', '-md', 'sha1']);
    const sha512 = await opensslSign(['-nodetach', '-md', 'sha512']);
    const noAttributes = await opensslSign(['-nodetach', '-noattr']);
    const ec = await opensslSign(['-nodetach', '-md', 'sha256'], { cert: files.ecCert, key: files.ecKey });
    const bySki = await opensslSign(['-nodetach', '-keyid']);
    const signatureAt = (cms: Buffer) => cms.length - 10; // inside the last SignerInfo's signature
    const cases: { name: string; cms: Buffer; detached?: Buffer; derPath: boolean; valid: boolean }[] = [
      { name: 'ours, attached', cms: ours, derPath: true, valid: true },
      { name: 'ours, detached + content', cms: oursDetached, detached: content, derPath: true, valid: true },
      { name: 'ours, detached + other content', cms: oursDetached, detached: Buffer.from('other'), derPath: true, valid: false },
      { name: 'ours, detached without content', cms: oursDetached, derPath: true, valid: false },
      { name: 'ours, attached + other content', cms: ours, detached: Buffer.from('other'), derPath: true, valid: false },
      { name: 'ours, signature flipped', cms: flip(ours, signatureAt(ours)), derPath: true, valid: false },
      { name: 'ours, content flipped', cms: flip(ours, ours.indexOf(content) + 3), derPath: true, valid: false },
      { name: 'openssl sha1', cms: sha1, derPath: true, valid: true },
      { name: 'openssl sha512', cms: sha512, derPath: true, valid: true },
      { name: 'openssl without signed attributes', cms: noAttributes, derPath: true, valid: true },
      {
        name: 'openssl without signed attributes, content flipped',
        cms: flip(noAttributes, noAttributes.indexOf(content) + 1),
        derPath: true,
        valid: false,
      },
      { name: 'openssl ECDSA P-256', cms: ec, derPath: true, valid: true },
      { name: 'openssl ECDSA, signature flipped', cms: flip(ec, signatureAt(ec)), derPath: true, valid: false },
      { name: 'openssl, signer by subjectKeyIdentifier', cms: bySki, derPath: false, valid: true },
      { name: 'not a CMS', cms: Buffer.from('30030201ff', 'hex'), derPath: false, valid: false },
    ];
    for (const c of cases) {
      const fast = verifyCmsDer(c.cms, c.detached);
      const full = await verifyCmsParsed(c.cms, c.detached);
      assert.equal(fast !== undefined, c.derPath, `${c.name}: DER path ${fast ? 'taken' : 'not taken'}`);
      assert.equal(full.signatureValid, c.valid, `${c.name}: full parser's verdict`);
      if (fast) assert.deepEqual(summary(fast), summary(full), c.name);
      assert.deepEqual(summary(await verifyCms(c.cms, c.detached)), summary(full), `${c.name}: verifyCms`);
    }
  });
});
