// Reads every certificate a credential file holds, for the credential watch: a PKCS#12's own
// certificate and its chain (any key algorithm: RSA, Kazakh or Russian GOST), a PEM bundle or a DER
// certificate. Only public facts come out (InspectedCertificate); the private key is never opened.
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { KeyStoreError } from '../../common/errors.js';
import type { InspectedCertificate } from '../../contracts/inspected-certificate.js';
import { runGostOpenssl } from '../openssl-gost-engine.js';
import { OpensslError, withPrivateTempDir } from '../openssl.js';

export async function readFileOrExplain(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KeyStoreError(`${path}: cannot read the ${what} (${code === 'ENOENT' ? 'it does not exist on the worker machine' : code})`);
  }
}

/**
 * The certificates of a PKCS#12, its own first. node-forge reads the legacy 3DES/RC2 files NCA RK
 * issues and OpenSSL 3's AES files; GOST-encrypted files (Kontur) go through OpenSSL with gost-engine.
 */
export async function readPkcs12Certificates(
  der: Buffer,
  password: string,
  label: string,
  passwordRef: string,
): Promise<X509Certificate[]> {
  const checkRef = `; check the secret behind ${passwordRef}`;
  let certs: X509Certificate[];
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
    const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
    const bags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
    certs = bags.flatMap((b) => {
      const a = b.cert ? forge.pki.certificateToAsn1(b.cert) : b.asn1;
      return a ? [new X509Certificate(Buffer.from(forge.asn1.toDer(a).getBytes(), 'binary'))] : [];
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message : '';
    if (/MAC could not be verified/i.test(msg))
      throw new KeyStoreError(`${label}: wrong password (the PKCS#12 integrity check failed)${checkRef}`);
    certs = await opensslPkcs12Certificates(der, password, label, checkRef);
  }
  if (certs.length === 0) throw new KeyStoreError(`${label}: the PKCS#12 file holds no certificate`);
  return ownFirst(certs);
}

async function opensslPkcs12Certificates(der: Buffer, password: string, label: string, checkRef: string): Promise<X509Certificate[]> {
  const pem = await withPrivateTempDir(async (_dir, writePrivate) => {
    const p12 = await writePrivate('key.p12', der);
    try {
      return (
        await runGostOpenssl(['pkcs12', '-in', p12, '-nokeys', '-passin', 'env:TF_KEY_PASSWORD'], { env: { TF_KEY_PASSWORD: password } })
      ).stdout;
    } catch (err) {
      if (err instanceof OpensslError && /mac verify failure|invalid password/i.test(err.stderr))
        throw new KeyStoreError(`${label}: wrong password (the PKCS#12 integrity check failed)${checkRef}`);
      if (err instanceof OpensslError) throw new KeyStoreError(`${label}: not a PKCS#12 file this worker can read`);
      throw err;
    }
  });
  return pemCertificates(pem.toString('utf8'));
}

/** A PEM file with one or more certificates (a chain, a CA bundle) or one DER certificate. */
export function readCertificateBundle(bytes: Buffer, label: string): X509Certificate[] {
  const text = bytes.toString('latin1');
  try {
    const certs = text.includes('-----BEGIN CERTIFICATE-----') ? pemCertificates(text) : [new X509Certificate(bytes)];
    if (certs.length > 0) return certs;
  } catch {
    // reported below
  }
  throw new KeyStoreError(`${label}: not a PEM or DER X.509 certificate`);
}

function pemCertificates(text: string): X509Certificate[] {
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b));
}

/** The end-entity certificate first (the first that is not a CA), then the rest in file order. */
function ownFirst(certs: X509Certificate[]): X509Certificate[] {
  const own = certs.find((c) => !c.ca) ?? certs[0]!;
  return [own, ...certs.filter((c) => c !== own)];
}

/** An X.509 subject/issuer line of Node ("CN=..\nO=..") → the value of one attribute. */
function attribute(dn: string, name: string): string | null {
  for (const line of dn.split('\n')) if (line.startsWith(`${name}=`)) return line.slice(name.length + 1);
  return null;
}

/** The public facts a watch keeps of a certificate: no subject name (personal data), only its organisation. */
export function inspectedCertificate(cert: X509Certificate, role: 'leaf' | 'chain', source: string): InspectedCertificate {
  return {
    certificateId: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    role,
    source,
    organization: attribute(cert.subject, 'O'),
    caName: cert.ca ? attribute(cert.subject, 'CN') : null,
    issuer: attribute(cert.issuer, 'CN') ?? attribute(cert.issuer, 'O'),
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

/** A file's certificates as the watch sees them: the first is the leaf, the rest its chain. Duplicates dropped. */
export function inspectedChain(certs: X509Certificate[], source: string, chainSource = `${source} (chain)`): InspectedCertificate[] {
  const out: InspectedCertificate[] = [];
  certs.forEach((c, i) => {
    const inspected = inspectedCertificate(c, i === 0 ? 'leaf' : 'chain', i === 0 ? source : chainSource);
    if (!out.some((o) => o.certificateId === inspected.certificateId)) out.push(inspected);
  });
  return out;
}
