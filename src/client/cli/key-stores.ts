// What `trustflow key` reads: a key store of any kind it knows (a CryptoPro container folder, a
// CryptoPro PFX, a PKCS#12 file, PEM), recognised by its content, described without its password as
// far as that goes (inspect), and opened to the one key a person wants out of it (export).
import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import forge from 'node-forge';
import { FailureType, KeyStoreError } from '../../common/errors.js';
import { kzGostPublicKeyOfCertificate } from '../../crypto/certificates/check.js';
import { elementsOf, TAG } from '../../crypto/cms/der.js';
import {
  isKzGostKeyOid,
  kzGostPrivateKeyFromPkcs8,
  kzGostPrivateKeyToPkcs8,
  kzGostPublicKeyOf,
  sameKzGostPublicKey,
  type KzGostPrivateKey,
} from '../../crypto/gost/kz-gost.js';
import {
  inspectCryptoProContainerFolder,
  isCryptoProContainerPath,
  openCryptoProContainerFolder,
} from '../../crypto/keys/cryptopro-container-folder.js';
import { pickContainerKey, type CryptoProKeyInfo, type KeyUsage } from '../../crypto/keys/cryptopro-container.js';
import { isCryptoProPfx, openCryptoProPfx } from '../../crypto/keys/cryptopro-pfx.js';
import { decryptPkcs8, pemBlocks, pkcs8Encryption, privateKeyInfoAlgorithm, ruGostKeyFromPkcs8 } from '../../crypto/keys/pkcs8.js';
import { openKeyStore } from '../../crypto/keys/pkcs12.js';
import type { RuGostPrivateKey } from '../../crypto/keys/ru-gost-key.js';
import { UsageError } from './command.js';

export type StoreKind = 'cryptopro-container' | 'cryptopro-pfx' | 'pkcs12' | 'pem';

export interface CertificateReport {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the certificate's DER, hex. */
  sha256: string;
}

export interface KeyReport {
  /** Containers: where the key sits ('primary', 'secondary'). */
  slot?: 'primary' | 'secondary';
  /** Containers: what CryptoPro keeps the key for; null where the store does not say. */
  usage: KeyUsage | null;
  /** For people: `GOST R 34.10-2012 256-bit`, `RSA 2048-bit`. */
  algorithm: string;
  /** The key's algorithm OID as certificates and PKCS#8 name it. */
  algorithmOid: string;
  /** Containers: the algorithm OID as CryptoPro stored it (the "DH"/agreement form of an exchange key). */
  storedAlgorithmOid?: string;
  curve?: string;
  curveOid?: string;
  digestOid?: string;
  /** Containers: CryptoPro's "exportable" flag (policy for CryptoPro's software, not cryptography). */
  exportable?: boolean;
  /** Hex; what it is a fingerprint of is `fingerprintOf`. null when it cannot be computed. */
  fingerprint: string | null;
  fingerprintOf?: string;
  /** The certificate of this key (its public key matches), when the store holds one. */
  certificate: CertificateReport | null;
}

export interface StoreReport {
  path: string;
  kind: StoreKind;
  /** Containers: the name CryptoPro shows (name.key). */
  name?: string | null;
  /** Containers: true a password is set, false none, null the container does not say (two-key containers). */
  passwordSet?: boolean | null;
  /** PEM/PKCS#12: how the key is protected, as far as can be seen. */
  encryption?: string;
  /** True when the key material was read (the password, or no password, opened it). */
  opened: boolean;
  keys: KeyReport[];
  /** Every certificate of the store, the keys' own included. */
  certificates: CertificateReport[];
  warnings: string[];
  notes: string[];
}

/** A key taken out of a store, with what to tell the person exporting it. */
export interface ExportedKey {
  kind: StoreKind;
  /** PrivateKeyInfo DER (Russian GOST keys in gost-engine's form). */
  pkcs8: Buffer;
  description: string;
  certificate: X509Certificate | undefined;
  /** Printed on stderr as warnings (a damaged first copy). */
  warnings: string[];
  /** Printed on stderr as notices (non-exportable, which key of two was taken). */
  notices: string[];
}

export interface Password {
  value: string;
  /** `env:NAME`, for messages; undefined when no password was given. */
  ref: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Names

const RU_GOST_NAME: Readonly<Record<string, string>> = {
  '1.2.643.2.2.19': 'GOST R 34.10-2001',
  '1.2.643.7.1.1.1.1': 'GOST R 34.10-2012 256-bit',
  '1.2.643.7.1.1.1.2': 'GOST R 34.10-2012 512-bit',
};

const CURVE_NAME: Readonly<Record<string, string>> = {
  '1.2.643.2.2.35.1': 'CryptoPro-A',
  '1.2.643.2.2.35.2': 'CryptoPro-B',
  '1.2.643.2.2.35.3': 'CryptoPro-C',
  '1.2.643.2.2.36.0': 'CryptoPro-XchA',
  '1.2.643.2.2.36.1': 'CryptoPro-XchB',
  '1.2.643.7.1.2.1.1.1': 'TC26 256 paramSetA',
  '1.2.643.7.1.2.1.1.2': 'TC26 256 paramSetB',
  '1.2.643.7.1.2.1.1.3': 'TC26 256 paramSetC',
  '1.2.643.7.1.2.1.1.4': 'TC26 256 paramSetD',
  '1.2.643.7.1.2.1.2.1': 'TC26 512 paramSetA',
  '1.2.643.7.1.2.1.2.2': 'TC26 512 paramSetB',
  '1.2.643.7.1.2.1.2.3': 'TC26 512 paramSetC',
};

const CRYPTOPRO_FINGERPRINT = 'the public key (CryptoPro: first 8 bytes of X, little-endian)';
const SPKI_FINGERPRINT = 'the public key (SHA-256 of its SubjectPublicKeyInfo)';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const dn = (s: string) => s.split('\n').join(', ');

export function certificateReport(c: X509Certificate): CertificateReport {
  return {
    subject: dn(c.subject),
    issuer: dn(c.issuer),
    serialNumber: c.serialNumber,
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: new Date(c.validTo).toISOString(),
    sha256: createHash('sha256').update(c.raw).digest('hex'),
  };
}

/** Warnings about a key's certificate: expired or not yet valid now. */
function validityWarnings(c: X509Certificate, what: string): string[] {
  const now = Date.now();
  if (new Date(c.validTo).getTime() < now)
    return [`${what}'s certificate (${dn(c.subject)}) expired on ${new Date(c.validTo).toISOString()}`];
  if (new Date(c.validFrom).getTime() > now)
    return [`${what}'s certificate (${dn(c.subject)}) is not valid before ${new Date(c.validFrom).toISOString()}`];
  return [];
}

function ruGostKeyReport(key: RuGostPrivateKey, certificate: X509Certificate | undefined): KeyReport {
  const { algorithm, curve, digest } = key.parameters;
  return {
    usage: null,
    algorithm: RU_GOST_NAME[algorithm] ?? algorithm,
    algorithmOid: algorithm,
    curve: CURVE_NAME[curve] ?? curve,
    curveOid: curve,
    digestOid: digest,
    fingerprint: hex(key.fingerprint()),
    fingerprintOf: CRYPTOPRO_FINGERPRINT,
    certificate: certificate ? certificateReport(certificate) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// What a path holds

type Source = { kind: 'cryptopro-container' } | { kind: 'cryptopro-pfx' | 'pkcs12' | 'pem'; bytes: Buffer };

/** Key stores are kilobytes; a file far larger is not one (and is not read into memory). */
const MAX_STORE_BYTES = 1024 * 1024;

/**
 * What the path is, by its content: a folder is a CryptoPro container (or is told why not), a file
 * is PEM when it has PEM armour, PKCS#12 when its DER says so (a CryptoPro PFX when its key bag uses
 * CryptoPro's PBE).
 * @throws UsageError when nothing is there; KeyStoreError for what is not a key store.
 */
export async function sourceOf(path: string, flag: '--from' | undefined): Promise<Source> {
  const named = flag ? `${flag} ${path}` : path;
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`${named}: ${err.code === 'ENOENT' ? 'no such file or folder' : `cannot read it (${err.code ?? 'error'})`}`);
  });
  // A folder, or one file of a container (the folder reader then says to give the folder).
  if (isCryptoProContainerPath(path)) return { kind: 'cryptopro-container' };
  if (st.size > MAX_STORE_BYTES) throw new KeyStoreError(`${path}: ${st.size} bytes is too large for a key store`);
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`${named}: cannot read it (${err.code ?? 'error'})`);
  });
  if (bytes.subarray(0, 4096).toString('latin1').includes('-----BEGIN ')) return { kind: 'pem', bytes };
  if (looksLikePkcs12(bytes)) return { kind: isCryptoProPfx(bytes) ? 'cryptopro-pfx' : 'pkcs12', bytes };
  throw new KeyStoreError(
    `${path}: not a key store trustflow reads (a CryptoPro container folder, a PKCS#12/PFX file, or PEM: PKCS#8 key and certificates)`,
  );
}

/** PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, macData OPTIONAL }. */
function looksLikePkcs12(der: Buffer): boolean {
  try {
    const [version, authSafe] = elementsOf(der);
    return version?.[0] === TAG.integer && version.length === 3 && version[2] === 3 && authSafe?.[0] === TAG.sequence;
  } catch {
    // BER with indefinite lengths (some Windows tools): the version still comes first.
    return der[0] === 0x30 && der.subarray(2, 8).includes(Buffer.from([0x02, 0x01, 0x03]));
  }
}

// ---------------------------------------------------------------------------------------------
// inspect

/** What the store at `path` holds. `password` undefined: none was given (containers need none). */
export async function inspectStore(path: string, password: Password | undefined): Promise<StoreReport> {
  const source = await sourceOf(path, undefined);
  const report: StoreReport = { path, kind: source.kind, opened: false, keys: [], certificates: [], warnings: [], notes: [] };
  switch (source.kind) {
    case 'cryptopro-container':
      await inspectContainer(path, password, report);
      break;
    case 'cryptopro-pfx':
      inspectCryptoProPfx(source.bytes, path, password, report);
      break;
    case 'pkcs12':
      inspectPkcs12(source.bytes, path, password, report);
      break;
    case 'pem':
      inspectPem(source.bytes.toString('latin1'), path, password, report);
      break;
  }
  // The fields in reading order (JSON keeps the order they were set in).
  const { name, passwordSet, encryption } = report;
  return {
    path: report.path,
    kind: report.kind,
    ...(name !== undefined ? { name } : {}),
    ...(passwordSet !== undefined ? { passwordSet } : {}),
    ...(encryption !== undefined ? { encryption } : {}),
    opened: report.opened,
    keys: report.keys,
    certificates: report.certificates,
    warnings: report.warnings,
    notes: report.notes,
  };
}

function containerKeyReport(info: CryptoProKeyInfo): KeyReport {
  const { algorithm, curve, digest } = info.parameters;
  return {
    slot: info.slot,
    usage: info.usage,
    algorithm: RU_GOST_NAME[algorithm] ?? algorithm,
    algorithmOid: algorithm,
    storedAlgorithmOid: info.storedAlgorithm,
    curve: CURVE_NAME[curve] ?? curve,
    curveOid: curve,
    digestOid: digest,
    exportable: info.exportable,
    fingerprint: info.fingerprint ? hex(info.fingerprint) : null,
    fingerprintOf: CRYPTOPRO_FINGERPRINT,
    certificate: info.certificate ? certificateReport(info.certificate) : null,
  };
}

async function inspectContainer(path: string, password: Password | undefined, report: StoreReport): Promise<void> {
  const info = await inspectCryptoProContainerFolder(path);
  report.name = info.name ?? null;
  report.passwordSet = info.passwordSet ?? null;
  report.keys = info.keys.map(containerKeyReport);
  report.certificates = uniqueCertificates(info.keys.flatMap((k) => (k.certificate ? [k.certificate] : []))).map(certificateReport);
  for (const k of info.keys) {
    if (!k.exportable)
      report.warnings.push(`the ${k.usage} key is marked non-exportable by CryptoPro (policy of CryptoPro's software only)`);
    if (k.certificate) report.warnings.push(...validityWarnings(k.certificate, `the ${k.usage} key`));
    else report.notes.push(`the ${k.usage} key has no certificate in the container`);
  }
  if (password === undefined) {
    report.notes.push('read from header.key alone (no password needed); give --password-env to check that the password opens the keys');
    return;
  }
  // Asked to: open every key with the password (fingerprints and certificates checked on the way).
  const opened = await openCryptoProContainerFolder(path, password.value, password.ref);
  report.opened = true;
  for (const w of new Set(opened.flatMap((k) => (k.warning ? [k.warning] : [])))) report.warnings.push(w);
  report.notes.push('the password opens the container; every key matches its fingerprint and certificate');
}

function uniqueCertificates(certs: X509Certificate[]): X509Certificate[] {
  return certs.filter((c, i) => certs.findIndex((d) => d.raw.equals(c.raw)) === i);
}

/** A PKCS#12 file's key and certificates, through openKeyStore, or forge for a Russian GOST key (which openKeyStore refuses for signing). */
interface Pkcs12Contents {
  pkcs8: Buffer;
  /** The key's own certificate first. */
  certificates: X509Certificate[];
}

function readPkcs12(der: Buffer, password: string, label: string, passwordRef: string | undefined): Pkcs12Contents {
  try {
    const store = openKeyStore(der, password, label, passwordRef);
    const pkcs8 =
      store.key.kind === 'node'
        ? (store.key.keyObject.export({ type: 'pkcs8', format: 'der' }) as Buffer)
        : Buffer.from(kzGostPrivateKeyToPkcs8(store.key.gost));
    return { pkcs8, certificates: store.certificates };
  } catch (err) {
    // UnsupportedKey comes after the password and the iteration counts were checked: a key openKeyStore
    // will not sign with. A Russian GOST key is read here all the same (export is what it is for).
    if (!(err instanceof KeyStoreError) || err.type !== FailureType.UnsupportedKey) throw err;
    const ru = russianGostFromPkcs12(der, password, label);
    if (!ru) throw err;
    return ru;
  }
}

function russianGostFromPkcs12(der: Buffer, password: string, label: string): Pkcs12Contents | undefined {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))), false, password);
  const bags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const asn1 = bags[0]?.asn1;
  if (!asn1) return undefined;
  const pkcs8 = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
  const key = ruGostKeyFromPkcs8(pkcs8, label);
  if (!key) return undefined;
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const certificates = certBags.flatMap((b) => {
    const c = b.cert ? forge.pki.certificateToAsn1(b.cert) : b.asn1;
    return c ? [new X509Certificate(Buffer.from(forge.asn1.toDer(c).getBytes(), 'binary'))] : [];
  });
  const own = certificates.find((c) => key.belongsTo(c));
  if (!own) throw new KeyStoreError(`${label}: the PKCS#12 file has no certificate for its private key`);
  return { pkcs8, certificates: [own, ...certificates.filter((c) => c !== own)] };
}

/** The store's password is wrong (or, tried empty, is not empty): what inspect can still describe around. */
const isWrongPassword = (err: unknown) => err instanceof KeyStoreError && /wrong password/.test(err.message);

/** A CryptoPro PFX (crypto/keys/cryptopro-pfx.ts): opened with the given password, or tried with the empty one. */
function inspectCryptoProPfx(der: Buffer, path: string, password: Password | undefined, report: StoreReport): void {
  report.encryption = "CryptoPro's PBE (1.2.840.113549.1.12.1.80) for the key, which OpenSSL cannot open";
  let opened: ReturnType<typeof openCryptoProPfx>;
  try {
    opened = openCryptoProPfx(der, password?.value ?? '', path, password?.ref);
  } catch (err) {
    if (password !== undefined || !isWrongPassword(err)) throw err;
    report.notes.push(
      'a CryptoPro PFX protected by a password (the empty password does not open it): give --password-env to see the key and certificates',
    );
    return;
  }
  report.opened = true;
  if (password === undefined) report.notes.push('opened with the empty password');
  report.keys.push(ruGostKeyReport(opened.key, opened.certificates[0]));
  report.certificates = opened.certificates.map(certificateReport);
  if (opened.certificates[0]) report.warnings.push(...validityWarnings(opened.certificates[0], 'the key'));
}

function inspectPkcs12(der: Buffer, path: string, password: Password | undefined, report: StoreReport): void {
  report.encryption = "PKCS#12's standard encryption (not CryptoPro's)";
  let contents: Pkcs12Contents;
  try {
    contents = readPkcs12(der, password?.value ?? '', path, password?.ref);
  } catch (err) {
    if (password !== undefined || !isWrongPassword(err)) throw err;
    report.notes.push(
      'a PKCS#12 file protected by a password (the empty password does not open it): give --password-env to see the key and certificates',
    );
    return;
  }
  report.opened = true;
  if (password === undefined) report.notes.push('opened with the empty password');
  const described = describePkcs8(contents.pkcs8, path, contents.certificates);
  report.keys.push(described.report);
  report.certificates = contents.certificates.map(certificateReport);
  if (described.certificate) report.warnings.push(...validityWarnings(described.certificate, 'the key'));
}

/** A PrivateKeyInfo for people: algorithm, parameters, fingerprint, and which of `certificates` is its own. */
function describePkcs8(
  pkcs8: Buffer,
  label: string,
  certificates: X509Certificate[],
): { report: KeyReport; certificate: X509Certificate | undefined } {
  const algorithm = privateKeyInfoAlgorithm(pkcs8);
  if (!algorithm) throw new KeyStoreError(`${label}: the private key is not a readable PKCS#8 PrivateKeyInfo`);
  const ru = ruGostKeyFromPkcs8(pkcs8, label);
  if (ru) {
    const certificate = certificates.find((c) => ru.belongsTo(c));
    return { report: ruGostKeyReport(ru, certificate), certificate };
  }
  if (isKzGostKeyOid(algorithm.oid)) {
    let kz: KzGostPrivateKey;
    try {
      kz = kzGostPrivateKeyFromPkcs8(pkcs8);
    } catch (err) {
      throw new KeyStoreError(`${label}: ${(err as Error).message}`, FailureType.UnsupportedKey);
    }
    const publicKey = kzGostPublicKeyOf(kz);
    const certificate = certificates.find((c) => {
      try {
        const q = kzGostPublicKeyOfCertificate(c);
        return q !== undefined && sameKzGostPublicKey(q, publicKey);
      } catch {
        return false;
      }
    });
    return {
      report: {
        usage: null,
        algorithm: kz.algorithm.name,
        algorithmOid: kz.algorithm.keyOid,
        curveOid: kz.algorithm.curveOid,
        digestOid: kz.algorithm.hashOid,
        fingerprint: certificate ? spkiFingerprint(certificate) : null,
        ...(certificate ? { fingerprintOf: SPKI_FINGERPRINT } : {}),
        certificate: certificate ? certificateReport(certificate) : null,
      },
      certificate,
    };
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch {
    return {
      report: { usage: null, algorithm: `unknown (${algorithm.oid})`, algorithmOid: algorithm.oid, fingerprint: null, certificate: null },
      certificate: undefined,
    };
  }
  const certificate = certificates.find((c) => {
    try {
      return c.checkPrivateKey(keyObject);
    } catch {
      return false;
    }
  });
  const details = keyObject.asymmetricKeyDetails ?? {};
  const type = keyObject.asymmetricKeyType ?? 'unknown';
  const name =
    type === 'rsa' || type === 'rsa-pss'
      ? `${type.toUpperCase()} ${details.modulusLength ?? '?'}-bit`
      : type === 'ec'
        ? `EC ${details.namedCurve ?? ''}`.trim()
        : type.toUpperCase();
  return {
    report: {
      usage: null,
      algorithm: name,
      algorithmOid: algorithm.oid,
      ...(details.namedCurve ? { curve: details.namedCurve } : {}),
      fingerprint: createHash('sha256')
        .update(createPublicKey(keyObject).export({ type: 'spki', format: 'der' }))
        .digest('hex'),
      fingerprintOf: SPKI_FINGERPRINT,
      certificate: certificate ? certificateReport(certificate) : null,
    },
    certificate,
  };
}

/** SHA-256 of a certificate's SubjectPublicKeyInfo DER (read from the DER: Node cannot parse GOST keys). */
function spkiFingerprint(c: X509Certificate): string | null {
  try {
    const fields = elementsOf(elementsOf(c.raw)[0]!);
    const spki = fields[(fields[0]?.[0] === TAG.context(0) ? 1 : 0) + 5]!;
    return createHash('sha256').update(spki).digest('hex');
  } catch {
    return null;
  }
}

function inspectPem(text: string, path: string, password: Password | undefined, report: StoreReport): void {
  const blocks = pemBlocks(text);
  const certificates: X509Certificate[] = [];
  for (const b of blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE'))
    try {
      certificates.push(new X509Certificate(b.der));
    } catch {
      report.warnings.push(`a ${b.label} block that is not a readable certificate (ignored)`);
    }
  report.certificates = certificates.map(certificateReport);
  const keys: Buffer[] = [];
  for (const b of blocks) {
    if (b.label === 'PRIVATE KEY') {
      keys.push(b.der);
      report.encryption = 'none';
      report.warnings.push('the private key is not encrypted: anyone who can read the file has the key');
    } else if (b.label === 'ENCRYPTED PRIVATE KEY') {
      const encryption = pkcs8Encryption(b.der, path);
      report.encryption = encryption.description;
      if (password === undefined) report.notes.push('the private key is encrypted: give --password-env to see it');
      else keys.push(decryptPkcs8(b.der, password.value, path, password.ref));
    } else if (/^(RSA|EC|DSA) PRIVATE KEY$/.test(b.label)) {
      const encrypted = /ENCRYPTED/.test(b.headers);
      report.encryption = encrypted ? `traditional ${b.label} encryption (${/DEK-Info: *([^,\n]+)/.exec(b.headers)?.[1] ?? '?'})` : 'none';
      if (encrypted && password === undefined) {
        report.notes.push('the private key is encrypted: give --password-env to see it');
        continue;
      }
      if (!encrypted) report.warnings.push('the private key is not encrypted: anyone who can read the file has the key');
      try {
        const k = createPrivateKey({ key: b.text, format: 'pem', ...(encrypted ? { passphrase: password!.value } : {}) });
        keys.push(k.export({ type: 'pkcs8', format: 'der' }) as Buffer);
      } catch {
        throw new KeyStoreError(`${path}: ${encrypted ? 'wrong password for the key, or' : 'the'} ${b.label} block cannot be read`);
      }
    } else if (!/CERTIFICATE$/.test(b.label)) report.notes.push(`a ${b.label} block (not described here)`);
  }
  if (blocks.length === 0) throw new KeyStoreError(`${path}: PEM armour without a readable block`);
  for (const pkcs8 of keys) {
    const described = describePkcs8(pkcs8, path, certificates);
    report.keys.push(described.report);
    if (described.certificate) report.warnings.push(...validityWarnings(described.certificate, 'the key'));
    else if (certificates.length > 0) report.warnings.push('no certificate of the file carries the public key of its private key');
  }
  report.opened = keys.length > 0;
  if (keys.length === 0 && certificates.length > 0 && !report.notes.some((n) => /encrypted/.test(n)))
    report.notes.push('certificates only: no private key in the file');
}

// ---------------------------------------------------------------------------------------------
// export

/**
 * Opens the store at `path` and takes the one key a person asked for.
 * @param keyUsage containers: which key of two (default: the exchange key, as decryption wants).
 * @throws UsageError for --key-usage on a store of one key; KeyStoreError/CryptoProContainerError for the store.
 */
export async function exportKey(path: string, password: Password, keyUsage: KeyUsage | undefined): Promise<ExportedKey> {
  const source = await sourceOf(path, '--from');
  if (keyUsage !== undefined && source.kind !== 'cryptopro-container')
    throw new UsageError(
      `--key-usage chooses between the keys of a CryptoPro container; ${path} is ${articleFor(source.kind)}, which holds one key`,
    );
  switch (source.kind) {
    case 'cryptopro-container':
      return exportFromContainer(path, password, keyUsage);
    case 'cryptopro-pfx': {
      const { key, certificates } = openCryptoProPfx(source.bytes, password.value, path, password.ref);
      return {
        kind: source.kind,
        pkcs8: key.toPkcs8(),
        description: `the ${key.algorithmName} key (fingerprint ${hex(key.fingerprint())})`,
        certificate: certificates[0],
        warnings: [],
        notices: [],
      };
    }
    case 'pkcs12': {
      const contents = readPkcs12(source.bytes, password.value, path, password.ref);
      const described = describePkcs8(contents.pkcs8, path, contents.certificates);
      return {
        kind: source.kind,
        pkcs8: contents.pkcs8,
        description: `the ${described.report.algorithm} key`,
        certificate: contents.certificates[0],
        warnings: [],
        notices: [],
      };
    }
    case 'pem':
      throw new KeyStoreError(
        `${path} is a PEM file: its key is already out of any key store (\`openssl pkcs8 -topk8 -v2 aes-256-cbc\` changes its encryption)`,
      );
  }
}

const articleFor = (kind: StoreKind) =>
  kind === 'cryptopro-pfx' ? 'a CryptoPro PFX' : kind === 'pkcs12' ? 'a PKCS#12 file' : 'a PEM file';

async function exportFromContainer(path: string, password: Password, keyUsage: KeyUsage | undefined): Promise<ExportedKey> {
  // Which key first, from the header: a wrong --key-usage is said before the ~2000-round KDF runs.
  const info = await inspectCryptoProContainerFolder(path);
  let index: number;
  try {
    index = pickContainerKey(info.keys, keyUsage, path);
  } catch (err) {
    throw new KeyStoreError(
      `${path}: the container holds no ${keyUsage ?? 'exchange'} key (it holds: ${info.keys.map((k) => k.usage).join(', ')}); --key-usage names one of those`,
      (err as KeyStoreError).type,
    );
  }
  const opened = await openCryptoProContainerFolder(path, password.value, password.ref);
  const chosen = opened[index]!;
  const notices: string[] = [];
  if (keyUsage === undefined && opened.length > 1)
    notices.push(
      `the container holds ${opened.length} keys (${opened.map((k) => k.info.usage).join(', ')}): exported the ${chosen.info.usage} key; --key-usage ${opened.find((k) => k !== chosen)!.info.usage} exports the other`,
    );
  if (!chosen.info.exportable)
    notices.push(
      `CryptoPro marked this key non-exportable: its own software would refuse to export it. The flag is policy, not cryptography; using the key outside CryptoPro is the key owner's decision`,
    );
  return {
    kind: 'cryptopro-container',
    pkcs8: chosen.key.toPkcs8(),
    description: `the ${chosen.info.usage} key (${chosen.key.algorithmName}, fingerprint ${hex(chosen.key.fingerprint())})`,
    certificate: chosen.info.certificate,
    warnings: chosen.warning ? [chosen.warning] : [],
    notices,
  };
}
