// Kazakh GOST signatures against NCA RK's own test material (../shared/vectors/nca) and, as an
// independent oracle, OpenSSL + gost-engine with the OIDs relabelled to the Russian ones and the
// signature bytes reversed (../shared/notes/kz-gost.md says why each step is needed).
import assert from 'node:assert/strict';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  checkCertificate,
  isIssuedBy,
  kzGostPublicKeyOfCertificate,
  verifyCertificateSignature,
} from '../../src/crypto/certificates/check.js';
import { runGostOpenssl } from '../../src/crypto/openssl-gost-engine.js';
import { runOpenssl, withPrivateTempDir } from '../../src/crypto/openssl.js';
import { cmsSignerOf } from '../../src/crypto/keys/signer.js';
import { selfSignedKzGostCertificate } from '../helpers/kz-gost-certificates.js';
import {
  decodeKzGostPublicKey,
  encodeKzGostPublicKey,
  generateKzGostKey,
  KZ_GOST,
  kzGostPrivateKeyFromPkcs8,
  kzGostPublicKeyOf,
  kzGostSign,
  kzGostSignDigest,
  kzGostVerify,
  kzGostVerifyDigest,
  sameKzGostPublicKey,
  type KzGostAlgorithm,
  type KzGostPrivateKey,
} from '../../src/crypto/gost/kz-gost.js';
import { openKeyStore, openPkcs12 } from '../../src/crypto/keys/pkcs12.js';
import { FailureType, KeyStoreError } from '../../src/common/errors.js';
import { vectorsOrSkip } from '../helpers/paths.js';

const GOSTKNCA = 'GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12';
const NCA_PASSWORD = 'Qwerty12';

async function nca(t: TestContext, file: string): Promise<Buffer | undefined> {
  const path = vectorsOrSkip(t, 'nca', file);
  return path ? readFile(path) : undefined;
}

async function gostKnca(t: TestContext) {
  const der = await nca(t, GOSTKNCA);
  if (!der) return undefined;
  const store = openKeyStore(der, NCA_PASSWORD, GOSTKNCA);
  assert.equal(store.key.kind, 'kz-gost');
  return { store, key: (store.key as { gost: KzGostPrivateKey }).gost, certificate: store.certificates[0]! };
}

const randomKey = generateKzGostKey;

/** The RFC 4491 layout, s ‖ r big-endian: the byte reversal of NCA's r ‖ s little-endian. */
const rfcLayout = (signature: Uint8Array) => Buffer.from(signature).reverse();

describe('Kazakh GOST 34.310-2004 against NCA RK test certificates', () => {
  it("the test CA's key verifies ceo_valid_sign_2004_gost.cer, and a tampered TBS fails", async (t) => {
    const [caDer, leafDer] = [await nca(t, 'nca_gost_test.crt'), await nca(t, 'ceo_valid_sign_2004_gost.cer')];
    if (!caDer || !leafDer) return;
    const ca = new X509Certificate(caDer);
    const leaf = new X509Certificate(leafDer);
    assert.equal(verifyCertificateSignature(leaf, ca), true);
    assert.equal(isIssuedBy(leaf, ca), true);

    const parsed = pkijs.Certificate.fromBER(new Uint8Array(leaf.raw));
    const key = kzGostPublicKeyOfCertificate(ca)!;
    assert.equal(key.algorithm, KZ_GOST.gost2004);
    const tbs = Buffer.from(parsed.tbsView);
    const signature = parsed.signatureValue.valueBlock.valueHexView;
    assert.equal(kzGostVerify(key, tbs, signature), true);
    tbs[tbs.length - 40]! ^= 0x01;
    assert.equal(kzGostVerify(key, tbs, signature), false);
    // The same through the certificate check: the serial number's last byte changed (still parses).
    const tampered = Buffer.from(leaf.raw);
    const serial = Buffer.from(leaf.serialNumber, 'hex');
    const at = tampered.indexOf(serial) + serial.length - 1;
    tampered[at]! ^= 0x01;
    assert.notEqual(new X509Certificate(tampered).serialNumber, leaf.serialNumber);
    assert.equal(verifyCertificateSignature(new X509Certificate(tampered), ca), false);
  });

  it('refuses out-of-range and malformed signatures and keys: r or s 0 or ≥ q, wrong length, off-curve or zero point', () => {
    const key = generateKzGostKey(KZ_GOST.gost2004);
    const pub = kzGostPublicKeyOf(key);
    const message = Buffer.from('m');
    const good = kzGostSign(key, message);
    assert.equal(kzGostVerify(pub, message, good), true);
    const q = KZ_GOST.gost2004.Point.CURVE().n;
    const le = (n: bigint) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse();
    const [r, s] = [good.subarray(0, 32), good.subarray(32)];
    for (const [what, sig] of [
      ['r = 0', Buffer.concat([le(0n), s])],
      ['s = 0', Buffer.concat([r, le(0n)])],
      ['r = q', Buffer.concat([le(q), s])],
      ['s = q', Buffer.concat([r, le(q)])],
      ['r + q would overflow: s = q + 1', Buffer.concat([r, le(q + 1n)])],
      ['63 bytes', good.subarray(0, 63)],
      ['65 bytes', Buffer.concat([good, Buffer.of(0)])],
      ['empty', Buffer.alloc(0)],
    ] as const)
      assert.equal(kzGostVerify(pub, message, sig), false, what);
    const raw = Buffer.from(encodeKzGostPublicKey(pub));
    raw[40]! ^= 0x01; // Y no longer fits X
    assert.throws(() => decodeKzGostPublicKey(KZ_GOST.gost2004, raw));
    assert.throws(() => decodeKzGostPublicKey(KZ_GOST.gost2004, Buffer.alloc(64)));
    assert.throws(() => decodeKzGostPublicKey(KZ_GOST.gost2004, raw.subarray(0, 63)), /must be 64 bytes/);
  });

  it('never shows the secret scalar d when a key is logged, inspected or serialised', () => {
    const key = generateKzGostKey(KZ_GOST.gost2004);
    const d = key.secretScalar();
    const shown = [inspect(key), inspect({ store: { key } }, { depth: 5 }), JSON.stringify({ key }), String(Object.values(key))];
    for (const text of shown) {
      assert.doesNotMatch(text, new RegExp(d.toString(16)));
      assert.doesNotMatch(text, new RegExp(d.toString(10)));
    }
    assert.match(inspect(key), /redacted/);
  });

  it('signing twice with the same key and digest gives different k (fresh randomness in the hedged nonce)', () => {
    const key = generateKzGostKey(KZ_GOST.gost2004);
    const digest = KZ_GOST.gost2004.hash(Buffer.from('same'));
    const a = kzGostSignDigest(key, digest);
    const b = kzGostSignDigest(key, digest);
    assert.notDeepEqual(Buffer.from(a.subarray(0, 32)), Buffer.from(b.subarray(0, 32)), 'r = x(kG) differs, so k differed');
  });

  it('rejects the RFC 4491 s ‖ r big-endian layout of the same signature (NCA writes r ‖ s little-endian)', async (t) => {
    const [caDer, leafDer] = [await nca(t, 'nca_gost_test.crt'), await nca(t, 'ceo_valid_sign_2004_gost.cer')];
    if (!caDer || !leafDer) return;
    const parsed = pkijs.Certificate.fromBER(new Uint8Array(new X509Certificate(leafDer).raw));
    const key = kzGostPublicKeyOfCertificate(new X509Certificate(caDer))!;
    const signature = parsed.signatureValue.valueBlock.valueHexView;
    assert.equal(kzGostVerify(key, parsed.tbsView, signature), true);
    assert.equal(kzGostVerify(key, parsed.tbsView, rfcLayout(signature)), false);
  });

  it('checkCertificate reports validity at a date: valid on 2022-06-01, expired now, not yet valid in 2021', async (t) => {
    const [caDer, leafDer] = [await nca(t, 'nca_gost_test.crt'), await nca(t, 'ceo_valid_sign_2004_gost.cer')];
    if (!caDer || !leafDer) return;
    const [ca, leaf] = [new X509Certificate(caDer), new X509Certificate(leafDer)];
    const ok = checkCertificate(leaf, ca, new Date('2022-06-01'));
    assert.deepEqual([ok.valid, ok.signatureValid, ok.issuerMatches, ok.validity, ok.problems], [true, true, true, 'valid', []]);
    assert.match(ok.signatureAlgorithm, /GOST 34\.310-2004.*1\.2\.398\.3\.10\.1\.1\.1\.2/);
    const late = checkCertificate(leaf, ca, new Date('2026-12-01'));
    assert.deepEqual([late.valid, late.signatureValid, late.validity], [false, true, 'expired']);
    assert.match(late.problems.join(), /expired on 2023-01-18/);
    assert.equal(checkCertificate(leaf, ca, new Date('2021-01-01')).validity, 'not_yet_valid');
    // The wrong CA: the RSA test CA neither signed it nor is named as its issuer.
    const rsaCa = await nca(t, 'nca_rsa_test.crt');
    if (!rsaCa) return;
    const wrong = checkCertificate(leaf, new X509Certificate(rsaCa), new Date('2022-06-01'));
    assert.deepEqual([wrong.valid, wrong.signatureValid, wrong.issuerMatches], [false, false, false]);
  });

  it("the GOSTKNCA key's d·G equals its certificate's public key, and no other certificate's", async (t) => {
    const k = await gostKnca(t);
    if (!k) return;
    assert.equal(k.key.algorithm, KZ_GOST.gost2004);
    const fromCert = kzGostPublicKeyOfCertificate(k.certificate)!;
    assert.ok(sameKzGostPublicKey(kzGostPublicKeyOf(k.key), fromCert));
    assert.deepEqual(Buffer.from(encodeKzGostPublicKey(kzGostPublicKeyOf(k.key))), Buffer.from(encodeKzGostPublicKey(fromCert)));
    assert.match(k.certificate.subject, /serialNumber=IIN123456789011/);
    const other = kzGostPublicKeyOfCertificate(new X509Certificate((await nca(t, 'nca_gost_test.crt'))!))!;
    assert.equal(sameKzGostPublicKey(kzGostPublicKeyOf(k.key), other), false);
  });

  it('signs with the GOSTKNCA key and verifies with its certificate; another message or a bit flip fails', async (t) => {
    const k = await gostKnca(t);
    if (!k) return;
    const message = Buffer.from('challenge ÄÖ 123');
    const signature = kzGostSign(k.key, message);
    assert.equal(signature.length, 64);
    const publicKey = kzGostPublicKeyOfCertificate(k.certificate)!;
    assert.equal(kzGostVerify(publicKey, message, signature), true);
    assert.equal(kzGostVerify(publicKey, Buffer.from('challenge ÄÖ 124'), signature), false);
    const flipped = Buffer.from(signature);
    flipped[5]! ^= 0x80;
    assert.equal(kzGostVerify(publicKey, message, flipped), false);
    assert.equal(kzGostVerify(publicKey, message, rfcLayout(signature)), false);
    // k is fresh every time: two signatures of one message differ, both verify.
    const again = kzGostSign(k.key, message);
    assert.notDeepEqual(Buffer.from(again), Buffer.from(signature));
    assert.equal(kzGostVerify(publicKey, message, again), true);
  });
});

describe('Kazakh GOST 2015 512-bit against the NCA RK 2022 test CA', () => {
  async function root(t: TestContext) {
    const path = vectorsOrSkip(t, 'nca', 'root_test_gost_2022.pub.hex');
    const cert = await nca(t, 'nca_gost2015_test.cer');
    if (!path || !cert) return undefined;
    const raw = Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
    return { raw, key: decodeKzGostPublicKey(KZ_GOST['gost2015-512'], raw), cert: new X509Certificate(cert) };
  }

  it('the recovered root key verifies nca_gost2015_test.cer; a tampered TBS and the RFC layout fail', async (t) => {
    const r = await root(t);
    if (!r) return;
    assert.equal(verifyCertificateSignature(r.cert, r.key), true);
    const check = checkCertificate(r.cert, r.key, new Date('2023-01-01'));
    assert.deepEqual([check.valid, check.signatureValid, check.issuerMatches], [true, true, undefined]);
    assert.match(check.signatureAlgorithm, /2015 512-bit.*Streebog/);

    const parsed = pkijs.Certificate.fromBER(new Uint8Array(r.cert.raw));
    const signature = parsed.signatureValue.valueBlock.valueHexView;
    assert.equal(signature.length, 128);
    assert.equal(kzGostVerify(r.key, parsed.tbsView, rfcLayout(signature)), false);
    const tbs = Buffer.from(parsed.tbsView);
    tbs[100]! ^= 0x04;
    assert.equal(kzGostVerify(r.key, tbs, signature), false);
  });

  it("SHA-1 of the root key's OCTET STRING (04 81 80 header included) is the certificate's AKI", async (t) => {
    const r = await root(t);
    if (!r) return;
    const aki = createHash('sha1')
      .update(Buffer.concat([Buffer.from('048180', 'hex'), r.raw]))
      .digest('hex');
    assert.equal(aki, 'a7d3ab7790372e5b698170dde60ccca38bc3a4b2');
    const parsed = pkijs.Certificate.fromBER(new Uint8Array(r.cert.raw));
    const ext = parsed.extensions!.find((e) => e.extnID === '2.5.29.35')!.parsedValue as pkijs.AuthorityKeyIdentifier;
    assert.equal(Buffer.from(ext.keyIdentifier!.valueBlock.valueHexView).toString('hex'), aki);
  });

  it("the CA certificate's own key is a valid 2015 512-bit point whose SKI is SHA-1 of its OCTET STRING", async (t) => {
    const r = await root(t);
    if (!r) return;
    const key = kzGostPublicKeyOfCertificate(r.cert)!;
    assert.equal(key.algorithm, KZ_GOST['gost2015-512']);
    const ski = createHash('sha1')
      .update(Buffer.concat([Buffer.from('048180', 'hex'), encodeKzGostPublicKey(key)]))
      .digest('hex');
    const parsed = pkijs.Certificate.fromBER(new Uint8Array(r.cert.raw));
    const ext = parsed.extensions!.find((e) => e.extnID === '2.5.29.14')!.parsedValue as asn1js.OctetString;
    assert.equal(Buffer.from(ext.valueBlock.valueHexView).toString('hex'), ski);
  });

  it('sign → verify round trip with a fresh 2015 512-bit key; the RFC layout and a wrong key fail', () => {
    const key = randomKey(KZ_GOST['gost2015-512']);
    const message = randomBytes(1000);
    const signature = kzGostSign(key, message);
    assert.equal(signature.length, 128);
    const pub = kzGostPublicKeyOf(key);
    assert.equal(kzGostVerify(pub, message, signature), true);
    assert.equal(kzGostVerify(pub, message, rfcLayout(signature)), false);
    assert.equal(kzGostVerify(kzGostPublicKeyOf(randomKey(KZ_GOST['gost2015-512'])), message, signature), false);
    // Encoding round trip of the public key.
    assert.ok(sameKzGostPublicKey(decodeKzGostPublicKey(KZ_GOST['gost2015-512'], encodeKzGostPublicKey(pub)), pub));
  });
});

describe('who may issue: the issuer must be a CA allowed to sign certificates', () => {
  it('a GOST end-entity certificate issues nothing, though its key made the signature', () => {
    const key = generateKzGostKey(KZ_GOST['gost2015-512']);
    const endEntity = selfSignedKzGostCertificate(key, 'НЕ УЦ', '123456789011', 30, false);
    const check = checkCertificate(endEntity, endEntity);
    assert.deepEqual([check.valid, check.signatureValid, check.issuerMatches], [false, true, false]);
    assert.match(check.problems.join(), /not a CA that may sign certificates/);
    assert.equal(isIssuedBy(endEntity, endEntity), false);
    const ca = selfSignedKzGostCertificate(key, 'УЦ', '123456789011');
    assert.equal(isIssuedBy(ca, ca), true);
  });

  it('an RSA issuer whose keyUsage lacks keyCertSign issues nothing (OpenSSL rules, as before)', async () => {
    await withPrivateTempDir(async (dir) => {
      const f = (n: string) => join(dir, n);
      await runOpenssl([
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('ca.key'),
        '-out',
        f('ca.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=Not a CA',
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        'keyUsage=critical,digitalSignature',
      ]);
      await runOpenssl([
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('leaf.key'),
        '-out',
        f('leaf.csr'),
        '-subj',
        '/CN=Leaf',
      ]);
      await runOpenssl([
        'x509',
        '-req',
        '-in',
        f('leaf.csr'),
        '-CA',
        f('ca.pem'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-days',
        '1',
        '-out',
        f('leaf.pem'),
      ]);
      const [caCert, leaf] = [new X509Certificate(await readFile(f('ca.pem'))), new X509Certificate(await readFile(f('leaf.pem')))];
      assert.equal(verifyCertificateSignature(leaf, caCert), true, 'the key did sign it');
      assert.equal(isIssuedBy(leaf, caCert), false);
      const check = checkCertificate(leaf, caCert);
      assert.deepEqual([check.valid, check.signatureValid, check.issuerMatches], [false, true, false]);
    });
  });
});

describe('Kazakh GOST keys in PKCS#12: the same loader and errors as RSA', () => {
  it('an EC key opens for Node-crypto uses; the CMS signer refuses it, naming what it takes', async () => {
    await withPrivateTempDir(async (dir) => {
      const f = (n: string) => join(dir, n);
      await runOpenssl([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        f('k.pem'),
        '-out',
        f('c.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=EC',
      ]);
      await runOpenssl(['pkcs12', '-export', '-inkey', f('k.pem'), '-in', f('c.pem'), '-out', f('ec.p12'), '-passout', 'pass:pw']);
      const store = openKeyStore(await readFile(f('ec.p12')), 'pw', 'ec.p12');
      assert.equal(store.key.kind, 'node');
      assert.equal(store.key.kind === 'node' && store.key.keyObject.asymmetricKeyType, 'ec');
      assert.equal(openPkcs12(await readFile(f('ec.p12')), 'pw', 'ec.p12').privateKey.asymmetricKeyType, 'ec');
      assert.throws(
        () => cmsSignerOf(store, 'ec.p12'),
        (e: unknown) =>
          e instanceof KeyStoreError &&
          e.type === FailureType.UnsupportedKey &&
          /EC key; CMS signing takes RSA or Kazakh GOST keys/.test(e.message),
      );
    });
  });

  it('a wrong password says so, as for RSA', async (t) => {
    const der = await nca(t, GOSTKNCA);
    if (!der) return;
    assert.throws(
      () => openKeyStore(der, 'wrong', GOSTKNCA, 'env:NCA_PASSWORD'),
      (e: unknown) => e instanceof KeyStoreError && /wrong password/.test(e.message) && /env:NCA_PASSWORD/.test(e.message),
    );
  });

  it('a damaged file is not readable PKCS#12', async (t) => {
    const der = await nca(t, GOSTKNCA);
    if (!der) return;
    assert.throws(() => openKeyStore(der.subarray(0, 600), NCA_PASSWORD, GOSTKNCA), /not a readable PKCS#12 file/);
  });

  it('a damaged private key (d out of range, not an INTEGER, unknown curve) is refused with a reason', () => {
    const pkcs8 = (inner: asn1js.BaseBlock, curve = KZ_GOST.gost2004.curveOid) =>
      new Uint8Array(
        new asn1js.Sequence({
          value: [
            new asn1js.Integer({ value: 0 }),
            new asn1js.Sequence({
              value: [
                new asn1js.ObjectIdentifier({ value: KZ_GOST.gost2004.keyOid }),
                new asn1js.Sequence({
                  value: [new asn1js.ObjectIdentifier({ value: curve }), new asn1js.ObjectIdentifier({ value: KZ_GOST.gost2004.hashOid })],
                }),
              ],
            }),
            new asn1js.OctetString({ valueHex: inner.toBER(false) }),
          ],
        }).toBER(false),
      );
    assert.throws(() => kzGostPrivateKeyFromPkcs8(pkcs8(new asn1js.Integer({ value: 0 }))), /out of range/);
    assert.throws(() => kzGostPrivateKeyFromPkcs8(pkcs8(new asn1js.OctetString({ valueHex: new Uint8Array(32) }))), /not a DER INTEGER/);
    assert.throws(
      () => kzGostPrivateKeyFromPkcs8(pkcs8(new asn1js.Integer({ value: 5 }), '1.2.398.3.10.1.1.1.1.9')),
      (e: unknown) =>
        e instanceof KeyStoreError &&
        e.type === FailureType.UnsupportedKey &&
        /curve parameters 1\.2\.398\.3\.10\.1\.1\.1\.1\.9/.test(e.message),
    );
    assert.equal(kzGostPrivateKeyFromPkcs8(pkcs8(new asn1js.Integer({ value: 5 }))).secretScalar(), 5n);
  });

  it('the 256-bit GOST 2015 key, which no vector pins, is refused with the reason', () => {
    const der = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 0 }),
        new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.398.3.10.1.1.2.1' })] }),
        new asn1js.OctetString({ valueHex: new asn1js.Integer({ value: 7 }).toBER(false) }),
      ],
    }).toBER(false);
    assert.throws(
      () => kzGostPrivateKeyFromPkcs8(new Uint8Array(der)),
      (e: unknown) =>
        e instanceof KeyStoreError && e.type === FailureType.UnsupportedKey && /256-bit.*no published test vector/.test(e.message),
    );
  });

  it('uses that need Node crypto (TLS, JWS, decryption) refuse the GOST key saying what it can do', async (t) => {
    const der = await nca(t, GOSTKNCA);
    if (!der) return;
    assert.throws(
      () => openPkcs12(der, NCA_PASSWORD, GOSTKNCA),
      (e: unknown) =>
        e instanceof KeyStoreError &&
        e.type === FailureType.UnsupportedKey &&
        /GOST 34\.310-2004.*signs CMS with it.*needs an RSA or EC key/.test(e.message),
    );
  });
});

// ---- OpenSSL + gost-engine as an independent oracle --------------------------------------------

/** The Russian SPKI OpenSSL knows for the same curve: the Kazakh key relabelled, bytes unchanged. */
function russianSpkiPem(algorithm: KzGostAlgorithm, raw: Uint8Array): string {
  const params =
    algorithm.generation === 'gost2004'
      ? ['1.2.643.2.2.35.1', '1.2.643.2.2.30.1'] // CryptoPro-A curve, GOST R 34.11-94 CryptoPro (ignored for pkeyutl)
      : ['1.2.643.7.1.2.1.2.1']; // tc26-512-A
  const spki = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: algorithm.generation === 'gost2004' ? '1.2.643.2.2.19' : '1.2.643.7.1.1.1.2' }),
          new asn1js.Sequence({ value: params.map((value) => new asn1js.ObjectIdentifier({ value })) }),
        ],
      }),
      new asn1js.BitString({ valueHex: new asn1js.OctetString({ valueHex: raw }).toBER(false) }),
    ],
  });
  const b64 = Buffer.from(spki.toBER(false)).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${b64.replace(/(.{64})/g, '$1\n')}\n-----END PUBLIC KEY-----\n`;
}

/** The X ‖ Y bytes of an OpenSSL GOST public key (DER SPKI): the same little-endian layout as NCA's. */
function rawOfSpki(der: Uint8Array): Uint8Array {
  const spki = asn1js.fromBER(new Uint8Array(der)).result as asn1js.Sequence;
  const bits = spki.valueBlock.value[1] as asn1js.BitString;
  return (asn1js.fromBER(bits.valueBlock.valueHexView).result as asn1js.OctetString).valueBlock.valueHexView;
}

describe('cross-check with OpenSSL + gost-engine (relabelled OIDs, reversed signature bytes)', () => {
  it('2015 512-bit: OpenSSL verifies our signatures (dgst -md_gost12_512) and we verify OpenSSL-made ones', async () => {
    const alg = KZ_GOST['gost2015-512'];
    await withPrivateTempDir(async (dir, write) => {
      for (let i = 0; i < 3; i++) {
        const data = randomBytes(100 + i * 70);
        const dataPath = await write(`data${i}`, data);
        // Ours → OpenSSL.
        const key = randomKey(alg);
        const pub = await write(`pub${i}.pem`, russianSpkiPem(alg, encodeKzGostPublicKey(kzGostPublicKeyOf(key))));
        const sig = await write(`sig${i}`, rfcLayout(kzGostSign(key, data)));
        const out = await runGostOpenssl(['dgst', '-md_gost12_512', '-verify', pub, '-signature', sig, dataPath]);
        assert.match(out.stdout.toString(), /Verified OK/);
        // A wrong message fails in OpenSSL too (the check can fail).
        const other = await write(`other${i}`, Buffer.concat([data, Buffer.from('x')]));
        await assert.rejects(runGostOpenssl(['dgst', '-md_gost12_512', '-verify', pub, '-signature', sig, other]));

        // OpenSSL → ours.
        const keyPath = join(dir, `k${i}.pem`);
        await runGostOpenssl(['genpkey', '-algorithm', 'gost2012_512', '-pkeyopt', 'paramset:A', '-out', keyPath]);
        const spki = (await runGostOpenssl(['pkey', '-in', keyPath, '-pubout', '-outform', 'DER'])).stdout;
        const theirs = (await runGostOpenssl(['dgst', '-md_gost12_512', '-sign', keyPath, dataPath])).stdout;
        const theirKey = decodeKzGostPublicKey(alg, rawOfSpki(spki));
        assert.equal(kzGostVerify(theirKey, data, rfcLayout(theirs)), true);
        assert.equal(kzGostVerify(theirKey, data, theirs), false, 'their bytes as they are: the RFC layout, refused');
      }
    });
  });

  it('2004: OpenSSL verifies our signatures over a GOST 34.311-95 digest (pkeyutl), and we verify its signatures', async () => {
    const alg = KZ_GOST.gost2004;
    await withPrivateTempDir(async (dir, write) => {
      for (let i = 0; i < 3; i++) {
        // The engine's md_gost94 is hard-wired to the CryptoPro S-box: the test-S-box digest is ours.
        const digest = alg.hash(randomBytes(50 + i * 40));
        const digestPath = await write(`digest${i}`, digest);
        const key = randomKey(alg);
        const pub = await write(`pub${i}.pem`, russianSpkiPem(alg, encodeKzGostPublicKey(kzGostPublicKeyOf(key))));
        const sig = await write(`sig${i}`, rfcLayout(kzGostSignDigest(key, digest)));
        const out = await runGostOpenssl(['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-in', digestPath, '-sigfile', sig]);
        assert.match(out.stdout.toString(), /Signature Verified Successfully/);
        const wrongDigest = await write(`wrong${i}`, alg.hash(Buffer.from('other')));
        await assert.rejects(runGostOpenssl(['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-in', wrongDigest, '-sigfile', sig]));

        const keyPath = join(dir, `k${i}.pem`);
        await runGostOpenssl(['genpkey', '-algorithm', 'gost2001', '-pkeyopt', 'paramset:A', '-out', keyPath]);
        const spki = (await runGostOpenssl(['pkey', '-in', keyPath, '-pubout', '-outform', 'DER'])).stdout;
        const theirs = (await runGostOpenssl(['pkeyutl', '-sign', '-inkey', keyPath, '-in', digestPath])).stdout;
        const theirKey = decodeKzGostPublicKey(alg, rawOfSpki(spki));
        assert.equal(kzGostVerifyDigest(theirKey, digest, rfcLayout(theirs)), true);
        assert.equal(kzGostVerifyDigest(theirKey, digest, theirs), false);
      }
    });
  });
});
