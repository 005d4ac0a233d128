// Kazakh GOST signatures (NCA RK keys): GOST 34.310-2004 and GOST 2015 512-bit, sign and verify.
// The mathematics is GOST R 34.10-2001/2012; what is Kazakh are the OIDs, the hash of the 2004
// generation (GOST 34.311-95 = R 34.11-94 with the *test* S-box) and the byte orders below. Every
// choice here was pinned against NCA's own test certificates: see ../shared/notes/kz-gost.md and
// test/unit/kz-gost.test.ts. Curve arithmetic is @noble/curves (audited); the hashes are ours, pinned
// to the RFC vectors. Wire formats, as NCA writes them:
//   public key   OCTET STRING of X ‖ Y, each little-endian (as RFC 4491)
//   signature    r ‖ s, each little-endian: the byte reversal of RFC 4491's big-endian s ‖ r
//   private key  PKCS#8 v0 whose privateKey OCTET STRING holds a DER INTEGER d (big-endian)
//   e            the digest read as a little-endian integer, mod q; 0 becomes 1
import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import * as asn1js from 'asn1js';
import { type WeierstrassPoint, type WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { bigintToLe, CRYPTOPRO_A, leToBigint, TC26_512_A } from './curves.js';
import { gostR341194 } from './gost-r-34-11-94.js';
import { streebog512 } from './streebog.js';
import { FailureType, KeyStoreError } from '../../common/errors.js';

export type KzGostGeneration = 'gost2004' | 'gost2015-512';

export interface KzGostAlgorithm {
  generation: KzGostGeneration;
  /** For people: names the standard. */
  name: string;
  keyOid: string;
  /** The curve parameter OID in the key's AlgorithmIdentifier. */
  curveOid: string;
  /** The signature algorithm OID (certificates, CMS SignerInfo.signatureAlgorithm). */
  signatureOid: string;
  /** The hash OID in the key's parameters (SubjectPublicKeyInfo). */
  hashOid: string;
  /** The digest OID NCA's CMS writes (SignedData.digestAlgorithms, SignerInfo.digestAlgorithm). */
  cmsDigestOid: string;
  hashName: string;
  hash: (data: Uint8Array) => Uint8Array;
  /** Bytes per coordinate and per signature half. */
  size: 32 | 64;
  Point: WeierstrassPointCons<bigint>;
}

export const KZ_GOST: Record<KzGostGeneration, KzGostAlgorithm> = {
  gost2004: {
    generation: 'gost2004',
    name: 'GOST 34.310-2004 (Kazakhstan)',
    keyOid: '1.2.398.3.10.1.1.1.1',
    curveOid: '1.2.398.3.10.1.1.1.1.1',
    signatureOid: '1.2.398.3.10.1.1.1.2',
    hashOid: '1.2.398.3.10.1.3.1.1.0',
    // Not the parameter OID above: every Kalkan/NCALayer CMS sample found writes this one.
    cmsDigestOid: '1.2.398.3.10.1.3.1',
    hashName: 'GOST 34.311-95',
    hash: (data) => gostR341194(data),
    size: 32,
    Point: CRYPTOPRO_A.Point,
  },
  'gost2015-512': {
    generation: 'gost2015-512',
    name: 'GOST 34.310-2015 512-bit (Kazakhstan)',
    keyOid: '1.2.398.3.10.1.1.2.2',
    curveOid: '1.2.398.3.10.1.1.2.2.1',
    signatureOid: '1.2.398.3.10.1.1.2.3.2',
    hashOid: '1.2.398.3.10.1.3.3',
    cmsDigestOid: '1.2.398.3.10.1.3.3',
    hashName: 'GOST 34.311-2015 (Streebog-512)',
    hash: streebog512,
    size: 64,
    Point: TC26_512_A.Point,
  },
};

/**
 * Kazakh key OIDs we recognise but refuse: the 256-bit GOST 2015 key has no published vector to pin
 * its curve, hash and byte order against, and a signature no one can check is worse than none.
 */
export const KZ_GOST_REFUSED: Record<string, string> = {
  '1.2.398.3.10.1.1.2.1':
    'GOST 34.310-2015 256-bit (Kazakhstan): no published test vector pins its parameters, so trustflow refuses it rather than sign unverifiably; use the GOST 2004 or GOST 2015 512-bit key NCA RK issues',
  // Some Kalkan code names these "GOST 2015" keys; as a key algorithm they are not verified anywhere.
  '1.2.398.3.10.1.1.2.3.1':
    'a GOST 2015 (Kazakhstan) key labelled with the 256-bit signature OID 1.2.398.3.10.1.1.2.3.1: this key layout is not verified against any published vector, so trustflow refuses it',
  '1.2.398.3.10.1.1.2.3.2':
    'a GOST 2015 (Kazakhstan) key labelled with the 512-bit signature OID 1.2.398.3.10.1.1.2.3.2 instead of the key OID 1.2.398.3.10.1.1.2.2: this key layout is not verified against any published vector, so trustflow refuses it',
};

const byKeyOid = new Map(Object.values(KZ_GOST).map((a) => [a.keyOid, a]));
const bySignatureOid = new Map(Object.values(KZ_GOST).map((a) => [a.signatureOid, a]));

export const kzGostByKeyOid = (oid: string): KzGostAlgorithm | undefined => byKeyOid.get(oid);
export const kzGostBySignatureOid = (oid: string): KzGostAlgorithm | undefined => bySignatureOid.get(oid);
export const isKzGostKeyOid = (oid: string): boolean => byKeyOid.has(oid) || oid in KZ_GOST_REFUSED;

/**
 * A Kazakh GOST private key. The secret scalar d lives in a private field: logging, inspecting or
 * JSON-serialising the key (or a key store holding it) shows the algorithm, never d.
 */
export class KzGostPrivateKey {
  readonly #d: bigint;
  constructor(
    readonly algorithm: KzGostAlgorithm,
    d: bigint,
  ) {
    if (d <= 0n || d >= algorithm.Point.CURVE().n) throw new RangeError(`${algorithm.name} private key is out of range`);
    this.#d = d;
  }
  /** The secret scalar, for the signing code and tests only. */
  secretScalar(): bigint {
    return this.#d;
  }
  toJSON(): object {
    return { algorithm: this.algorithm.name, d: '[redacted]' };
  }
  [inspect.custom](): string {
    return `KzGostPrivateKey { ${this.algorithm.name}, d: [redacted] }`;
  }
}

export interface KzGostPublicKey {
  algorithm: KzGostAlgorithm;
  Q: WeierstrassPoint<bigint>;
}

// ---- byte orders -------------------------------------------------------------------------------

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;

function modInverse(a: bigint, m: bigint): bigint {
  // Extended Euclid: only ever applied to the public e and the public signature parts.
  let [r0, r1, t0, t1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, t0, t1] = [r1, r0 - q * r1, t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return mod(t0, m);
}

/** e = digest as a little-endian integer mod q, 0 → 1 (GOST R 34.10, as NCA computes it). */
function digestToE(alg: KzGostAlgorithm, digest: Uint8Array): bigint {
  const e = mod(leToBigint(digest), alg.Point.CURVE().n);
  return e === 0n ? 1n : e;
}

// ---- keys ---------------------------------------------------------------------------------------

/** A fresh private key from the CSPRNG (tests, benchmarks; NCA RK issues production keys). */
export function generateKzGostKey(algorithm: KzGostAlgorithm): KzGostPrivateKey {
  const q = algorithm.Point.CURVE().n;
  return new KzGostPrivateKey(algorithm, (leToBigint(randomBytes(algorithm.size + 8)) % (q - 1n)) + 1n);
}

/** The public key X ‖ Y (little-endian each) of a private key, as NCA writes it in certificates. */
export function kzGostPublicKeyOf(key: KzGostPrivateKey): KzGostPublicKey {
  return { algorithm: key.algorithm, Q: key.algorithm.Point.BASE.multiply(key.secretScalar()) };
}

export function encodeKzGostPublicKey(key: KzGostPublicKey): Uint8Array {
  const { x, y } = key.Q.toAffine();
  return Buffer.concat([bigintToLe(x, key.algorithm.size), bigintToLe(y, key.algorithm.size)]);
}

/** X ‖ Y little-endian (64 or 128 bytes) → a point checked to lie on the curve. */
export function decodeKzGostPublicKey(alg: KzGostAlgorithm, raw: Uint8Array): KzGostPublicKey {
  if (raw.length !== 2 * alg.size) throw new Error(`${alg.name} public key must be ${2 * alg.size} bytes, got ${raw.length}`);
  const Q = alg.Point.fromAffine({ x: leToBigint(raw.subarray(0, alg.size)), y: leToBigint(raw.subarray(alg.size)) });
  Q.assertValidity();
  return { algorithm: alg, Q };
}

const sameKey = (a: KzGostPublicKey, b: KzGostPublicKey) => a.algorithm === b.algorithm && a.Q.equals(b.Q);
export { sameKey as sameKzGostPublicKey };

/**
 * SubjectPublicKeyInfo (DER, or its parsed asn1js form) → the Kazakh GOST public key, or undefined
 * when the key is of another algorithm. Throws for a Kazakh key that is refused or malformed.
 */
export function kzGostPublicKeyFromSpki(spki: Uint8Array): KzGostPublicKey | undefined {
  const parsed = asn1js.fromBER(new Uint8Array(spki));
  if (parsed.offset === -1) throw new Error('not a DER SubjectPublicKeyInfo');
  const seq = parsed.result as asn1js.Sequence;
  const algId = seq.valueBlock.value[0] as asn1js.Sequence | undefined;
  const bits = seq.valueBlock.value[1] as asn1js.BitString | undefined;
  const oid = (algId?.valueBlock.value[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock.toString();
  if (!oid || !bits) throw new Error('not a SubjectPublicKeyInfo');
  if (KZ_GOST_REFUSED[oid]) throw new KeyStoreError(KZ_GOST_REFUSED[oid], FailureType.UnsupportedKey);
  const alg = kzGostByKeyOid(oid);
  if (!alg) return undefined;
  const params = algId?.valueBlock.value[1] as asn1js.Sequence | undefined;
  const curveOid = (params?.valueBlock.value[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock.toString();
  if (curveOid !== undefined && curveOid !== alg.curveOid)
    throw new KeyStoreError(`${alg.name} key with curve parameters ${curveOid}: only ${alg.curveOid} is known`, FailureType.UnsupportedKey);
  // The BIT STRING holds a DER OCTET STRING of X ‖ Y.
  const inner = asn1js.fromBER(bits.valueBlock.valueHexView);
  if (inner.offset === -1 || !(inner.result instanceof asn1js.OctetString))
    throw new Error(`${alg.name} public key is not an OCTET STRING`);
  return decodeKzGostPublicKey(alg, inner.result.valueBlock.valueHexView);
}

/**
 * PKCS#8 PrivateKeyInfo (DER) of a Kazakh GOST key → the key. The privateKey OCTET STRING holds a
 * DER INTEGER d, big-endian (unlike the little-endian public key): verified with the GOSTKNCA test key.
 */
export function kzGostPrivateKeyFromPkcs8(der: Uint8Array): KzGostPrivateKey {
  const parsed = asn1js.fromBER(new Uint8Array(der));
  const seq = parsed.offset === -1 ? undefined : (parsed.result as asn1js.Sequence);
  const algId = seq?.valueBlock.value[1] as asn1js.Sequence | undefined;
  const oid = (algId?.valueBlock.value[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock.toString() ?? 'unknown';
  if (KZ_GOST_REFUSED[oid]) throw new KeyStoreError(KZ_GOST_REFUSED[oid], FailureType.UnsupportedKey);
  const alg = kzGostByKeyOid(oid);
  if (!alg) throw new KeyStoreError(`key algorithm ${oid} is not a Kazakh GOST key`, FailureType.UnsupportedKey);
  const params = algId?.valueBlock.value[1] as asn1js.Sequence | undefined;
  const curveOid = (params?.valueBlock.value[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock.toString();
  if (curveOid !== undefined && curveOid !== alg.curveOid)
    throw new KeyStoreError(`${alg.name} key with curve parameters ${curveOid}: only ${alg.curveOid} is known`, FailureType.UnsupportedKey);
  const octets = seq?.valueBlock.value[2];
  if (!(octets instanceof asn1js.OctetString)) throw new KeyStoreError(`${alg.name} private key: no privateKey OCTET STRING`);
  const inner = asn1js.fromBER(octets.valueBlock.valueHexView);
  if (inner.offset === -1 || !(inner.result instanceof asn1js.Integer))
    throw new KeyStoreError(`${alg.name} private key: the privateKey is not a DER INTEGER (unknown layout)`);
  const d = BigInt('0x' + (Buffer.from(inner.result.valueBlock.valueHexView).toString('hex') || '0'));
  if (d <= 0n || d >= alg.Point.CURVE().n) throw new KeyStoreError(`${alg.name} private key is out of range (damaged key)`);
  return new KzGostPrivateKey(alg, d);
}

/**
 * The key as NCA writes it in a p12: PKCS#8 v0 with the key's AlgorithmIdentifier (key OID; curve
 * and hash OIDs as parameters) and a privateKey OCTET STRING holding a DER INTEGER d, big-endian.
 * The inverse of kzGostPrivateKeyFromPkcs8; for the sandbox's test keys (NCA RK issues real ones).
 */
export function kzGostPrivateKeyToPkcs8(key: KzGostPrivateKey): Uint8Array {
  const alg = key.algorithm;
  return new Uint8Array(
    new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 0 }),
        new asn1js.Sequence({
          value: [
            new asn1js.ObjectIdentifier({ value: alg.keyOid }),
            new asn1js.Sequence({
              value: [new asn1js.ObjectIdentifier({ value: alg.curveOid }), new asn1js.ObjectIdentifier({ value: alg.hashOid })],
            }),
          ],
        }),
        new asn1js.OctetString({ valueHex: asn1js.Integer.fromBigInt(key.secretScalar()).toBER(false) }),
      ],
    }).toBER(false),
  );
}

// ---- sign and verify ---------------------------------------------------------------------------

/**
 * k for one signature, hedged as RFC 6979 §3.6 suggests: HMAC-SHA-512 keyed by d over the digest, 32
 * fresh CSPRNG bytes and a counter. A broken or repeated RNG (a restored VM snapshot) then still never
 * gives the same k for two different digests. 64 bits more than q, reduced: bias below 2^-64.
 */
function hedgedNonce(key: KzGostPrivateKey, digest: Uint8Array, attempt: number): bigint {
  const { size, Point } = key.algorithm;
  const q = Point.CURVE().n;
  const secret = bigintToLe(key.secretScalar(), size);
  const fresh = randomBytes(32);
  const blocks: Uint8Array[] = [];
  for (let i = 0; blocks.length * 64 < size + 8; i++)
    blocks.push(
      createHmac('sha512', secret)
        .update(digest)
        .update(fresh)
        .update(Uint8Array.of(attempt & 0xff, i))
        .digest(),
    );
  secret.fill(0);
  return (leToBigint(Buffer.concat(blocks).subarray(0, size + 8)) % (q - 1n)) + 1n;
}

/**
 * Signs a digest made with `key.algorithm.hash`; returns r ‖ s, each little-endian. k·G is
 * @noble/curves' constant-time `multiply`; the final s = r·d + k·e mod q is JavaScript BigInt
 * arithmetic, which is not guaranteed constant-time (the same limit as every pure-JS signer).
 */
export function kzGostSignDigest(key: KzGostPrivateKey, digest: Uint8Array): Uint8Array {
  const { Point, size } = key.algorithm;
  const q = Point.CURVE().n;
  const e = digestToE(key.algorithm, digest);
  for (let attempt = 0; ; attempt++) {
    const k = hedgedNonce(key, digest, attempt);
    const r = mod(Point.BASE.multiply(k).toAffine().x, q);
    if (r === 0n) continue;
    const s = mod(r * key.secretScalar() + k * e, q);
    if (s === 0n) continue;
    return Buffer.concat([bigintToLe(r, size), bigintToLe(s, size)]);
  }
}

export function kzGostSign(key: KzGostPrivateKey, message: Uint8Array): Uint8Array {
  return kzGostSignDigest(key, key.algorithm.hash(message));
}

/** True when `signature` (r ‖ s, little-endian each) is valid for `digest` under `key`. */
export function kzGostVerifyDigest(key: KzGostPublicKey, digest: Uint8Array, signature: Uint8Array): boolean {
  const { Point, size } = key.algorithm;
  if (signature.length !== 2 * size) return false;
  const q = Point.CURVE().n;
  const r = leToBigint(signature.subarray(0, size));
  const s = leToBigint(signature.subarray(size));
  if (r <= 0n || r >= q || s <= 0n || s >= q) return false;
  const v = modInverse(digestToE(key.algorithm, digest), q);
  const z1 = mod(s * v, q);
  const z2 = mod(-r * v, q);
  // Public scalars only: the variable-time double multiplication is fine (and ~1.5x faster).
  const C = Point.BASE.mulAddUnsafe(z1, key.Q, z2);
  if (C.equals(Point.ZERO)) return false;
  return mod(C.toAffine().x, q) === r;
}

export function kzGostVerify(key: KzGostPublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  return kzGostVerifyDigest(key, key.algorithm.hash(message), signature);
}
