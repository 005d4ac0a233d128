// Opens PKCS#12 key stores: the legacy 3DES/RC2-40 files NCA RK issues and OpenSSL 3's default
// AES-256/PBES2 files. node-forge is the one library that reads both (OpenSSL 3 without -legacy,
// Node's `pfx` and pkijs reject NCA files). RSA and EC keys are handed to Node's crypto at once
// (forge's pure-JS RSA is ~100x slower); Kazakh GOST keys, whose OIDs OpenSSL cannot parse, are
// read from their PKCS#8 by kz-gost.ts.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { FailureType, KeyStoreError } from '../../common/errors.js';
import { kzGostPublicKeyOfCertificate } from '../certificates/check.js';
import {
  isKzGostKeyOid,
  kzGostPrivateKeyFromPkcs8,
  kzGostPublicKeyOf,
  sameKzGostPublicKey,
  type KzGostPrivateKey,
} from '../gost/kz-gost.js';
import type { SecretResolver } from '../../secrets/resolve.js';
import { keyCache, readKeyFile, type KeyFile } from './key-cache.js';

/** The private key of a key store: a Node KeyObject (RSA, EC) or a Kazakh GOST key (no OpenSSL support). */
export type StoreKey = { kind: 'node'; keyObject: KeyObject } | { kind: 'kz-gost'; gost: KzGostPrivateKey };

export interface KeyStore {
  key: StoreKey;
  /** The certificate of the private key, then any other certificates of the file (chain). */
  certificates: X509Certificate[];
}

/** A key store whose key Node's crypto can use (TLS, JWS, RSA decryption). */
export interface SoftwareKey {
  privateKey: KeyObject;
  /** The certificate of the private key, then any other certificates of the file (chain). */
  certificates: X509Certificate[];
}

const RU_GOST_ADVICE =
  'trustflow can decrypt with this key (konturSignIn `key`, `trustflow cms decrypt`), not sign: its CMS signers take RSA and Kazakh GOST keys';
const FOREIGN_KEY_ALGORITHMS: Record<string, { name: string; advice: string }> = {
  '1.2.643.7.1.1.1.1': { name: 'GOST R 34.10-2012 256-bit (Russia)', advice: RU_GOST_ADVICE },
  '1.2.643.7.1.1.1.2': { name: 'GOST R 34.10-2012 512-bit (Russia)', advice: RU_GOST_ADVICE },
  '1.2.643.2.2.19': { name: 'GOST R 34.10-2001 (Russia)', advice: RU_GOST_ADVICE },
};

/**
 * Opens a PKCS#12 file holding an RSA, EC or Kazakh GOST key: one loader, one set of errors.
 * @param label how to name the file in errors (its path), never its contents.
 * @param passwordRef where the password came from (a secret reference), named in wrong-password errors.
 * @throws KeyStoreError wrong password, damaged file, no key, no certificate for the key, or a key type no signer here can use.
 */
export function openKeyStore(der: Uint8Array, password: string, label: string, passwordRef?: string): KeyStore {
  try {
    return readKeyStore(der, password, label, passwordRef);
  } catch (err) {
    if (err instanceof KeyStoreError) throw err;
    // A structure damaged past forge's checks (a certificate bag OpenSSL refuses, a key Node cannot load).
    throw new KeyStoreError(`${label}: not a readable PKCS#12 file (a certificate or key in it is damaged)`);
  }
}

/**
 * PBE and MAC iteration counts forge would run, unbounded and synchronously (0x7fffffff: ~35 min of
 * the worker's thread). Files from CAs and OpenSSL use 2048; a million is already ~1 s in forge.
 */
const MAX_PKCS12_ITERATIONS = 1_000_000;

function assertSaneIterations(node: forge.asn1.Asn1, label: string, depth = 0): void {
  if (depth > 32) throw new KeyStoreError(`${label}: not a readable PKCS#12 file (nested too deeply)`);
  if (!Array.isArray(node.value)) {
    // The authSafe's content and the SafeContents travel as OCTET STRINGs of DER: look inside.
    if (
      node.tagClass === forge.asn1.Class.UNIVERSAL &&
      node.type === forge.asn1.Type.OCTETSTRING &&
      node.value.length > 1 &&
      node.value.charCodeAt(0) === 0x30
    ) {
      let inner: forge.asn1.Asn1 | undefined;
      try {
        inner = forge.asn1.fromDer(forge.util.createBuffer(node.value), true);
      } catch {
        inner = undefined;
      }
      if (inner) assertSaneIterations(inner, label, depth + 1);
    }
    return;
  }
  const kids = node.value;
  const type = (i: number) => (kids[i]?.tagClass === forge.asn1.Class.UNIVERSAL ? kids[i]!.type : -1);
  // PBE parameters { salt, iterations }, PBKDF2 parameters { salt, iterationCount, … } and MacData
  // { DigestInfo, macSalt, iterations }: the INTEGER after the salt.
  const at =
    type(0) === forge.asn1.Type.OCTETSTRING && type(1) === forge.asn1.Type.INTEGER
      ? 1
      : type(0) === forge.asn1.Type.SEQUENCE && type(1) === forge.asn1.Type.OCTETSTRING && type(2) === forge.asn1.Type.INTEGER
        ? 2
        : -1;
  if (at >= 0) {
    const bytes = kids[at]!.value as string;
    const count = bytes.length > 4 ? Infinity : [...bytes].reduce((n, c) => n * 256 + c.charCodeAt(0), 0);
    if (count > MAX_PKCS12_ITERATIONS)
      throw new KeyStoreError(
        `${label}: asks for ${Number.isFinite(count) ? count : 'more than 2^32'} key-derivation iterations (more than ${MAX_PKCS12_ITERATIONS}): refused, it would block the worker; export the file again with the usual count (2048)`,
      );
  }
  for (const kid of kids) assertSaneIterations(kid, label, depth + 1);
}

function readKeyStore(der: Uint8Array, password: string, label: string, passwordRef?: string): KeyStore {
  const checkRef = passwordRef ? `; check the secret behind ${passwordRef}` : '';
  let p12: forge.pkcs12.Pkcs12Pfx;
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('binary')));
  } catch {
    throw new KeyStoreError(`${label}: not a readable PKCS#12 file`);
  }
  assertSaneIterations(asn1, label);
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (err) {
    const msg = err instanceof Error ? err.message : '';
    if (/MAC could not be verified/i.test(msg)) {
      throw new KeyStoreError(`${label}: wrong password (the PKCS#12 integrity check failed)${checkRef}`);
    }
    if (/Invalid password|decrypt/i.test(msg)) {
      throw new KeyStoreError(`${label}: wrong password or an encryption this loader cannot open${checkRef}`);
    }
    throw new KeyStoreError(`${label}: not a readable PKCS#12 file`);
  }

  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const keyBag = keyBags[0];
  if (!keyBag) throw new KeyStoreError(`${label}: the PKCS#12 file holds no private key`);

  // Certificates as their original DER: forge keeps unparsable (non-RSA) ones as raw ASN.1.
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const certificates = certBags.flatMap((b) => {
    const asn1 = b.cert ? forge.pki.certificateToAsn1(b.cert) : b.asn1;
    return asn1 ? [new X509Certificate(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'))] : [];
  });

  let key: StoreKey;
  let belongs: (c: X509Certificate) => boolean;
  if (keyBag.key) {
    const keyObject = createPrivateKey(forge.pki.privateKeyToPem(keyBag.key as forge.pki.rsa.PrivateKey));
    key = { kind: 'node', keyObject };
    belongs = (c) => c.checkPrivateKey(keyObject);
  } else {
    // forge leaves `key` null for non-RSA keys and keeps the PKCS#8 structure in `asn1`.
    const pkcs8 = keyBag.asn1 ? Buffer.from(forge.asn1.toDer(keyBag.asn1).getBytes(), 'binary') : undefined;
    const oid = privateKeyAlgorithmOid(keyBag.asn1);
    if (pkcs8 && oid && isKzGostKeyOid(oid)) {
      let gost: KzGostPrivateKey;
      try {
        gost = kzGostPrivateKeyFromPkcs8(pkcs8);
      } catch (err) {
        throw new KeyStoreError(`${label}: ${(err as Error).message}`, (err as KeyStoreError).type ?? FailureType.KeyStoreUnreadable);
      }
      key = { kind: 'kz-gost', gost };
      const publicKey = kzGostPublicKeyOf(gost);
      belongs = (c) => {
        try {
          const q = kzGostPublicKeyOfCertificate(c);
          return q !== undefined && sameKzGostPublicKey(q, publicKey);
        } catch {
          return false;
        }
      };
    } else if (pkcs8 && oid === EC_KEY_OID) {
      const keyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      key = { kind: 'node', keyObject };
      belongs = (c) => c.checkPrivateKey(keyObject);
    } else {
      const known = oid ? FOREIGN_KEY_ALGORITHMS[oid] : undefined;
      throw new KeyStoreError(
        known
          ? `${label}: holds a ${known.name} key; ${known.advice}`
          : `${label}: holds a key of algorithm ${oid ?? 'unknown'} that trustflow cannot use (RSA, EC or Kazakh GOST)`,
        FailureType.UnsupportedKey,
      );
    }
  }
  const own = certificates.find(belongs);
  if (!own) throw new KeyStoreError(`${label}: the PKCS#12 file has no certificate for its private key`);
  return { key, certificates: [own, ...certificates.filter((c) => c !== own)] };
}

/**
 * Opens a PKCS#12 file for a use that needs Node's crypto (mutual TLS, JWS, RSA decryption).
 * A Kazakh GOST key is refused saying what it can do in trustflow (CMS signing).
 */
export function openPkcs12(der: Uint8Array, password: string, label: string, passwordRef?: string): SoftwareKey {
  return softwareKeyOf(openKeyStore(der, password, label, passwordRef), label);
}

function softwareKeyOf(store: KeyStore, label: string): SoftwareKey {
  if (store.key.kind === 'kz-gost')
    throw new KeyStoreError(
      `${label}: holds a ${store.key.gost.algorithm.name} key; trustflow signs CMS with it (mptSignIn, trustflow cms sign), but this use (TLS, JWS or decryption) needs an RSA or EC key: use the RSA key NCA RK issued with it (RSA256_*.p12 or AUTH_RSA256_*.p12)`,
      FailureType.UnsupportedKey,
    );
  return { privateKey: store.key.keyObject, certificates: store.certificates };
}

async function readPkcs12File(path: string): Promise<KeyFile> {
  try {
    return await readKeyFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KeyStoreError(
      `${path}: cannot read the PKCS#12 file (${code === 'ENOENT' ? 'it does not exist on the worker machine' : code})`,
    );
  }
}

/**
 * Reads and opens a PKCS#12 file (RSA, EC or Kazakh GOST) whose password is behind a secret reference.
 * The opened store is kept in the worker's key cache (key-cache.ts) until the file, the password or
 * its age says otherwise; callers share it and must not change it.
 */
export async function openKeyStoreFile(path: string, passwordRef: string, resolveSecret: SecretResolver): Promise<KeyStore> {
  const file = await readPkcs12File(path);
  const password = await resolveSecret(passwordRef);
  return keyCache.use(`pkcs12\0${path}\0${passwordRef}`, [file.identity, file.bytes, password], () =>
    openKeyStore(file.bytes, password, path, passwordRef),
  );
}

/** Reads and opens a PKCS#12 file whose password is behind a secret reference, for Node's crypto (see openPkcs12). */
export async function openPkcs12File(path: string, passwordRef: string, resolveSecret: SecretResolver): Promise<SoftwareKey> {
  return softwareKeyOf(await openKeyStoreFile(path, passwordRef, resolveSecret), path);
}

const EC_KEY_OID = '1.2.840.10045.2.1';

function privateKeyAlgorithmOid(asn1: forge.asn1.Asn1 | undefined): string | undefined {
  try {
    // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier { algorithm OID, ... }, ... }
    const seq = asn1?.value as forge.asn1.Asn1[];
    const algId = seq[1]?.value as forge.asn1.Asn1[];
    return forge.asn1.derToOid(forge.util.createBuffer(algId[0]!.value as string));
  } catch {
    return undefined;
  }
}
