// CMS EnvelopedData to a GOST R 34.10-2012 key, in-process: GostR3410-KeyTransport (VKO GOST R
// 34.10-2012 with Streebog-256, RFC 7836 §4.3.1, and the CryptoPro key wrap) around a GOST 28147-89
// CFB content key (RFC 4490 §5; RFC 4357). This is what Kontur sends and what `openssl cms -encrypt
// -gost89` writes. Each OpenSSL process costs ~17-23 ms; this costs ~1-3 ms.
// Anything else (Kuznyechik/Magma KExp15, key agreement, masked or 2001 keys, Edwards curves, BER)
// is reported 'unsupported', and decrypt.ts leaves it to OpenSSL + gost-engine. Checked both ways
// against gost-engine in test/unit/cms-gost-enveloped.test.ts.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { contentOf, elementsOf, issuerAndSerialOf, oid, oidToString, sequence, setOf, smallInteger, tlv, TAG } from './der.js';
import { bigintToLe, GOST_CURVE_BY_OID, leToBigint, type GostCurve } from '../gost/curves.js';
import { GOST28147_PARAM_Z, GOST28147_SBOX_BY_OID, gost28147CfbMeshed, unwrapKeyCryptoPro, wrapKeyCryptoPro } from '../gost/gost-28147.js';
import { streebog256 } from '../gost/streebog.js';

/** GOST R 34.10-2012 key OIDs (256, 512). 2001 keys use the GOST R 34.11-94 VKO: left to OpenSSL. */
const GOST2012_KEY_OIDS = new Set(['1.2.643.7.1.1.1.1', '1.2.643.7.1.1.1.2']);
const ENVELOPED_DATA = '1.2.840.113549.1.7.3';
const DATA = '1.2.840.113549.1.7.1';
const GOST28147_89 = '1.2.643.2.2.21';

type Point = ReturnType<GostCurve['Point']['fromAffine']>;

/** A recipient's GOST R 34.10-2012 private key. d is private: inspecting or logging the key shows the curve only. */
export class GostPrivateKey {
  readonly #d: bigint;
  constructor(
    readonly curve: GostCurve,
    d: bigint,
  ) {
    this.#d = d;
  }
  /** @internal VKO only. */
  scalar(): bigint {
    return this.#d;
  }
  toJSON() {
    return { curve: this.curve.name };
  }
  [inspect.custom]() {
    return `GostPrivateKey(${this.curve.name})`;
  }
}

interface GostPublicKey {
  keyOid: string;
  curve: GostCurve;
  /** Reassigned only to its precomputed equal (gostRecipient). */
  Q: Point;
  /** The SubjectPublicKeyInfo's AlgorithmIdentifier, as its DER bytes. */
  algorithmIdentifier: Buffer;
}

/** The certificate's GOST R 34.10-2012 public key on a supported curve, or undefined. */
function publicKeyOfSpki(spki: Buffer): GostPublicKey | undefined {
  try {
    const [algorithmIdentifier, bits] = elementsOf(spki);
    const [keyOid, params] = elementsOf(algorithmIdentifier!);
    if (!GOST2012_KEY_OIDS.has(oidToString(keyOid!)) || params?.[0] !== TAG.sequence) return undefined;
    const curve = GOST_CURVE_BY_OID.get(oidToString(elementsOf(params)[0]!));
    const bitString = contentOf(bits!);
    if (!curve || bits![0] !== 0x03 || bitString[0] !== 0) return undefined;
    const xy = contentOf(bitString.subarray(1));
    if (xy.length !== 2 * curve.size) return undefined;
    const Q = curve.Point.fromAffine({ x: leToBigint(xy.subarray(0, curve.size)), y: leToBigint(xy.subarray(curve.size)) });
    Q.assertValidity();
    return { keyOid: oidToString(keyOid!), curve, Q, algorithmIdentifier: algorithmIdentifier! };
  } catch {
    return undefined;
  }
}

function publicKeyOfCertificate(certificateDer: Buffer): GostPublicKey | undefined {
  try {
    const fields = elementsOf(elementsOf(certificateDer)[0]!);
    return publicKeyOfSpki(fields[(fields[0]?.[0] === TAG.context(0) ? 1 : 0) + 5]!);
  } catch {
    return undefined;
  }
}

/**
 * PKCS#8 PrivateKeyInfo (DER) of a GOST R 34.10-2012 key → the key, when it is on a supported curve
 * in one of the layouts gost-engine reads (raw little-endian bytes, an OCTET STRING of them, or an
 * INTEGER) and belongs to the certificate. Otherwise undefined: the caller keeps using OpenSSL.
 */
export function gostPrivateKeyForCertificate(pkcs8: Buffer, certificateDer: Buffer): GostPrivateKey | undefined {
  const pub = publicKeyOfCertificate(certificateDer);
  if (!pub) return undefined;
  try {
    const [, algorithmIdentifier, privateKey] = elementsOf(pkcs8);
    const [keyOid, params] = elementsOf(algorithmIdentifier!);
    if (oidToString(keyOid!) !== pub.keyOid || GOST_CURVE_BY_OID.get(oidToString(elementsOf(params!)[0]!)) !== pub.curve) return undefined;
    const raw = contentOf(privateKey!);
    let d: bigint;
    if (raw.length === pub.curve.size) d = leToBigint(raw);
    else if (raw[0] === TAG.octetString) d = leToBigint(contentOf(raw));
    else if (raw[0] === TAG.integer) d = BigInt('0x' + (contentOf(raw).toString('hex') || '0'));
    else return undefined;
    if (d <= 0n || d >= pub.curve.Point.CURVE().n) return undefined;
    // Never trust a layout guess: the scalar must give the certificate's key.
    return pub.curve.Point.BASE.multiply(d).equals(pub.Q) ? new GostPrivateKey(pub.curve, d) : undefined;
  } catch {
    return undefined;
  }
}

/** VKO_GOSTR3410_2012_256 (RFC 7836 §4.3.1): Streebog-256 of (UKM·d)·Q, X ‖ Y little-endian. */
function vko(curve: GostCurve, d: bigint, Q: Point, ukm: Uint8Array): Buffer {
  const k = (leToBigint(ukm) * d) % curve.Point.CURVE().n;
  if (k === 0n) throw new RangeError('VKO: degenerate UKM');
  const { x, y } = Q.multiply(k).toAffine();
  return Buffer.from(streebog256(Buffer.concat([bigintToLe(x, curve.size), bigintToLe(y, curve.size)])));
}

export type GostDecryptResult = Buffer | 'unsupported' | 'not-for-this-recipient';

/**
 * Decrypts `message` (DER ContentInfo) for the holder of `key`, whose certificate is
 * `certificateDer`. 'not-for-this-recipient' when the key-wrap MAC fails (wrong key or damaged
 * message); 'unsupported' for any shape this module does not implement, for OpenSSL to handle.
 */
export function decryptGostKeyTransport(message: Buffer, certificateDer: Buffer, key: GostPrivateKey): GostDecryptResult {
  try {
    const [contentType, explicit] = elementsOf(message);
    if (oidToString(contentType!) !== ENVELOPED_DATA || explicit?.[0] !== TAG.context(0)) return 'unsupported';
    const fields = elementsOf(elementsOf(explicit)[0]!);
    const at = fields[1]?.[0] === TAG.context(0) ? 2 : 1; // originatorInfo [0] is optional
    const [recipientInfos, encryptedContentInfo] = [fields[at]!, fields[at + 1]!];
    const { issuer, serialNumber } = issuerAndSerialOf(certificateDer);
    const rid = sequence(issuer, serialNumber);
    const ktri = elementsOf(recipientInfos).find((r) => r[0] === TAG.sequence && elementsOf(r)[1]?.equals(rid));
    if (!ktri) return 'unsupported';
    const [, , keyEncryptionAlgorithm, encryptedKey] = elementsOf(ktri);
    if (!GOST2012_KEY_OIDS.has(oidToString(elementsOf(keyEncryptionAlgorithm!)[0]!))) return 'unsupported';

    // GostR3410-KeyTransport ::= SEQUENCE { sessionEncryptedKey, transportParameters [0] IMPLICIT }
    const [sessionEncryptedKey, transportParameters] = elementsOf(contentOf(encryptedKey!));
    const sek = elementsOf(sessionEncryptedKey!); // { encryptedKey, maskKey [0] OPTIONAL, macKey }
    if (sek.length !== 2 || transportParameters?.[0] !== TAG.context(0)) return 'unsupported';
    const [wrapped, mac] = sek.map(contentOf) as [Buffer, Buffer];
    const tp = elementsOf(transportParameters); // { encryptionParamSet, ephemeralPublicKey [0] IMPLICIT, ukm }
    if (tp.length !== 3 || tp[1]![0] !== TAG.context(0)) return 'unsupported';
    const wrapSbox = GOST28147_SBOX_BY_OID.get(oidToString(tp[0]!));
    const ephemeral = publicKeyOfSpki(sequence(...elementsOf(tp[1]!)));
    const ukm = contentOf(tp[2]!);
    if (!wrapSbox || ephemeral?.curve !== key.curve || ukm.length !== 8 || wrapped.length !== 32 || mac.length !== 4) return 'unsupported';

    // EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT }
    const [, contentAlgorithm, encryptedContent] = elementsOf(encryptedContentInfo);
    const [algorithmOid, params] = elementsOf(contentAlgorithm!);
    if (oidToString(algorithmOid!) !== GOST28147_89 || encryptedContent?.[0] !== 0x80) return 'unsupported';
    const [iv, paramSet] = elementsOf(params!); // Gost28147-89-Parameters ::= SEQUENCE { iv, encryptionParamSet }
    const contentSbox = GOST28147_SBOX_BY_OID.get(oidToString(paramSet!));
    if (!contentSbox || contentOf(iv!).length !== 8) return 'unsupported';

    const kek = vko(key.curve, key.scalar(), ephemeral.Q, ukm);
    const cek = unwrapKeyCryptoPro(kek, wrapSbox, ukm, wrapped, mac);
    kek.fill(0);
    if (!cek) return 'not-for-this-recipient';
    const plain = gost28147CfbMeshed('decrypt', cek, contentSbox, contentOf(iv!), contentOf(encryptedContent));
    cek.fill(0);
    return plain;
  } catch {
    return 'unsupported';
  }
}

/** A recipient's certificate, read for encryption: its public key and the fields the message names. */
export interface GostRecipient {
  key: GostPublicKey;
  issuer: Buffer;
  serialNumber: Buffer;
}

/**
 * The certificate's GOST R 34.10-2012 key as a recipient, or undefined when it is not one this
 * module handles. `precompute` builds multiplication tables for the key (~60 ms for 256 bits, ~170
 * for 512, once), after which each encryption to it costs ~1 ms instead of ~3-10: for a sender
 * that encrypts to the same few certificates again and again (the Kontur simulator).
 */
export function gostRecipient(certificateDer: Buffer, options: { precompute?: boolean } = {}): GostRecipient | undefined {
  const key = publicKeyOfCertificate(certificateDer);
  if (!key) return undefined;
  if (options.precompute) key.Q = key.Q.precompute(8, false);
  return { key, ...issuerAndSerialOf(certificateDer) };
}

/**
 * Encrypts `plaintext` to the recipient as gost-engine's `cms -encrypt -gost89` does: a fresh
 * ephemeral key and UKM, the tc26 Z S-box for both the key wrap and the content.
 */
export function encryptGostKeyTransport(plaintext: Uint8Array, recipient: GostRecipient): Buffer {
  const pub = recipient.key;
  const { curve } = pub;
  const n = curve.Point.CURVE().n;
  const e = (leToBigint(randomBytes(curve.size + 8)) % (n - 1n)) + 1n;
  const E = curve.Point.BASE.multiply(e).toAffine();
  const ukm = randomBytes(8);
  const cek = randomBytes(32);
  const iv = randomBytes(8);
  const sbox = GOST28147_SBOX_BY_OID.get(GOST28147_PARAM_Z)!;
  const kek = vko(curve, e, pub.Q, ukm);
  const { encryptedKey, mac } = wrapKeyCryptoPro(kek, sbox, ukm, cek);
  const content = gost28147CfbMeshed('encrypt', cek, sbox, iv, plaintext);
  kek.fill(0);
  cek.fill(0);
  const ephemeralKey = [
    pub.algorithmIdentifier,
    tlv(0x03, Buffer.of(0), tlv(TAG.octetString, bigintToLe(E.x, curve.size), bigintToLe(E.y, curve.size))),
  ];
  const keyTransport = sequence(
    sequence(tlv(TAG.octetString, encryptedKey), tlv(TAG.octetString, mac)),
    tlv(TAG.context(0), oid(GOST28147_PARAM_Z), tlv(TAG.context(0), ...ephemeralKey), tlv(TAG.octetString, ukm)),
  );
  const recipientInfo = sequence(
    smallInteger(0),
    sequence(recipient.issuer, recipient.serialNumber),
    pub.algorithmIdentifier,
    tlv(TAG.octetString, keyTransport),
  );
  const encryptedContentInfo = sequence(
    oid(DATA),
    sequence(oid(GOST28147_89), sequence(tlv(TAG.octetString, iv), oid(GOST28147_PARAM_Z))),
    tlv(0x80, content),
  );
  return sequence(oid(ENVELOPED_DATA), tlv(TAG.context(0), sequence(smallInteger(0), setOf(recipientInfo), encryptedContentInfo)));
}
