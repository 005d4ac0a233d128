// Reads a PKCS#12 file that CryptoPro CSP exported (a "CryptoPro PFX"). Its certificate bag and
// MAC are standard (3DES, HMAC-SHA-1), but the key bag is encrypted with CryptoPro's own PBE
// (1.2.840.113549.1.12.1.80), which OpenSSL and node-forge cannot open. Layout, as the genuine files
// in shared/vectors/cryptopro pin it down:
//   PBE params { salt (16), rounds }: K0 = UTF-16LE(password), Ki = GOST94(Ki-1 ‖ salt ‖ BE16(i));
//   GOST 28147-89 CFB under K (S-box CryptoPro-A, IV = salt[0:8]) gives a PrivateKeyInfo whose key
//   octets are a 16-byte CryptoAPI blob header (07 20 00 00, ALG_ID LE32, "MAG1", key length in bytes LE32), then
//   ExportedKey { { ukm (8), { cek_enc, cek_mac (4) }, [0] { flags, [0] { key OID, { curve, digest } } } }, mac (4) };
//   KEK = KDF_GOSTR3411_2012_256(K, 26BDB878, ukm) for 2012 keys, RFC 4357 §6.5 diversification of K
//   by ukm for 2001 keys; under the KEK (S-box CryptoPro-A again): d (LE) = ECB⁻¹(cek_enc),
//   cek_mac = MAC(IV = ukm, d), mac = MAC(IV = 0, DER of the inner SEQUENCE).
import { createDecipheriv, createHash, createHmac, timingSafeEqual, X509Certificate } from 'node:crypto';
import { FailureType, KeyStoreError } from '../../common/errors.js';
import { contentOf, elementsOf, oidToString, TAG } from '../cms/der.js';
import { GOST_CURVE_BY_OID } from '../gost/curves.js';
import { diversifyCryptoPro, Gost28147, gost28147CfbMeshed, GOST28147_SBOX_BY_OID, type GostSbox } from '../gost/gost-28147.js';
import { CRYPTOPRO_PARAMSET_SBOX, gostR341194 } from '../gost/gost-r-34-11-94.js';
import { kdfGostR3411_2012_256 } from '../gost/kdf-gostr3411-2012.js';
import {
  ruGostKeyFromLe,
  ruGostKeyOid,
  ruGostParametersOfCertificate,
  type RuGostKeyParameters,
  type RuGostPrivateKey,
} from './ru-gost-key.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
  cryptoProPbe: '1.2.840.113549.1.12.1.80',
} as const;

/** PKCS#12 MAC digests (RFC 7292 appendix B: u = digest size, v = block size). CryptoPro writes SHA-1. */
const MAC_DIGESTS: ReadonlyMap<string, { name: string; u: number; v: number }> = new Map([
  ['1.3.14.3.2.26', { name: 'sha1', u: 20, v: 64 }],
  ['2.16.840.1.101.3.4.2.1', { name: 'sha256', u: 32, v: 64 }],
  ['2.16.840.1.101.3.4.2.3', { name: 'sha512', u: 64, v: 128 }],
]);

/** The one S-box CryptoPro uses for the PBE and the export KEK, whatever the key's own parameters. */
const SBOX_A: GostSbox = GOST28147_SBOX_BY_OID.get('1.2.643.2.2.31.1')!;
const KEK_LABEL = Buffer.from('26bdb878', 'hex');
const BLOB_MAGIC = Buffer.from('MAG1', 'latin1');

/** PKCS#12 iteration counts, as pkcs12.ts bounds them: more would block the worker's thread. */
const MAX_PKCS12_ITERATIONS = 1_000_000;
/** The PBE's round counter is two bytes (BE16), and a round costs ~20 µs of pure-JS GOST94. */
const MAX_PBE_ROUNDS = 0xffff;

/** A structural surprise; openCryptoProPfx turns it into "not a readable CryptoPro PFX (what)". */
class Unreadable extends Error {}

function must(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Unreadable(what);
}

/** True when the PFX holds a key bag under CryptoPro's PBE. Needs no password; false on anything else, garbage included. */
export function isCryptoProPfx(der: Uint8Array): boolean {
  try {
    return plainSafeContents(der).some((bag) => cryptoProKeyBag(bag) !== undefined);
  } catch {
    return false;
  }
}

/**
 * Opens a CryptoPro PFX: its GOST R 34.10-2001/2012 key, checked against its certificate, and the
 * certificates (the key's own first).
 * @param label how errors name the file (its path), never its contents.
 * @param passwordRef the secret reference the password came from, named in wrong-password errors.
 * @throws KeyStoreError wrong password, damaged or truncated file, no certificate for the key, an unsupported key.
 */
export function openCryptoProPfx(
  der: Uint8Array,
  password: string,
  label: string,
  passwordRef?: string,
): { key: RuGostPrivateKey; certificates: X509Certificate[] } {
  try {
    return readPfx(Buffer.from(der.buffer, der.byteOffset, der.byteLength), password, label, passwordRef);
  } catch (err) {
    if (err instanceof KeyStoreError) throw err;
    const what = err instanceof Unreadable ? err.message : 'damaged or truncated DER';
    throw new KeyStoreError(`${label}: not a readable CryptoPro PFX (${what})`);
  }
}

function readPfx(der: Buffer, password: string, label: string, passwordRef?: string) {
  const checkRef = passwordRef ? `; check the secret behind ${passwordRef}` : '';
  const { authSafe, macData } = pfxParts(der);
  // RFC 7292 B.1: the password as a NUL-terminated BMPString; an empty one is also tried as no bytes at all.
  const candidates = [Buffer.from(`${password}\0`, 'utf16le').swap16(), ...(password === '' ? [Buffer.alloc(0)] : [])];
  const bmp = macData ? candidates.find((p) => macMatches(macData, authSafe, p, label)) : candidates[0]!;
  if (!bmp) throw new KeyStoreError(`${label}: wrong password (the PKCS#12 integrity check failed)${checkRef}`);

  const bags = elementsOf(authSafe).flatMap((contentInfo) => elementsOf(safeContentsOf(contentInfo, bmp, label)));
  const keyBag = bags.map(cryptoProKeyBag).find((k) => k !== undefined);
  must(keyBag, `no key bag under CryptoPro's PBE ${OID.cryptoProPbe}`);
  const certificates = bags.flatMap(certificateOf);

  const key = keyOf(keyBag, password, certificates, label, macData !== undefined, checkRef);
  const own = certificates.find((c) => key.belongsTo(c));
  if (!own) throw new KeyStoreError(`${label}: the CryptoPro PFX has no certificate for its private key`);
  return { key, certificates: [own, ...certificates.filter((c) => c !== own)] };
}

/** PFX { version 3, authSafe ContentInfo(data), macData? }: the AuthenticatedSafe's DER (what the MAC covers). */
function pfxParts(der: Buffer): { authSafe: Buffer; macData: Buffer | undefined } {
  const [version, authSafe, macData] = elementsOf(der);
  must(version?.[0] === TAG.integer && authSafe?.[0] === TAG.sequence, 'not a PKCS#12 PFX');
  const content = dataOf(authSafe);
  must(content, 'the authenticated safe is not of type data');
  return { authSafe: content, macData };
}

/** The content of a ContentInfo of type data: [0] EXPLICIT OCTET STRING. */
function dataOf(contentInfo: Buffer): Buffer | undefined {
  const [type, explicit] = elementsOf(contentInfo);
  if (!type || oidToString(type) !== OID.data) return undefined;
  must(explicit?.[0] === TAG.context(0), 'a data ContentInfo without content');
  const octets = contentOf(explicit);
  must(octets[0] === TAG.octetString, 'a data ContentInfo whose content is not an OCTET STRING');
  return contentOf(octets);
}

/** The SafeBags of the unencrypted SafeContents: all isCryptoProPfx can see without a password. */
function plainSafeContents(der: Uint8Array): Buffer[] {
  const { authSafe } = pfxParts(Buffer.from(der.buffer, der.byteOffset, der.byteLength));
  return elementsOf(authSafe).flatMap((ci) => {
    const content = dataOf(ci);
    return content ? elementsOf(content) : [];
  });
}

/** A ContentInfo's SafeContents (DER): data as is, encryptedData decrypted (pbeWithSHAAnd3-KeyTripleDES-CBC). */
function safeContentsOf(contentInfo: Buffer, bmp: Buffer, label: string): Buffer {
  const plain = dataOf(contentInfo);
  if (plain) return plain;
  const [type, explicit] = elementsOf(contentInfo);
  must(type && oidToString(type) === OID.encryptedData && explicit?.[0] === TAG.context(0), 'a ContentInfo neither data nor encryptedData');
  // EncryptedData { version, EncryptedContentInfo { type, algorithm, [0] IMPLICIT encrypted } }
  const [, encryptedContentInfo] = elementsOf(contentOf(explicit));
  const [, algorithm, encrypted] = elementsOf(encryptedContentInfo!);
  must(algorithm && encrypted, 'an encryptedData without content');
  const [algOid, params] = elementsOf(algorithm);
  const pbe = oidToString(algOid!);
  if (pbe !== OID.pbeSha1TripleDes)
    throw new KeyStoreError(
      `${label}: the CryptoPro PFX's certificates are encrypted with ${pbe}, which trustflow does not open (3DES only)`,
    );
  const [salt, iterations] = elementsOf(params!);
  must(salt?.[0] === TAG.octetString && iterations, 'damaged PBE parameters of the certificate bag');
  const count = boundedCount(iterations, MAX_PKCS12_ITERATIONS, label, 'key-derivation iterations');
  // [0] IMPLICIT OCTET STRING: primitive, or constructed of OCTET STRING pieces (BER).
  const ciphertext = encrypted[0] === 0x80 ? contentOf(encrypted) : Buffer.concat(elementsOf(encrypted).map(contentOf));
  const key = pkcs12Kdf('sha1', 20, 64, bmp, contentOf(salt), 1, count, 24);
  const iv = pkcs12Kdf('sha1', 20, 64, bmp, contentOf(salt), 2, count, 8);
  try {
    const decipher = createDecipheriv('des-ede3-cbc', key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new Unreadable('the certificate bag does not decrypt');
  }
}

/** The EncryptedPrivateKeyInfo of a pkcs8ShroudedKeyBag under CryptoPro's PBE, else undefined. */
function cryptoProKeyBag(safeBag: Buffer): Buffer | undefined {
  const [bagId, bagValue] = elementsOf(safeBag);
  if (!bagId || oidToString(bagId) !== OID.shroudedKeyBag || bagValue?.[0] !== TAG.context(0)) return undefined;
  const epki = contentOf(bagValue);
  const [algorithm] = elementsOf(epki);
  return algorithm && oidToString(elementsOf(algorithm)[0]!) === OID.cryptoProPbe ? epki : undefined;
}

/** The certificate of a certBag (x509Certificate), none for other bags. */
function certificateOf(safeBag: Buffer): X509Certificate[] {
  const [bagId, bagValue] = elementsOf(safeBag);
  if (!bagId || oidToString(bagId) !== OID.certBag) return [];
  must(bagValue?.[0] === TAG.context(0), 'a certificate bag without value');
  const [certId, explicit] = elementsOf(contentOf(bagValue));
  if (oidToString(certId!) !== OID.x509Certificate) return [];
  must(explicit?.[0] === TAG.context(0), 'a certificate bag without certificate');
  const octets = contentOf(explicit);
  must(octets[0] === TAG.octetString, 'a certificate bag whose certificate is not an OCTET STRING');
  try {
    return [new X509Certificate(contentOf(octets))];
  } catch {
    throw new Unreadable('a certificate is damaged');
  }
}

/** MacData { DigestInfo { algorithm, digest }, macSalt, iterations }: does this password's HMAC match? */
function macMatches(macData: Buffer, authSafe: Buffer, bmp: Buffer, label: string): boolean {
  const [digestInfo, salt, iterations] = elementsOf(macData);
  must(digestInfo && salt?.[0] === TAG.octetString, 'damaged MacData');
  const [algorithm, digest] = elementsOf(digestInfo);
  const digestOid = oidToString(elementsOf(algorithm!)[0]!);
  const md = MAC_DIGESTS.get(digestOid);
  must(md, `a PKCS#12 MAC on digest ${digestOid}`);
  const count = iterations ? boundedCount(iterations, MAX_PKCS12_ITERATIONS, label, 'key-derivation iterations') : 1;
  const macKey = pkcs12Kdf(md.name, md.u, md.v, bmp, contentOf(salt), 3, count, md.u);
  const expected = contentOf(digest!);
  const actual = createHmac(md.name, macKey).update(authSafe).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** RFC 7292 appendix B.2: n bytes of key material of purpose id (1 key, 2 IV, 3 MAC). */
function pkcs12Kdf(hash: string, u: number, v: number, password: Buffer, salt: Buffer, id: number, iterations: number, n: number): Buffer {
  const fill = (b: Buffer) => (b.length ? Buffer.alloc(v * Math.ceil(b.length / v), b) : Buffer.alloc(0));
  const i = Buffer.concat([fill(salt), fill(password)]);
  const out: Buffer[] = [];
  for (let made = 0; made < n; made += u) {
    let a = Buffer.concat([Buffer.alloc(v, id), i]);
    for (let r = 0; r < iterations; r++) a = createHash(hash).update(a).digest();
    out.push(a);
    // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
    const b = Buffer.alloc(v, a);
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        carry += i[j + k]! + b[k]!;
        i[j + k] = carry & 0xff;
        carry >>>= 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, n);
}

/** A small non-negative INTEGER, refused with a clear message above `max`. */
function boundedCount(tlvBytes: Buffer, max: number, label: string, what: string): number {
  must(tlvBytes[0] === TAG.integer, `${what}: not an INTEGER`);
  const bytes = contentOf(tlvBytes);
  must(bytes.length > 0 && (bytes[0]! & 0x80) === 0, `${what}: not a positive INTEGER`);
  const count = bytes.length > 6 ? Infinity : bytes.reduce((n, b) => n * 256 + b, 0);
  if (count > max)
    throw new KeyStoreError(
      `${label}: asks for ${Number.isFinite(count) ? count : 'more than 2^48'} ${what} (more than ${max}): refused, it would block the worker; export the file again with the usual count (2000)`,
    );
  return count;
}

/** Decrypts the key bag and unwraps the key; the certificates supply parameters a blob might lack. */
function keyOf(
  epki: Buffer,
  password: string,
  certificates: X509Certificate[],
  label: string,
  passwordChecked: boolean,
  checkRef: string,
): RuGostPrivateKey {
  const [algorithm, encrypted] = elementsOf(epki);
  const [, params] = elementsOf(algorithm!);
  const [saltTlv, roundsTlv] = elementsOf(params!);
  must(saltTlv?.[0] === TAG.octetString && roundsTlv && encrypted?.[0] === TAG.octetString, 'damaged key bag parameters');
  const salt = contentOf(saltTlv);
  must(salt.length >= 8, 'a key bag salt shorter than 8 bytes');
  const rounds = boundedCount(roundsTlv, MAX_PBE_ROUNDS, label, 'key-derivation rounds');
  must(rounds > 0, 'key-derivation rounds: 0');

  let k: Buffer = Buffer.from(password, 'utf16le');
  for (let i = 1; i <= rounds; i++)
    k = Buffer.from(gostR341194(Buffer.concat([k, salt, Buffer.of(i >> 8, i & 0xff)]), CRYPTOPRO_PARAMSET_SBOX));
  const pki = gost28147CfbMeshed('decrypt', k, SBOX_A, salt.subarray(0, 8), contentOf(encrypted));
  try {
    return unwrap(pki, k, certificates, label);
  } catch (err) {
    if (err instanceof KeyStoreError) throw err;
    // Without a PKCS#12 MAC nothing checked the password before this point.
    if (!passwordChecked)
      throw new KeyStoreError(`${label}: wrong password or a damaged key bag (the file has no PKCS#12 integrity check)${checkRef}`);
    throw err instanceof Unreadable ? err : new Unreadable('damaged key bag: its decrypted DER does not parse');
  }
}

/** PrivateKeyInfo { 0, { key OID, … }, blob } → the key: both MACs checked before any parameter is believed. */
function unwrap(pki: Buffer, k: Buffer, certificates: X509Certificate[], label: string): RuGostPrivateKey {
  const [version, algorithmId, keyOctets] = elementsOf(pki);
  must(
    version?.[0] === TAG.integer && algorithmId?.[0] === TAG.sequence && keyOctets?.[0] === TAG.octetString,
    'the key bag is not a PrivateKeyInfo',
  );
  const pkiKeyOid = oidToString(elementsOf(algorithmId)[0]!);
  const algorithm = ruGostKeyOid(pkiKeyOid);
  if (!algorithm)
    throw new KeyStoreError(
      `${label}: the CryptoPro PFX holds a key of algorithm ${pkiKeyOid}, not GOST R 34.10-2001/2012`,
      FailureType.UnsupportedKey,
    );
  const blob = contentOf(keyOctets);
  must(blob.length > 16 && blob[0] === 0x07 && blob.subarray(8, 12).equals(BLOB_MAGIC), 'an unexpected key blob header');
  const [inner, macTlv] = elementsOf(blob.subarray(16));
  must(inner?.[0] === TAG.sequence && macTlv?.[0] === TAG.octetString, 'the key blob is not an ExportedKey');
  const [ukmTlv, wrapped, keyParams] = elementsOf(inner);
  must(ukmTlv?.[0] === TAG.octetString && wrapped?.[0] === TAG.sequence, 'the ExportedKey has no UKM or wrapped key');
  const ukm = contentOf(ukmTlv);
  const [encrypted, cekMac] = elementsOf(wrapped).map(contentOf);
  must(
    ukm.length === 8 && (encrypted?.length === 32 || encrypted?.length === 64) && cekMac,
    'the ExportedKey has a damaged UKM or wrapped key',
  );

  // The KEK: RFC 7836 KDF for 2012 keys, RFC 4357 §6.5 diversification for 2001 keys (S-box CryptoPro-A both).
  const kek = algorithm === '1.2.643.2.2.19' ? diversifyCryptoPro(k, SBOX_A, ukm) : kdfGostR3411_2012_256(k, KEK_LABEL, ukm);
  const cipher = new Gost28147(kek, SBOX_A);
  const d = cipher.decrypt(encrypted);
  must(
    cipher.mac(ukm, d).equals(cekMac) && cipher.mac(Buffer.alloc(8), inner).equals(contentOf(macTlv)),
    'damaged key bag: its key MAC does not match',
  );

  const parameters = parametersOf(keyParams, algorithm, certificates);
  const curve = GOST_CURVE_BY_OID.get(parameters.curve);
  if (!curve)
    throw new KeyStoreError(
      `${label}: the CryptoPro PFX holds a key on curve ${parameters.curve}, which trustflow does not support`,
      FailureType.UnsupportedKey,
    );
  must(d.length === curve.size, `a wrapped key of ${d.length} bytes for a ${curve.size}-byte curve`);
  try {
    return ruGostKeyFromLe(parameters, d);
  } catch {
    throw new Unreadable('the private key is out of range for its curve');
  }
}

/** { algorithm, curve, digest }: from the blob's [0] { flags, [0] { OID, { curve, digest } } }, else from a certificate of the same algorithm. */
function parametersOf(keyParams: Buffer | undefined, algorithm: string, certificates: X509Certificate[]): RuGostKeyParameters {
  const named = keyParams?.[0] === TAG.context(0) ? elementsOf(keyParams).find((e) => e[0] === TAG.context(0)) : undefined;
  if (named) {
    const [blobOid, curveAndDigest] = elementsOf(named);
    must(ruGostKeyOid(oidToString(blobOid!)) === algorithm, 'the key blob and the PrivateKeyInfo name different algorithms');
    const [curve, digest] = elementsOf(curveAndDigest!).map(oidToString);
    must(curve && digest, 'the key blob names no curve or digest');
    return { algorithm, curve, digest };
  }
  const fromCertificate = certificates.map((c) => ruGostParametersOfCertificate(c.raw)).find((p) => p?.algorithm === algorithm);
  must(fromCertificate?.digest, 'no key parameters in the key blob nor in a certificate');
  return fromCertificate;
}
