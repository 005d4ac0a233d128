// Opens PKCS#12 key stores: the legacy 3DES/RC2-40 files NCA RK issues and OpenSSL 3's default
// AES-256/PBES2 files. node-forge is the one library that reads both (OpenSSL 3 without -legacy,
// Node's `pfx` and pkijs reject NCA files). The private key is handed to Node's crypto at once:
// forge's pure-JS RSA is ~100x slower.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import forge from 'node-forge';
import { FailureType, KeyStoreError } from '../common/errors.js';
import type { SecretResolver } from '../secrets/resolve.js';

export interface SoftwareKey {
  privateKey: KeyObject;
  /** The certificate of the private key, then any other certificates of the file (chain). */
  certificates: X509Certificate[];
}

/**
 * Private-key algorithms we recognise but cannot sign with, and what works today. Names only what
 * exists: no signer kind is promised before it is built (Kazakh GOST signing is planned work).
 */
const KZ_GOST_ADVICE =
  'trustflow cannot sign with Kazakh GOST keys yet (planned). Today: where the provider accepts RSA, use the RSA key NCA RK issued with it (RSA256_*.p12 or AUTH_RSA256_*.p12)';
const RU_GOST_ADVICE =
  'trustflow signs with RSA keys only; it can decrypt with this key (konturSignIn `key`, `trustflow cms decrypt`), not sign';
const FOREIGN_KEY_ALGORITHMS: Record<string, { name: string; advice: string }> = {
  '1.2.398.3.10.1.1.1.1': { name: 'GOST 34.310-2004 (Kazakhstan, NCA RK)', advice: KZ_GOST_ADVICE },
  '1.2.398.3.10.1.1.2.3.1': { name: 'GOST R 34.10-2015 (Kazakhstan, NCA RK)', advice: KZ_GOST_ADVICE },
  '1.2.643.7.1.1.1.1': { name: 'GOST R 34.10-2012 256-bit (Russia)', advice: RU_GOST_ADVICE },
  '1.2.643.7.1.1.1.2': { name: 'GOST R 34.10-2012 512-bit (Russia)', advice: RU_GOST_ADVICE },
  '1.2.643.2.2.19': { name: 'GOST R 34.10-2001 (Russia)', advice: RU_GOST_ADVICE },
  '1.2.840.10045.2.1': { name: 'ECDSA', advice: 'trustflow signs with RSA keys only: use an RSA key' },
};

/**
 * @param label how to name the file in errors (its path), never its contents.
 * @param passwordRef where the password came from (a secret reference), named in wrong-password errors.
 * @throws KeyStoreError wrong password, damaged file, no key, or a key type this signer cannot use.
 */
export function openPkcs12(der: Uint8Array, password: string, label: string, passwordRef?: string): SoftwareKey {
  const checkRef = passwordRef ? `; check the secret behind ${passwordRef}` : '';
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('binary')));
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

  if (!keyBag.key) {
    // forge leaves `key` null for non-RSA keys and keeps the PKCS#8 structure in `asn1`.
    const oid = privateKeyAlgorithmOid(keyBag.asn1);
    const known = oid ? FOREIGN_KEY_ALGORITHMS[oid] : undefined;
    throw new KeyStoreError(
      known
        ? `${label}: holds a ${known.name} key; ${known.advice}`
        : `${label}: holds a key of algorithm ${oid ?? 'unknown'} that the software signer cannot use (RSA only)`,
      FailureType.UnsupportedKey,
    );
  }

  // Certificates as their original DER: forge keeps unparsable (non-RSA) ones as raw ASN.1.
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const certificates = certBags.flatMap((b) => {
    const asn1 = b.cert ? forge.pki.certificateToAsn1(b.cert) : b.asn1;
    return asn1 ? [new X509Certificate(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'))] : [];
  });
  const privateKey = createPrivateKey(forge.pki.privateKeyToPem(keyBag.key as forge.pki.rsa.PrivateKey));
  const own = certificates.find((c) => c.checkPrivateKey(privateKey));
  if (!own) throw new KeyStoreError(`${label}: the PKCS#12 file has no certificate for its private key`);
  return { privateKey, certificates: [own, ...certificates.filter((c) => c !== own)] };
}

/** Reads and opens a PKCS#12 file whose password is behind a secret reference. */
export async function openPkcs12File(path: string, passwordRef: string, resolveSecret: SecretResolver): Promise<SoftwareKey> {
  let der: Buffer;
  try {
    der = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KeyStoreError(
      `${path}: cannot read the PKCS#12 file (${code === 'ENOENT' ? 'it does not exist on the worker machine' : code})`,
    );
  }
  return openPkcs12(der, await resolveSecret(passwordRef), path, passwordRef);
}

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
