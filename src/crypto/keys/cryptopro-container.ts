// CryptoPro CSP key containers (a folder of header.key, masks.key, masks2.key, name.key,
// primary.key, primary2.key), read in-process on trustflow's own GOST primitives, so a Kontur
// customer can use the key as CryptoPro stored it, without CryptoPro CSP. Format facts (and the
// genuine containers that pin them down): ../shared/vectors/cryptopro/README.md.
//
//   header.key  SEQUENCE { content SEQUENCE { [0] { 1.2.643.2.2.37.2.1 }, flags BIT STRING,
//                 primary KeyParams, [4] secondary KeyParams OPTIONAL, [2] password MAC OPTIONAL,
//                 [5] primary certificate, [6] secondary certificate, [10]/[11] fingerprints, [12] … },
//               header MAC OCTET STRING }           KeyParams ::= { flags BIT STRING, [0] AlgorithmIdentifier }
//   masks.key   SEQUENCE { mask, salt (12 bytes), masks MAC }
//   primary.key SEQUENCE { primary key OCTET STRING, [0] IMPLICIT secondary key OPTIONAL }
//
// The key is d = LE(28147-ECB⁻¹(K, primary)) · LE(mask)⁻¹ mod q, with K from the password and the
// salt (cryptoProKdf). Every check the format carries is made: header MAC, masks MAC, the password
// MAC where the container has one, the public-key fingerprint, the key against its certificate.
// primary2.key/masks2.key hold the same key under another mask: read when the first copy is damaged.
import { X509Certificate } from 'node:crypto';
import { FailureType, KeyStoreError } from '../../common/errors.js';
import { contentOf, elementsOf, oidToString, TAG } from '../cms/der.js';
import { GOST_CURVE_BY_OID, leToBigint } from '../gost/curves.js';
import { Gost28147, GOST28147_PARAM_Z, GOST28147_SBOX_BY_OID, type GostSbox } from '../gost/gost-28147.js';
import { CRYPTOPRO_PARAMSET_SBOX, gostR341194 } from '../gost/gost-r-34-11-94.js';
import { streebog256 } from '../gost/streebog.js';
import { RuGostPrivateKey, ruGostKeyOid, type RuGostKeyParameters } from './ru-gost-key.js';

export type CryptoProContainerProblem =
  /** The folder lacks the files of a container (or is not a folder). */
  | 'not-a-container'
  /** A container of CryptoPro's newer format (ECDSA/RSA keys, header OID 1.2.643.2.2.37.4), or an unknown one. */
  | 'other-format'
  /** A file fails its structure or its MAC. */
  | 'damaged'
  | 'wrong-password'
  | 'password-required'
  /** keyUsage names a key the container does not hold. */
  | 'no-such-key'
  /** A GOST key on parameters trustflow does not compute on (e.g. a twisted Edwards curve). */
  | 'unsupported-key';

/** Why a container cannot be opened: `problem` for code, the message for people (never the password). */
export class CryptoProContainerError extends KeyStoreError {
  override readonly name: string = 'CryptoProContainerError';
  constructor(
    message: string,
    readonly problem: CryptoProContainerProblem,
  ) {
    super(
      message,
      problem === 'other-format' || problem === 'unsupported-key' ? FailureType.UnsupportedKey : FailureType.KeyStoreUnreadable,
    );
  }
}

/** The files of a container, as bytes. header, masks and primary are required; the second copy is optional. */
export interface CryptoProContainerFiles {
  header: Uint8Array;
  masks: Uint8Array;
  primary: Uint8Array;
  masks2?: Uint8Array;
  primary2?: Uint8Array;
  name?: Uint8Array;
}

export type KeyUsage = 'signature' | 'exchange';

/** What the header says about one key: readable without the password. */
export interface CryptoProKeyInfo {
  /** 'primary' or 'secondary': where the key sits in the container. */
  slot: 'primary' | 'secondary';
  /** exchange for the "DH"/agreement algorithms (they also sign), signature otherwise. */
  usage: KeyUsage;
  /** The algorithm OID as stored (e.g. 1.2.643.7.1.1.6.1) and the parameters as a certificate names them. */
  storedAlgorithm: string;
  parameters: RuGostKeyParameters;
  /** CryptoPro's "exportable" flag: policy for CryptoPro's own software, not cryptography. */
  exportable: boolean;
  /** The public-key fingerprint the header keeps (first 8 bytes of X, little-endian). */
  fingerprint: Buffer | undefined;
  /** The certificate stored with the key, when there is one. */
  certificate: X509Certificate | undefined;
}

export interface CryptoProContainerInfo {
  /** The container's name (name.key), when readable. */
  name: string | undefined;
  /** true: a password is set; false: none; undefined: the container does not say (two-key containers). */
  passwordSet: boolean | undefined;
  keys: CryptoProKeyInfo[];
}

export interface OpenedContainerKey {
  info: CryptoProKeyInfo;
  key: RuGostPrivateKey;
  /** Set when the first copy was damaged and the key came from primary2.key/masks2.key. */
  warning?: string;
}

const CLASSIC_FORMAT = '1.2.643.2.2.37.2.1';
const NEWER_FORMAT = '1.2.643.2.2.37.4';
const EXCHANGE_ALGORITHMS = new Set(['1.2.643.2.2.98', '1.2.643.7.1.1.6.1', '1.2.643.7.1.1.6.2']);
const SBOX_CRYPTOPRO_A = GOST28147_SBOX_BY_OID.get('1.2.643.2.2.31.1')!;
const SBOX_TC26_Z = GOST28147_SBOX_BY_OID.get(GOST28147_PARAM_Z)!;
const ZERO_IV = new Uint8Array(8);

const PRIMITIVE = (n: number) => 0x80 | n;

/** Hash and cipher S-box of a key: GOST R 34.11-94 and CryptoPro-A for 2001 keys, Streebog-256 and TC26-Z for 2012. */
function primitivesOf(parameters: RuGostKeyParameters): { hash: (d: Uint8Array) => Uint8Array; block: 32 | 64; sbox: GostSbox } {
  return parameters.algorithm === '1.2.643.2.2.19'
    ? { hash: (d) => gostR341194(d, CRYPTOPRO_PARAMSET_SBOX), block: 32, sbox: SBOX_CRYPTOPRO_A }
    : { hash: streebog256, block: 64, sbox: SBOX_TC26_Z };
}

/**
 * The password as CryptoPro feeds it to the KDF: each character's code followed by three zero
 * bytes. Verified for ASCII only (the vectors); for other characters the low byte of the UTF-16
 * code unit is taken, as the format's re-implementations do (unverified against CryptoPro CSP).
 */
export function cryptoProPin(password: string): Buffer {
  const pin = Buffer.alloc(password.length * 4);
  for (let i = 0; i < password.length; i++) pin[4 * i] = password.charCodeAt(i) & 0xff;
  return pin;
}

/** CryptoPro's key derivation (CPKDF): the 32-byte key that unmasks the private key, from the password and a salt. */
export function cryptoProKdf(hash: (d: Uint8Array) => Uint8Array, block: 32 | 64, password: string, salt: Uint8Array): Buffer {
  const pin = cryptoProPin(password);
  const h = hash(Buffer.concat([salt, pin]));
  const c = Buffer.alloc(block);
  c.write('DENEFH028.760246785.IUEFHWUIO.EF', 'latin1');
  const inner = Buffer.alloc(block);
  const outer = Buffer.alloc(block);
  const xor = () => {
    for (let i = 0; i < block; i++) {
      inner[i] = c[i]! ^ 0x36;
      outer[i] = c[i]! ^ 0x5c;
    }
  };
  for (let round = 0; round < (password.length > 0 ? 2000 : 2); round++) {
    xor();
    c.fill(0).set(hash(Buffer.concat([inner, h, outer, h])));
  }
  xor();
  return Buffer.from(hash(hash(Buffer.concat([inner.subarray(0, 32), salt, outer.subarray(0, 32), pin]))));
}

/** Parsing of one file: any structural error becomes "damaged <file>". */
function parse<T>(label: string, file: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CryptoProContainerError) throw err;
    throw new CryptoProContainerError(`${label}: ${file} is damaged (not the structure a CryptoPro container has)`, 'damaged');
  }
}

/** The elements of a file that must be exactly one DER SEQUENCE. */
function sequenceOf(bytes: Uint8Array): Buffer[] {
  const elements = elementsOf(bytes);
  const whole = Buffer.from(bytes);
  if (whole[0] !== TAG.sequence || elements.reduce((n, e) => n + e.length, 0) + headerLength(whole) !== whole.length)
    throw new Error('not exactly one SEQUENCE');
  return elements;
}
const headerLength = (b: Buffer) => (b[1]! < 0x80 ? 2 : 2 + (b[1]! & 0x7f));

interface ParsedHeader {
  info: CryptoProContainerInfo;
  /** The password MAC ([2]): undefined when absent, all-zero when no password is set. */
  passwordMac: Buffer | undefined;
  primaryFingerprint: Buffer | undefined;
  /** For the header MAC: the content TLV and the MAC. */
  content: Buffer;
  mac: Buffer;
}

function keyInfo(slot: 'primary' | 'secondary', params: Buffer, label: string): Omit<CryptoProKeyInfo, 'fingerprint' | 'certificate'> {
  const [flags, algorithmIdentifier] = elementsOf(params);
  if (flags?.[0] !== 0x03 || algorithmIdentifier?.[0] !== TAG.context(0)) throw new Error('key parameters');
  const flagBytes = contentOf(flags);
  const [algorithmOid, algorithmParams] = elementsOf(algorithmIdentifier);
  const storedAlgorithm = oidToString(algorithmOid!);
  const [curve, digest] = elementsOf(algorithmParams!).map(oidToString);
  const algorithm = ruGostKeyOid(storedAlgorithm);
  if (!algorithm)
    throw new CryptoProContainerError(
      `${label}: the ${slot} key is of algorithm ${storedAlgorithm}, not GOST R 34.10-2001/2012: trustflow reads GOST keys of CryptoPro containers only`,
      'other-format',
    );
  if (!GOST_CURVE_BY_OID.has(curve!))
    throw new CryptoProContainerError(
      `${label}: the ${slot} key is on curve ${curve}, which trustflow does not compute on (CryptoPro A/B/C/XchA/XchB, tc26 256 B-D, 512 A/B)`,
      'unsupported-key',
    );
  return {
    slot,
    usage: EXCHANGE_ALGORITHMS.has(storedAlgorithm) ? 'exchange' : 'signature',
    storedAlgorithm,
    parameters: { algorithm, curve: curve!, digest: digest ?? '' },
    exportable: ((flagBytes[1] ?? 0) & 0x80) !== 0,
  };
}

function certificateOf(field: Buffer | undefined, label: string): X509Certificate | undefined {
  if (!field) return undefined;
  try {
    return new X509Certificate(contentOf(field));
  } catch {
    throw new CryptoProContainerError(`${label}: header.key is damaged (its certificate cannot be read)`, 'damaged');
  }
}

function parseHeader(header: Uint8Array, name: Uint8Array | undefined, label: string): ParsedHeader {
  return parse(label, 'header.key', () => {
    const [content, macField] = sequenceOf(header);
    const fields = elementsOf(content!);
    const formatOid = fields[0]?.[0] === TAG.context(0) ? oidToString(elementsOf(fields[0])[0]!) : undefined;
    if (formatOid === NEWER_FORMAT)
      throw new CryptoProContainerError(
        `${label}: a CryptoPro container of the newer format (1.2.643.2.2.37.4, used for ECDSA and RSA keys): trustflow reads the classic format of GOST containers only; export that key to PKCS#12 with the software that made it`,
        'other-format',
      );
    if (formatOid !== CLASSIC_FORMAT)
      throw new CryptoProContainerError(
        `${label}: header.key is not of a CryptoPro container format trustflow knows (${formatOid ?? 'no format OID'})`,
        'other-format',
      );
    const byTag = new Map(fields.map((f) => [f[0]!, f]));
    const primaryParams = fields.find((f, i) => i > 0 && f[0] === TAG.sequence);
    if (!primaryParams) throw new Error('no key parameters');
    const secondaryParams = byTag.get(TAG.context(4));
    const fingerprint = (tag: number) => (byTag.has(tag) ? contentOf(byTag.get(tag)!) : undefined);
    const keys: CryptoProKeyInfo[] = [
      {
        ...keyInfo('primary', primaryParams, label),
        fingerprint: fingerprint(PRIMITIVE(10)),
        certificate: certificateOf(byTag.get(PRIMITIVE(5)), label),
      },
    ];
    if (secondaryParams)
      keys.push({
        ...keyInfo('secondary', secondaryParams, label),
        fingerprint: fingerprint(PRIMITIVE(11)),
        certificate: certificateOf(byTag.get(PRIMITIVE(6)), label),
      });
    const passwordMac = byTag.has(PRIMITIVE(2)) ? contentOf(byTag.get(PRIMITIVE(2))!) : undefined;
    return {
      info: { name: nameOf(name), passwordSet: passwordMac === undefined ? undefined : passwordMac.some((b) => b !== 0), keys },
      passwordMac,
      primaryFingerprint: keys[0]!.fingerprint,
      content: content!,
      mac: contentOf(macField!),
    };
  });
}

/** name.key: SEQUENCE { IA5String }. Informational only (no MAC covers it): unreadable gives undefined. */
function nameOf(bytes: Uint8Array | undefined): string | undefined {
  try {
    const [value] = bytes ? elementsOf(bytes) : [];
    return value ? contentOf(value).toString('latin1') : undefined;
  } catch {
    return undefined;
  }
}

/** What the container holds, from header.key and name.key alone: no password, no key material. */
export function inspectCryptoProContainer(files: Pick<CryptoProContainerFiles, 'header' | 'name'>, label: string): CryptoProContainerInfo {
  const parsed = parseHeader(files.header, files.name, label);
  checkHeaderMac(parsed, label);
  return parsed.info;
}

function checkHeaderMac(parsed: ParsedHeader, label: string): void {
  // Keyed by an all-zero key, under the S-box of the container's primary key.
  const { sbox } = primitivesOf(parsed.info.keys[0]!.parameters);
  if (!new Gost28147(new Uint8Array(32), sbox).mac(ZERO_IV, parsed.content).equals(parsed.mac))
    throw new CryptoProContainerError(`${label}: header.key is damaged (its integrity check failed)`, 'damaged');
}

/** One copy of the key material: masks and primary file, with their names for messages. */
interface Copy {
  masks: Uint8Array;
  primary: Uint8Array;
  names: string;
}

function unmaskKeys(parsed: ParsedHeader, copy: Copy, password: string, label: string): RuGostPrivateKey[] {
  const [maskFile, primaryFile] = copy.names.split(' + ') as [string, string];
  const [mask, salt, masksMac] = parse(label, maskFile, () => {
    const parts = sequenceOf(copy.masks).map(contentOf);
    if (parts.length !== 3 || parts[1]!.length !== 12) throw new Error('masks layout');
    return parts as [Buffer, Buffer, Buffer];
  });
  const encrypted = parse(label, primaryFile, () => sequenceOf(copy.primary).map(contentOf));
  const { hash, block, sbox } = primitivesOf(parsed.info.keys[0]!.parameters);
  // The masks MAC is keyed by the mask (its last 32 bytes for a 512-bit key) over the salt.
  if (mask.length < 32 || !new Gost28147(mask.subarray(mask.length - 32), sbox).mac(ZERO_IV, salt).equals(masksMac))
    throw new CryptoProContainerError(`${label}: ${maskFile} is damaged (its integrity check failed)`, 'damaged');
  const cipher = new Gost28147(cryptoProKdf(hash, block, password, salt), sbox);
  return parsed.info.keys.map((info, i) => {
    const bytes = encrypted[i];
    const size = GOST_CURVE_BY_OID.get(info.parameters.curve)!.size;
    if (!bytes || bytes.length !== size || mask.length !== size)
      throw new CryptoProContainerError(`${label}: ${primaryFile} is damaged (no ${info.slot} key of ${size} bytes)`, 'damaged');
    const q = GOST_CURVE_BY_OID.get(info.parameters.curve)!.Point.CURVE().n;
    const m = leToBigint(mask) % q;
    if (m === 0n) throw new CryptoProContainerError(`${label}: ${maskFile} is damaged (a zero mask)`, 'damaged');
    const d = (leToBigint(cipher.decrypt(bytes)) * invert(m, q)) % q;
    try {
      return new RuGostPrivateKey(info.parameters, d);
    } catch {
      throw new CryptoProContainerError(`${label}: ${primaryFile} is damaged (the key is out of range)`, 'damaged');
    }
  });
}

function invert(a: bigint, q: bigint): bigint {
  let [r0, r1, s0, s1] = [a, q, 1n, 0n];
  while (r1 !== 0n) {
    const t = r0 / r1;
    [r0, r1] = [r1, r0 - t * r1];
    [s0, s1] = [s1, s0 - t * s1];
  }
  return ((s0 % q) + q) % q;
}

/** True when the password opens the container, by its password MAC ([2], keyed by KDF(password, fingerprint)). */
function passwordMatches(parsed: ParsedHeader, password: string): boolean {
  const { hash, block, sbox } = primitivesOf(parsed.info.keys[0]!.parameters);
  const k = cryptoProKdf(hash, block, password, parsed.primaryFingerprint ?? Buffer.alloc(0));
  return new Gost28147(k, sbox).mac(ZERO_IV, new Uint8Array(16)).equals(parsed.passwordMac!);
}

/** Keys whose fingerprint and certificate agree with the header; else the first disagreement. */
function checkKeys(parsed: ParsedHeader, keys: RuGostPrivateKey[]): string | undefined {
  for (const [i, key] of keys.entries()) {
    const info = parsed.info.keys[i]!;
    if (info.fingerprint && !key.fingerprint().equals(info.fingerprint)) return `the ${info.slot} key does not match its fingerprint`;
    if (info.certificate && !key.belongsTo(info.certificate)) return `the ${info.slot} key does not match its certificate`;
  }
  return undefined;
}

/**
 * Opens every key of a container with its password ('' for none).
 * @param passwordRef the secret reference the password came from, named in password errors.
 * @throws CryptoProContainerError saying which problem, which file and what to do.
 */
export function openCryptoProContainer(
  files: CryptoProContainerFiles,
  password: string,
  label: string,
  passwordRef?: string,
): OpenedContainerKey[] {
  const parsed = parseHeader(files.header, files.name, label);
  checkHeaderMac(parsed, label);
  const behind = passwordRef ? ` (check the secret behind ${passwordRef})` : '';
  let pin = password;
  if (parsed.info.passwordSet === true && !passwordMatches(parsed, pin)) {
    if (pin === '')
      throw new CryptoProContainerError(
        `${label}: the container is protected by a password: give it (key.password, --password-env)`,
        'password-required',
      );
    throw new CryptoProContainerError(`${label}: wrong password for the container${behind}`, 'wrong-password');
  }
  if (parsed.info.passwordSet === false) pin = ''; // the container says it has none: a password given anyway changes nothing

  const copies: Copy[] = [{ masks: files.masks, primary: files.primary, names: 'masks.key + primary.key' }];
  if (files.masks2 && files.primary2) copies.push({ masks: files.masks2, primary: files.primary2, names: 'masks2.key + primary2.key' });
  const failures: CryptoProContainerError[] = [];
  for (const copy of copies) {
    let keys: RuGostPrivateKey[];
    try {
      keys = unmaskKeys(parsed, copy, pin, label);
    } catch (err) {
      if (!(err instanceof CryptoProContainerError)) throw err;
      failures.push(err);
      continue;
    }
    const mismatch = checkKeys(parsed, keys);
    if (mismatch) {
      failures.push(new CryptoProContainerError(`${label}: ${copy.names.split(' + ')[1]} is damaged (${mismatch})`, 'damaged'));
      continue;
    }
    const warning = failures.length > 0 ? `${failures[0]!.message}; the key was read from the second copy (${copy.names})` : undefined;
    return keys.map((key, i) => ({ info: parsed.info.keys[i]!, key, ...(warning ? { warning } : {}) }));
  }
  // No copy gave the key its header names. Without a password MAC (two-key containers) a wrong
  // password looks exactly like this when the masks are intact.
  if (parsed.info.passwordSet === undefined && failures.every((f) => / is damaged \(the \w+ key does not match/.test(f.message)))
    throw new CryptoProContainerError(
      pin === ''
        ? `${label}: the key does not match its fingerprint: the container needs a password (key.password, --password-env), or it is damaged`
        : `${label}: wrong password for the container${behind} (this container keeps no password check, so it may also be damaged)`,
      pin === '' ? 'password-required' : 'wrong-password',
    );
  throw failures[0]!;
}

/**
 * The key of a container for one use: `keyUsage` names it; without it, the exchange key (what
 * decryption needs) when the container has one, else its only key.
 * @throws CryptoProContainerError 'no-such-key' when the container holds no key of that usage.
 */
export function pickContainerKey(keys: OpenedContainerKey[] | CryptoProKeyInfo[], keyUsage: KeyUsage | undefined, label: string): number {
  const usages = keys.map((k) => ('info' in k ? k.info.usage : k.usage));
  const index = keyUsage
    ? usages.indexOf(keyUsage)
    : usages.includes('exchange')
      ? usages.indexOf('exchange')
      : usages.length === 1
        ? 0
        : -1;
  if (index < 0)
    throw new CryptoProContainerError(
      `${label}: the container holds no ${keyUsage ?? 'exchange'} key (it holds: ${usages.join(', ')}); set keyUsage to one of those`,
      'no-such-key',
    );
  return index;
}
