// CMS SignedData with Kazakh GOST keys: the shape NCALayer's createCAdESFromBase64 gives (see
// docs/kz-gost.md), signing through the one signer factory, and verifyCms for both
// generations, attached and detached.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, it, type TestContext } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { checkCertificate } from '../../src/crypto/certificates/check.js';
import { signCmsKzGost } from '../../src/crypto/cms/kz-gost.js';
import { verifyCms } from '../../src/crypto/cms/verify.js';
import { generateKzGostKey, KZ_GOST, kzGostSign } from '../../src/crypto/gost/kz-gost.js';
import { openKeyStore } from '../../src/crypto/keys/pkcs12.js';
import { cmsSignerOf } from '../../src/crypto/keys/signer.js';
import { runOpenssl } from '../../src/crypto/openssl.js';
import { vectorsOrSkip } from '../helpers/paths.js';
import { selfSignedKzGostCertificate } from '../helpers/kz-gost-certificates.js';

const GOSTKNCA = 'GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12';

async function gostSigner(t: TestContext) {
  const path = vectorsOrSkip(t, 'nca', GOSTKNCA);
  if (!path) return undefined;
  return cmsSignerOf(openKeyStore(await readFile(path), 'Qwerty12', path), path);
}

function signerInfoOf(cms: Uint8Array): { signed: pkijs.SignedData; si: pkijs.SignerInfo } {
  const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(cms)).result });
  const signed = new pkijs.SignedData({ schema: info.content });
  return { signed, si: signed.signerInfos[0]! };
}

const content = Buffer.from('ZXhhbXBsZSBjaGFsbGVuZ2U=ÄЖ', 'utf8');

describe('CMS with the GOSTKNCA key (GOST 34.310-2004)', () => {
  it('the signer picks GOST from the key; attached CMS verifies, with content, signer and time', async (t) => {
    const signer = await gostSigner(t);
    if (!signer) return;
    assert.match(signer.algorithm, /GOST 34\.310-2004/);
    const cms = await signer.signCms(content, { detached: false });
    const v = await verifyCms(cms);
    assert.equal(v.signatureValid, true, v.reason);
    assert.deepEqual(v.encapsulatedContent, content);
    assert.equal(v.signerCertificate?.serialNumber, signer.certificate.serialNumber);
    assert.ok(v.signingTime && Math.abs(v.signingTime.getTime() - Date.now()) < 60_000);
  });

  it("writes Kalkan's shape: {OID, NULL}, issuerAndSerialNumber, four DER-sorted attributes, the signer certificate only", async (t) => {
    const signer = await gostSigner(t);
    if (!signer) return;
    const { signed, si } = signerInfoOf(await signer.signCms(content, { detached: false }));
    assert.equal(signed.version, 1);
    assert.deepEqual(
      signed.digestAlgorithms.map((a) => a.algorithmId),
      ['1.2.398.3.10.1.3.1'],
    );
    assert.ok(signed.digestAlgorithms[0]!.algorithmParams instanceof asn1js.Null);
    assert.equal(si.version, 1);
    assert.equal(si.digestAlgorithm.algorithmId, KZ_GOST.gost2004.cmsDigestOid);
    assert.ok(si.digestAlgorithm.algorithmParams instanceof asn1js.Null);
    assert.equal(si.signatureAlgorithm.algorithmId, '1.2.398.3.10.1.1.1.2');
    assert.ok(si.signatureAlgorithm.algorithmParams instanceof asn1js.Null);
    assert.ok(si.sid instanceof pkijs.IssuerAndSerialNumber);
    assert.deepEqual(
      si.signedAttrs!.attributes.map((a) => a.type),
      ['1.2.840.113549.1.9.3', '1.2.840.113549.1.9.5', '1.2.840.113549.1.9.4', '1.2.840.113549.1.9.16.2.47'],
    );
    // signingCertificateV2: SigningCertificateV2 { certs { ESSCertIDv2 { certHash = SHA-256(cert) } } }.
    const v2 = si.signedAttrs!.attributes[3]!.values[0] as asn1js.Sequence;
    const certHash = ((v2.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    assert.equal(certHash.length, 1, 'certHash only: no hashAlgorithm (SHA-256 by default), no issuerSerial');
    assert.deepEqual(
      Buffer.from((certHash[0] as asn1js.OctetString).valueBlock.valueHexView),
      createHash('sha256').update(signer.certificate.raw).digest(),
    );
    assert.equal(signed.certificates?.length, 1);
    assert.equal(si.signature.valueBlock.valueHexView.length, 64);
    // OpenSSL parses the structure (it cannot check a Kazakh signature, but it must read the CMS).
    const printed = await runOpenssl(['cms', '-cmsout', '-print', '-inform', 'DER'], {
      stdin: await signer.signCms(content, { detached: false }),
    });
    assert.match(printed.stdout.toString(), /1\.2\.398\.3\.10\.1\.1\.1\.2/);
  });

  it('detached CMS verifies only with the right content', async (t) => {
    const signer = await gostSigner(t);
    if (!signer) return;
    const cms = await signer.signCms(content, { detached: true });
    assert.equal((await verifyCms(cms)).problem, 'content-missing');
    assert.equal((await verifyCms(cms, content)).signatureValid, true);
    const wrong = await verifyCms(cms, Buffer.from('another document'));
    assert.deepEqual([wrong.signatureValid, wrong.problem], [false, 'signature-invalid']);
    assert.match(wrong.reason!, /digest does not match messageDigest/);
  });

  it('a tampered signature, tampered content or the RFC byte order fails', async (t) => {
    const signer = await gostSigner(t);
    if (!signer) return;
    const cms = await signer.signCms(content, { detached: false });
    const { si } = signerInfoOf(cms);
    const sig = Buffer.from(si.signature.valueBlock.valueHexView);
    const at = cms.indexOf(sig);
    assert.ok(at > 0);
    const flipped = Buffer.from(cms);
    flipped[at + 3]! ^= 0x01;
    assert.equal((await verifyCms(flipped)).signatureValid, false);
    const reversed = Buffer.from(cms);
    Buffer.from(sig).reverse().copy(reversed, at);
    const r = await verifyCms(reversed);
    assert.equal(r.signatureValid, false);
    assert.match(r.reason!, /signature does not verify/);
    const contentAt = cms.indexOf(content);
    const changed = Buffer.from(cms);
    changed[contentAt]! ^= 0x01;
    assert.equal((await verifyCms(changed)).signatureValid, false);
  });

  it('profile options: key OID as signatureAlgorithm (Kalkan C SDK), no signingCertificateV2, the chain; all verify', async (t) => {
    const path = vectorsOrSkip(t, 'nca', GOSTKNCA);
    if (!path) return;
    const store = openKeyStore(await readFile(path), 'Qwerty12', path);
    assert.equal(store.key.kind, 'kz-gost');
    if (store.key.kind !== 'kz-gost') return;
    const cms = signCmsKzGost({
      content,
      key: store.key.gost,
      certificates: store.certificates,
      detached: false,
      profile: { signatureAlgorithm: 'key', signingCertificateV2: false, includeChain: true },
    });
    const { si, signed } = signerInfoOf(cms);
    assert.equal(si.signatureAlgorithm.algorithmId, '1.2.398.3.10.1.1.1.1');
    assert.deepEqual(
      si.signedAttrs!.attributes.map((a) => a.type),
      ['1.2.840.113549.1.9.3', '1.2.840.113549.1.9.5', '1.2.840.113549.1.9.4'],
    );
    assert.equal(signed.certificates?.length, store.certificates.length);
    assert.equal((await verifyCms(cms)).signatureValid, true);
  });
});

describe('verifyCms refuses what a careless verifier would accept', () => {
  it('an attached CMS with different content supplied beside it is a content-mismatch, on the GOST and the RSA path', async (t) => {
    const gost = await gostSigner(t);
    const rsaPath = vectorsOrSkip(t, 'nca', 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12');
    if (!gost || !rsaPath) return;
    const rsa = cmsSignerOf(openKeyStore(await readFile(rsaPath), 'Qwerty12', rsaPath), rsaPath);
    for (const signer of [gost, rsa]) {
      const cms = await signer.signCms(content, { detached: false });
      assert.equal((await verifyCms(cms, content)).signatureValid, true, `${signer.algorithm}: same content supplied`);
      const v = await verifyCms(cms, Buffer.from('PAY 99 TENGE TO MALLORY'));
      assert.deepEqual([v.signatureValid, v.problem], [false, 'content-mismatch'], signer.algorithm);
    }
  });

  /** A correctly signed GOST CMS whose signed attributes are exactly `attrs` (built by hand, as an attacker would). */
  function craft(attrs: (digest: Uint8Array) => pkijs.Attribute[]) {
    const key = generateKzGostKey(KZ_GOST['gost2015-512']);
    const cert = pkijs.Certificate.fromBER(new Uint8Array(selfSignedKzGostCertificate(key, 'T', '123456789011').raw));
    const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs(key.algorithm.hash(content)) });
    const toSign = new Uint8Array(signedAttrs.toSchema().toBER(false));
    toSign[0] = 0x31;
    const alg = (oid: string) => new pkijs.AlgorithmIdentifier({ algorithmId: oid, algorithmParams: new asn1js.Null() });
    const signed = new pkijs.SignedData({
      version: 1,
      digestAlgorithms: [alg(key.algorithm.cmsDigestOid)],
      encapContentInfo: new pkijs.EncapsulatedContentInfo({
        eContentType: '1.2.840.113549.1.7.1',
        eContent: new asn1js.OctetString({ valueHex: content }),
      }),
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
          digestAlgorithm: alg(key.algorithm.cmsDigestOid),
          signedAttrs,
          signatureAlgorithm: alg(key.algorithm.signatureOid),
          signature: new asn1js.OctetString({ valueHex: kzGostSign(key, toSign) }),
        }),
      ],
      certificates: [cert],
    });
    return Buffer.from(
      new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: signed.toSchema(true) }).toSchema().toBER(false),
    );
  }
  const attr = (type: string, value: asn1js.BaseBlock) => new pkijs.Attribute({ type, values: [value] });
  const contentType = (oid = '1.2.840.113549.1.7.1') => attr('1.2.840.113549.1.9.3', new asn1js.ObjectIdentifier({ value: oid }));
  const messageDigest = (d: Uint8Array) => attr('1.2.840.113549.1.9.4', new asn1js.OctetString({ valueHex: d }));

  it('signed attributes without contentType, with a wrong one, or with two messageDigests fail, though the signature is good', async () => {
    assert.equal((await verifyCms(craft((d) => [contentType(), messageDigest(d)]))).signatureValid, true, 'the control verifies');
    const noType = await verifyCms(craft((d) => [messageDigest(d)]));
    assert.deepEqual(
      [noType.signatureValid, noType.reason],
      [false, 'the signed attributes need exactly one contentType, equal to the encapsulated content type'],
    );
    const wrongType = await verifyCms(craft((d) => [contentType('1.2.840.113549.1.7.2'), messageDigest(d)]));
    assert.match(wrongType.reason!, /exactly one contentType/);
    const twoDigests = await verifyCms(craft((d) => [contentType(), messageDigest(d), messageDigest(new Uint8Array(64))]));
    assert.deepEqual([twoDigests.signatureValid, twoDigests.reason], [false, 'the signed attributes need exactly one messageDigest']);
  });
});

describe('CMS with a GOST 2015 512-bit key', () => {
  it('signs and verifies attached and detached CMS with Streebog-512; its self-signed certificate checks out', async () => {
    const key = generateKzGostKey(KZ_GOST['gost2015-512']);
    const cert = selfSignedKzGostCertificate(key, 'ТЕСТ 2015', '123456789011');
    assert.equal(checkCertificate(cert, cert).valid, true);
    const signer = cmsSignerOf({ key: { kind: 'kz-gost', gost: key }, certificates: [cert] }, 'test');
    const attached = await signer.signCms(content, { detached: false });
    const v = await verifyCms(attached);
    assert.equal(v.signatureValid, true, v.reason);
    const { si } = signerInfoOf(attached);
    assert.deepEqual(
      [si.digestAlgorithm.algorithmId, si.signatureAlgorithm.algorithmId, si.signature.valueBlock.valueHexView.length],
      ['1.2.398.3.10.1.3.3', '1.2.398.3.10.1.1.2.3.2', 128],
    );
    // A 64-byte digest sorts messageDigest after signingCertificateV2 (as in NCALayer's 2015 samples).
    assert.deepEqual(
      si.signedAttrs!.attributes.map((a) => a.type),
      ['1.2.840.113549.1.9.3', '1.2.840.113549.1.9.5', '1.2.840.113549.1.9.16.2.47', '1.2.840.113549.1.9.4'],
    );
    const detached = await signer.signCms(content, { detached: true });
    assert.equal((await verifyCms(detached, content)).signatureValid, true);
    assert.equal((await verifyCms(detached, Buffer.from('x'))).signatureValid, false);
    // Signed by another 2015 key under the same certificate: refused.
    const impostor = cmsSignerOf(
      { key: { kind: 'kz-gost', gost: generateKzGostKey(KZ_GOST['gost2015-512']) }, certificates: [cert] },
      'test',
    );
    assert.equal((await verifyCms(await impostor.signCms(content, { detached: false }))).signatureValid, false);
  });
});
