// A Russian GOST R 34.10-2001/2012 private key read in-process (from a CryptoPro container or a
// CryptoPro PFX), in the one form the rest of trustflow takes: PKCS#8 as gost-engine writes it
// (the AlgorithmIdentifier certificates use, the scalar as little-endian bytes). Opening checks
// that the scalar gives the public key its store names (certificate, fingerprint), so a wrong
// password or a damaged file never yields a key that only fails later.
import { X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import { contentOf, elementsOf, oid, oidToString, sequence, smallInteger, tlv, TAG } from '../cms/der.js';
import { bigintToLe, GOST_CURVE_BY_OID, leToBigint, type GostCurve } from '../gost/curves.js';

/**
 * Key algorithm OIDs as certificates and PKCS#8 name them, by every OID CryptoPro stores for the
 * same key: the signature form, and the "DH"/agreement form of an exchange key.
 */
const KEY_OID_BY_STORED_OID: ReadonlyMap<string, string> = new Map([
  ['1.2.643.2.2.19', '1.2.643.2.2.19'], // GOST R 34.10-2001
  ['1.2.643.2.2.98', '1.2.643.2.2.19'], // GOST R 34.10-2001 DH
  ['1.2.643.7.1.1.1.1', '1.2.643.7.1.1.1.1'], // GOST R 34.10-2012 256
  ['1.2.643.7.1.1.6.1', '1.2.643.7.1.1.1.1'], // id-tc26-agreement-gost-3410-2012-256
  ['1.2.643.7.1.1.1.2', '1.2.643.7.1.1.1.2'], // GOST R 34.10-2012 512
  ['1.2.643.7.1.1.6.2', '1.2.643.7.1.1.1.2'], // id-tc26-agreement-gost-3410-2012-512
]);

const ALGORITHM_NAME: Record<string, string> = {
  '1.2.643.2.2.19': 'GOST R 34.10-2001',
  '1.2.643.7.1.1.1.1': 'GOST R 34.10-2012 256-bit',
  '1.2.643.7.1.1.1.2': 'GOST R 34.10-2012 512-bit',
};

/** The key OID a certificate would carry for a stored algorithm OID, or undefined when it is not a Russian GOST key. */
export const ruGostKeyOid = (storedOid: string): string | undefined => KEY_OID_BY_STORED_OID.get(storedOid);

export interface RuGostKeyParameters {
  /** As certificates name it (1.2.643.7.1.1.1.1, 1.2.643.7.1.1.1.2 or 1.2.643.2.2.19). */
  algorithm: string;
  /** The curve's parameter-set OID (XchA and CryptoPro-A name the same curve). */
  curve: string;
  /** The digest parameter OID. */
  digest: string;
}

type Point = ReturnType<GostCurve['Point']['fromAffine']>;

/** A Russian GOST private key. The scalar is private: logging or JSON shows the parameters only. */
export class RuGostPrivateKey {
  readonly #d: bigint;
  readonly #curve: GostCurve;
  #Q: Point | undefined;
  /**
   * @throws RangeError when the parameters name no supported curve or d is out of range (callers
   * turn that into their own "damaged" error).
   */
  constructor(
    readonly parameters: RuGostKeyParameters,
    d: bigint,
  ) {
    const curve = GOST_CURVE_BY_OID.get(parameters.curve);
    if (!curve) throw new RangeError(`curve ${parameters.curve} is not supported`);
    if (d <= 0n || d >= curve.Point.CURVE().n) throw new RangeError('the private key is out of range');
    this.#curve = curve;
    this.#d = d;
  }

  get algorithmName(): string {
    return ALGORITHM_NAME[this.parameters.algorithm] ?? this.parameters.algorithm;
  }

  /** Bytes per coordinate (32 or 64). */
  get size(): 32 | 64 {
    return this.#curve.size;
  }

  /** The public key as a certificate carries it: X ‖ Y, each little-endian. */
  publicKey(): Buffer {
    this.#Q ??= this.#curve.Point.BASE.multiply(this.#d);
    const { x, y } = this.#Q.toAffine();
    return Buffer.concat([bigintToLe(x, this.size), bigintToLe(y, this.size)]);
  }

  /** CryptoPro's public-key fingerprint: the first 8 bytes of X, little-endian. */
  fingerprint(): Buffer {
    return this.publicKey().subarray(0, 8);
  }

  /** True when the certificate (PEM or DER) carries this key's public key. */
  belongsTo(certificate: X509Certificate | Buffer | string): boolean {
    const der = certificate instanceof X509Certificate ? certificate.raw : new X509Certificate(certificate).raw;
    const q = publicKeyOfCertificate(der);
    return q !== undefined && q.equals(this.publicKey());
  }

  /** PKCS#8 PrivateKeyInfo (DER), as gost-engine writes it: the scalar as an OCTET STRING of little-endian bytes. */
  toPkcs8(): Buffer {
    const { algorithm, curve, digest } = this.parameters;
    return sequence(
      smallInteger(0),
      sequence(oid(algorithm), sequence(oid(curve), oid(digest))),
      tlv(TAG.octetString, bigintToLe(this.#d, this.size)),
    );
  }

  /** The same, as PEM. Only ever held in memory or written to a 0600 file the caller asked for. */
  toPkcs8Pem(): string {
    const b64 = this.toPkcs8().toString('base64').replace(/.{64}/g, '$&\n');
    return `-----BEGIN PRIVATE KEY-----\n${b64.replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  }

  toJSON() {
    return { algorithm: this.algorithmName, curve: this.parameters.curve };
  }

  [inspect.custom]() {
    return `RuGostPrivateKey(${this.algorithmName})`;
  }
}

/** The little-endian scalar bytes → a key, or a RangeError. */
export const ruGostKeyFromLe = (parameters: RuGostKeyParameters, le: Uint8Array): RuGostPrivateKey =>
  new RuGostPrivateKey(parameters, leToBigint(le));

/** The certificate's GOST public key (X ‖ Y little-endian), or undefined when it holds no Russian GOST key. */
export function publicKeyOfCertificate(certificateDer: Uint8Array): Buffer | undefined {
  try {
    const fields = elementsOf(elementsOf(certificateDer)[0]!);
    const spki = fields[(fields[0]?.[0] === TAG.context(0) ? 1 : 0) + 5]!;
    const [algorithmIdentifier, bits] = elementsOf(spki);
    if (!ALGORITHM_NAME[oidToString(elementsOf(algorithmIdentifier!)[0]!)]) return undefined;
    const bitString = contentOf(bits!);
    return bitString[0] === 0 ? contentOf(bitString.subarray(1)) : undefined;
  } catch {
    return undefined;
  }
}

/** The key parameters a certificate names: { algorithm, curve, digest }, or undefined. */
export function ruGostParametersOfCertificate(certificateDer: Uint8Array): RuGostKeyParameters | undefined {
  try {
    const fields = elementsOf(elementsOf(certificateDer)[0]!);
    const spki = fields[(fields[0]?.[0] === TAG.context(0) ? 1 : 0) + 5]!;
    const [algorithmIdentifier] = elementsOf(spki);
    const [keyOid, params] = elementsOf(algorithmIdentifier!);
    const algorithm = oidToString(keyOid!);
    if (!ALGORITHM_NAME[algorithm]) return undefined;
    const [curve, digest] = elementsOf(params!).map(oidToString);
    return { algorithm, curve: curve!, digest: digest ?? '' };
  } catch {
    return undefined;
  }
}
