// PKCS#8 private keys as files: PEM armour, and encryption under PBES2 (RFC 8018: PBKDF2 and AES-CBC)
// done with Node's own PBKDF2 and AES, so any PrivateKeyInfo can be written encrypted, Russian GOST
// keys in gost-engine's form included (the encryption never looks inside the key). OpenSSL 3 reads
// what is written here (`openssl pkey -passin env:P`), and the reader here reads what OpenSSL 3
// writes by default (`openssl pkcs8 -topk8`, `genpkey -aes-256-cbc`).
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { KeyStoreError } from '../../common/errors.js';
import { contentOf, elementsOf, oid, oidToString, sequence, tlv, TAG } from '../cms/der.js';
import { GOST_CURVE_BY_OID } from '../gost/curves.js';
import { ruGostKeyFromLe, ruGostKeyOid, type RuGostPrivateKey } from './ru-gost-key.js';

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';
const HMAC_SHA1 = '1.2.840.113549.2.7';

const PRF_BY_OID: Readonly<Record<string, string>> = {
  [HMAC_SHA1]: 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const PRF_OID_BY_NAME = Object.fromEntries(Object.entries(PRF_BY_OID).map(([o, n]) => [n, o]));

const CIPHER_BY_OID: Readonly<Record<string, { name: string; keyLength: number; ivLength: number }>> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};
const AES_256_CBC = '2.16.840.1.101.3.4.1.42';

/**
 * PBKDF2 iterations of an exported key. OpenSSL 3 still writes 2048 by default (PKCS5_DEFAULT_ITER,
 * a figure from 1999). An exported key is a long-lived file that anyone who copies it can attack
 * offline for ever, and it is opened rarely (once per process: trustflow's key cache; once per
 * `openssl` command), so it gets OWASP's 2023 figure for PBKDF2-HMAC-SHA256 instead: 600,000
 * iterations, a quarter of a second to open on one core and 300 times OpenSSL's default cost per guessed password.
 */
export const PKCS8_PBKDF2_ITERATIONS = 600_000;

/** Counts above this are refused when reading: PBKDF2 runs synchronously, 10 million is already seconds. */
const MAX_READ_ITERATIONS = 10_000_000;

export interface Pkcs8Encryption {
  /** One line for people: `PBES2 (PBKDF2-HMAC-SHA256, 600000 iterations, AES-256-CBC)`. */
  description: string;
  /** The scheme's OID (PBES2, or the PBES1/PKCS#12 PBE OID of an older file). */
  schemeOid: string;
  kdf?: string;
  iterations?: number;
  cipher?: string;
}

/** A positive INTEGER, DER. */
function integer(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('integer: a non-negative safe integer only');
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  if (bytes.length === 0 || bytes[0]! >= 0x80) bytes.unshift(0);
  return tlv(TAG.integer, Buffer.from(bytes));
}

function integerValue(tlvBytes: Uint8Array | undefined): number {
  if (tlvBytes?.[0] !== TAG.integer) throw new Error('not an INTEGER');
  const body = contentOf(tlvBytes);
  if (body.length > 6 || (body[0]! & 0x80) !== 0) return Infinity;
  return body.reduce((n, b) => n * 256 + b, 0);
}

/**
 * EncryptedPrivateKeyInfo (DER) of a PrivateKeyInfo: PBES2 with PBKDF2-HMAC-SHA256 (16-byte random
 * salt, PKCS8_PBKDF2_ITERATIONS) and AES-256-CBC, the password taken as UTF-8 (as OpenSSL takes it).
 */
export function encryptPkcs8(pkcs8: Uint8Array, password: string, o: { iterations?: number } = {}): Buffer {
  if (password === '') throw new RangeError('encryptPkcs8: an empty password protects nothing');
  const iterations = o.iterations ?? PKCS8_PBKDF2_ITERATIONS;
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  key.fill(0);
  return sequence(
    sequence(
      oid(PBES2),
      sequence(
        // keyLength is left out, as OpenSSL leaves it out: the cipher fixes it.
        sequence(
          oid(PBKDF2),
          sequence(tlv(TAG.octetString, salt), integer(iterations), sequence(oid(PRF_OID_BY_NAME.sha256!), tlv(TAG.null))),
        ),
        sequence(oid(AES_256_CBC), tlv(TAG.octetString, iv)),
      ),
    ),
    tlv(TAG.octetString, encrypted),
  );
}

interface Pbes2Parameters {
  salt: Buffer;
  iterations: number;
  prf: string;
  cipherOid: string;
  iv: Buffer;
}

function parsePbes2(parameters: Buffer): Pbes2Parameters {
  const [kdf, scheme] = elementsOf(parameters);
  const [kdfOid, kdfParams] = elementsOf(kdf!);
  if (oidToString(kdfOid!) !== PBKDF2) throw new Error('PBES2 without PBKDF2');
  const [salt, count, ...rest] = elementsOf(kdfParams!);
  if (salt?.[0] !== TAG.octetString) throw new Error('PBKDF2 salt is not an OCTET STRING');
  const prfAlgorithm = rest.find((e) => e[0] === TAG.sequence);
  const prfOid = prfAlgorithm ? oidToString(elementsOf(prfAlgorithm)[0]!) : HMAC_SHA1;
  const [cipherOid, iv] = elementsOf(scheme!);
  return {
    salt: contentOf(salt),
    iterations: integerValue(count),
    prf: PRF_BY_OID[prfOid] ?? prfOid,
    cipherOid: oidToString(cipherOid!),
    iv: iv?.[0] === TAG.octetString ? contentOf(iv) : Buffer.alloc(0),
  };
}

/** How an EncryptedPrivateKeyInfo is encrypted, readable without its password. @throws KeyStoreError when it is not one. */
export function pkcs8Encryption(encrypted: Uint8Array, label: string): Pkcs8Encryption {
  try {
    const [algorithm, data] = elementsOf(encrypted);
    if (data?.[0] !== TAG.octetString) throw new Error('no encryptedData');
    const [schemeOid, parameters] = elementsOf(algorithm!);
    const scheme = oidToString(schemeOid!);
    if (scheme !== PBES2) return { schemeOid: scheme, description: `an older scheme (${scheme}), not PBES2` };
    const p = parsePbes2(parameters!);
    const cipher = CIPHER_BY_OID[p.cipherOid]?.name.toUpperCase() ?? p.cipherOid;
    const kdf = `PBKDF2-HMAC-${p.prf.toUpperCase()}`;
    return {
      schemeOid: scheme,
      kdf,
      iterations: p.iterations,
      cipher,
      description: `PBES2 (${kdf}, ${p.iterations} iterations, ${cipher})`,
    };
  } catch {
    throw new KeyStoreError(`${label}: not a readable encrypted PKCS#8 key`);
  }
}

/**
 * The PrivateKeyInfo inside an EncryptedPrivateKeyInfo: PBES2 with PBKDF2 (HMAC-SHA1…SHA-512) and
 * AES-CBC or 3DES, what OpenSSL writes. Other schemes (GOST PBES2 of gost-engine, PBES1) are refused
 * saying so.
 * @throws KeyStoreError wrong password, an unsupported scheme, a damaged file.
 */
export function decryptPkcs8(encrypted: Uint8Array, password: string, label: string, passwordRef?: string): Buffer {
  const info = pkcs8Encryption(encrypted, label);
  const [algorithm, data] = elementsOf(encrypted);
  const p = info.schemeOid === PBES2 ? parsePbes2(elementsOf(algorithm!)[1]!) : undefined;
  const cipher = p && CIPHER_BY_OID[p.cipherOid];
  if (!p || !cipher || !Object.values(PRF_BY_OID).includes(p.prf))
    throw new KeyStoreError(
      `${label}: the key is encrypted with ${info.description}; trustflow reads PBES2 with PBKDF2 and AES or 3DES (\`openssl pkcs8 -topk8 -v2 aes-256-cbc\` converts it)`,
    );
  if (!(p.iterations <= MAX_READ_ITERATIONS))
    throw new KeyStoreError(`${label}: asks for ${p.iterations} PBKDF2 iterations (more than ${MAX_READ_ITERATIONS}): refused`);
  if (p.iv.length !== cipher.ivLength) throw new KeyStoreError(`${label}: not a readable encrypted PKCS#8 key (its IV)`);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), p.salt, p.iterations, cipher.keyLength, p.prf);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv(cipher.name, key, p.iv);
    plain = Buffer.concat([decipher.update(contentOf(data!)), decipher.final()]);
    // A wrong key passes the padding check once in ~256 tries: the result must also be a PrivateKeyInfo.
    if (privateKeyInfoAlgorithm(plain) === undefined) throw new Error('not a PrivateKeyInfo');
  } catch {
    throw new KeyStoreError(
      `${label}: wrong password for the encrypted key${passwordRef ? `; check the secret behind ${passwordRef}` : ''}`,
    );
  } finally {
    key.fill(0);
  }
  return plain;
}

/** The algorithm OID and its parameters (DER) of a PrivateKeyInfo, or undefined when it is not one. */
export function privateKeyInfoAlgorithm(pkcs8: Uint8Array): { oid: string; parameters: Buffer | undefined } | undefined {
  try {
    const [version, algorithm, privateKey] = elementsOf(pkcs8);
    if (version?.[0] !== TAG.integer || algorithm?.[0] !== TAG.sequence || privateKey?.[0] !== TAG.octetString) return undefined;
    const [algorithmOid, parameters] = elementsOf(algorithm);
    return { oid: oidToString(algorithmOid!), parameters };
  } catch {
    return undefined;
  }
}

/**
 * A Russian GOST key from its PrivateKeyInfo: gost-engine's form (the scalar as the OCTET STRING's
 * little-endian bytes), and the older ones it also reads (an inner OCTET STRING, little-endian, or an
 * INTEGER). undefined when the PrivateKeyInfo holds no Russian GOST key.
 * @throws KeyStoreError when it claims to and the key does not decode.
 */
export function ruGostKeyFromPkcs8(pkcs8: Uint8Array, label: string): RuGostPrivateKey | undefined {
  const algorithm = privateKeyInfoAlgorithm(pkcs8);
  const keyOid = algorithm && ruGostKeyOid(algorithm.oid);
  if (!algorithm || !keyOid) return undefined;
  try {
    const [curve, digest] = elementsOf(algorithm.parameters!).map(oidToString);
    const size = GOST_CURVE_BY_OID.get(curve!)?.size;
    if (!size) throw new KeyStoreError(`${label}: a GOST key on curve ${curve}, which trustflow does not compute on`);
    const octets = contentOf(elementsOf(pkcs8)[2]!);
    let le: Buffer;
    if (octets.length === size) le = octets;
    else if (octets[0] === TAG.octetString) le = contentOf(octets);
    else if (octets[0] === TAG.integer) le = Buffer.from(contentOf(octets)).reverse();
    else throw new Error('private key layout');
    return ruGostKeyFromLe({ algorithm: keyOid, curve: curve!, digest: digest ?? '' }, le);
  } catch (err) {
    if (err instanceof KeyStoreError) throw err;
    throw new KeyStoreError(`${label}: the GOST private key in it does not decode`);
  }
}

/** PEM armour, 64 characters a line. */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export interface PemBlock {
  label: string;
  der: Buffer;
  /** RFC 1421 headers (`Proc-Type`, `DEK-Info`) of a traditional encrypted key, as text. */
  headers: string;
  /** The block as it was written, for readers that want PEM. */
  text: string;
}

/** Every PEM block of a text, in order. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g)) {
    const body = m[2]!;
    // A traditional encrypted key starts with `Proc-Type: …` and `DEK-Info: …`, then a blank line.
    const blank = /\r?\n\r?\n/.exec(body);
    const headers = /^[A-Za-z-]+:/.test(body) && blank ? body.slice(0, blank.index + blank[0].length) : '';
    out.push({ label: m[1]!, der: Buffer.from(body.slice(headers.length).replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), headers, text: m[0] });
  }
  return out;
}
