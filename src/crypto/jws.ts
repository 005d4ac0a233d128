// Detached JWS (RFC 7515 Appendix F, `header..signature`) over the exact HTTP body bytes, for KISC's
// `x-jws-signature` header. KISC does not publish how it builds that value (algorithm, b64 or
// unencoded payload per RFC 7797), so both are options here rather than guesses baked in.
import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { FlattenedSign, errors as joseErrors, flattenedVerify } from 'jose';
import { FailureType, KeyStoreError, TrustflowError } from '../common/errors.js';

export type JwsAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'HS256';
/** 'unencoded' = RFC 7797 (header has b64:false and crit:["b64"], the payload is the raw bytes); 'base64url' = the classic RFC 7515 detached form. */
export type JwsPayloadMode = 'unencoded' | 'base64url';

export interface DetachedJwsOptions {
  alg: JwsAlgorithm;
  payloadMode: JwsPayloadMode;
  /** put the certificate chain (DER, base64) into x5c */
  certificates?: X509Certificate[];
  kid?: string;
}

/** A detached JWS did not verify. The message is a short reason, never key material. */
export class JwsVerificationError extends TrustflowError {
  override readonly name = 'JwsVerificationError';
  constructor(message: string) {
    super(message, FailureType.SignatureInvalid, false);
  }
}

const NEEDED: Record<JwsAlgorithm, string> = {
  // RFC 7518 3.2: the HMAC key MUST be at least as long as the hash output.
  HS256: 'a secret (HMAC) key of at least 32 bytes',
  RS256: 'an RSA key of at least 2048 bits',
  PS256: 'an RSA key of at least 2048 bits',
  ES256: 'an EC key on the P-256 curve',
};

function fitsAlgorithm(alg: JwsAlgorithm, key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails;
  switch (alg) {
    case 'HS256':
      return key.type === 'secret' && (key.symmetricKeySize ?? 0) >= 32;
    case 'RS256':
    case 'PS256':
      // Only rsaEncryption keys: WebCrypto (which jose signs with) cannot import id-RSASSA-PSS keys.
      return key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048;
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1';
  }
}

const KEY_TYPE_NAMES: Record<string, string> = {
  rsa: 'an RSA',
  'rsa-pss': 'an RSA-PSS',
  ec: 'an EC',
  ed25519: 'an Ed25519',
  ed448: 'an Ed448',
  x25519: 'an X25519',
  x448: 'an X448',
  dsa: 'a DSA',
  dh: 'a DH',
};

function describeKey(key: KeyObject): string {
  if (key.type === 'secret') return `a secret key of ${key.symmetricKeySize ?? 0} bytes`;
  const type = key.asymmetricKeyType ?? 'unknown';
  const name = KEY_TYPE_NAMES[type] ?? `a ${type}`;
  const details = key.asymmetricKeyDetails;
  const extra = details?.modulusLength ? ` (${details.modulusLength} bits)` : details?.namedCurve ? ` on curve ${details.namedCurve}` : '';
  return `${name} ${key.type} key${extra}`;
}

export async function signDetachedJws(payload: Uint8Array, key: KeyObject, opts: DetachedJwsOptions): Promise<string> {
  const { alg } = opts;
  const rightKind = alg === 'HS256' ? key.type === 'secret' : key.type === 'private';
  if (!rightKind || !fitsAlgorithm(alg, key)) {
    const needed = alg === 'HS256' ? NEEDED[alg] : NEEDED[alg].replace(/ key/, ' private key');
    throw new KeyStoreError(`${alg} signing needs ${needed}; got ${describeKey(key)}`, FailureType.UnsupportedKey);
  }
  const certificates = opts.certificates ?? [];
  // RFC 7515 4.1.6: the first x5c certificate MUST hold the signing key; a mismatch would make every
  // signature look forged to a verifier that trusts x5c.
  if (certificates[0] && key.type === 'private' && !certificates[0].checkPrivateKey(key)) {
    throw new KeyStoreError(
      `the first x5c certificate (${certificates[0].subject.replace(/\n/g, ', ')}) is not the certificate of the signing key`,
    );
  }

  // Insertion order is serialization order (jose uses JSON.stringify): alg, b64, crit gives the exact
  // header bytes of RFC 7797 4.2.
  const header: Record<string, unknown> = { alg };
  if (opts.payloadMode === 'unencoded') {
    header.b64 = false;
    header.crit = ['b64'];
  }
  if (opts.kid !== undefined) header.kid = opts.kid;
  if (certificates.length > 0) header.x5c = certificates.map((c) => c.raw.toString('base64'));

  const jws = await new FlattenedSign(payload).setProtectedHeader(header).sign(key);
  return `${jws.protected ?? ''}..${jws.signature}`;
}

export async function verifyDetachedJws(
  jws: string,
  payload: Uint8Array,
  key: KeyObject,
  opts: { algorithms: JwsAlgorithm[] },
): Promise<{ header: Record<string, unknown> }> {
  const parts = jws.split('.');
  const [encodedHeader, attached, signature] = parts;
  if (parts.length !== 3 || encodedHeader === undefined || attached === undefined || signature === undefined) {
    throw new JwsVerificationError('not a compact JWS (expected three dot-separated parts)');
  }
  if (attached !== '') throw new JwsVerificationError('not a detached JWS: it carries a payload between the dots');

  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8'));
  } catch {
    throw new JwsVerificationError('the protected header is not base64url-encoded JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new JwsVerificationError('the protected header is not a JSON object');
  }
  const { alg, b64, crit } = header as Record<string, unknown>;
  const allowed: readonly string[] = opts.algorithms;
  if (typeof alg !== 'string' || !allowed.includes(alg)) {
    throw new JwsVerificationError(`algorithm ${String(alg)} is not allowed (allowed: ${allowed.join(', ') || 'none'})`);
  }
  if (b64 !== undefined && typeof b64 !== 'boolean') throw new JwsVerificationError('the b64 header parameter is not a boolean');
  // jose ignores b64 unless crit lists it; RFC 7797 6 requires crit so that a verifier that does not
  // know b64 rejects the token instead of verifying different bytes.
  const unencoded = b64 === false;
  if (unencoded && !(Array.isArray(crit) && crit.includes('b64'))) {
    throw new JwsVerificationError('b64:false without "b64" in crit');
  }

  const algorithm = alg as JwsAlgorithm;
  if (!fitsAlgorithm(algorithm, key) || (algorithm === 'HS256') !== (key.type === 'secret')) {
    throw new JwsVerificationError(`${algorithm} needs ${NEEDED[algorithm]}; the verification key is ${describeKey(key)}`);
  }
  const verifyKey = key.type === 'private' ? createPublicKey(key) : key;

  try {
    const result = await flattenedVerify(
      { protected: encodedHeader, signature, payload: unencoded ? payload : Buffer.from(payload).toString('base64url') },
      verifyKey,
      { algorithms: opts.algorithms },
    );
    return { header: { ...result.protectedHeader } };
  } catch (err) {
    if (err instanceof joseErrors.JWSSignatureVerificationFailed)
      throw new JwsVerificationError('the signature does not match the payload');
    if (err instanceof joseErrors.JOSEError) throw new JwsVerificationError(`invalid JWS: ${err.message}`);
    throw err;
  }
}
