// The sandbox's PKI: a CA and test users with PKCS#12 files, generated fresh at every sandbox
// start. Subjects look like NCA RK's (Cyrillic CN, IIN in serialNumber). One user's file uses
// legacy PKCS#12 PBE (3DES, SHA-1 MAC) like NCA RK's, one OpenSSL 3's default AES-256/PBES2.
import { generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { runOpenssl, withPrivateTempDir } from '../crypto/openssl.js';

export type Pkcs12Encryption = 'legacy-3des' | 'aes-256';

export interface SandboxUser {
  name: string;
  iin: string;
  p12Path: string;
  /** `file:` reference to the password, ready for a workflow input. */
  passwordRef: `file:/${string}`;
  encryption: Pkcs12Encryption;
  certificate: X509Certificate;
}

export interface SandboxPki {
  caCertPath: string;
  caCertificate: X509Certificate;
  users: Record<string, SandboxUser>;
  /**
   * Another test user from this CA, written next to the others (later rooms: the NCALayer person's
   * keys). Not added to `users`, which stays what createSandboxPki made.
   */
  issueUser(u: UserSpec): Promise<SandboxUser>;
  /** A TLS server certificate for 127.0.0.1/localhost from this CA (PEM key and certificate). */
  issueServerCertificate(): { keyPem: string; certPem: string };
}

export interface UserSpec {
  name: string;
  commonName: string;
  iin: string;
  encryption: Pkcs12Encryption;
  validDays?: number;
  /** Start of validity, days before now (default: one hour ago). With a negative validDays: an expired certificate. */
  validFromDaysAgo?: number;
  /** The subject's serialNumber (default `IIN<iin>`, as NCA RK writes it). */
  subjectSerial?: string;
  /** The subject's country (default KZ). */
  country?: string;
}

const utf8 = (type: string, value: string) => ({ type, value, valueTagClass: forge.asn1.Type.UTF8 as unknown as number });

export async function createSandboxPki(
  dir: string,
  users: UserSpec[],
  caName = 'ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (SANDBOX)',
): Promise<SandboxPki> {
  const keysDir = join(dir, 'keys');
  await mkdir(keysDir, { recursive: true, mode: 0o700 });

  const caKeys = rsaKeyPair();
  const caSubject = [utf8('2.5.4.3', caName), { shortName: 'C', value: 'KZ' }, utf8('2.5.4.10', 'trustflow sandbox')];
  const caCert = buildCertificate({
    subject: caSubject,
    issuer: caSubject,
    publicKey: caKeys.publicKey,
    signingKey: caKeys.forgePrivate,
    validDays: 3650,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const caPem = forge.pki.certificateToPem(caCert);
  const caCertPath = join(dir, 'ca.pem');
  await writeFile(caCertPath, caPem);

  const issueUser = async (u: UserSpec): Promise<SandboxUser> => {
    const keys = rsaKeyPair();
    const cert = buildCertificate({
      subject: [
        utf8('2.5.4.3', u.commonName),
        { type: '2.5.4.5', value: u.subjectSerial ?? `IIN${u.iin}` },
        { shortName: 'C', value: u.country ?? 'KZ' },
      ],
      issuer: caSubject,
      publicKey: keys.publicKey,
      signingKey: caKeys.forgePrivate,
      validDays: u.validDays ?? 365,
      ...(u.validFromDaysAgo !== undefined ? { validFromDaysAgo: u.validFromDaysAgo } : {}),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
        { name: 'extKeyUsage', emailProtection: true, clientAuth: true },
      ],
    });
    const password = randomBytes(12).toString('base64url');
    const passwordPath = join(keysDir, `${u.name}.password`);
    await writeFile(passwordPath, password + '\n', { mode: 0o600 });
    const p12Path = join(keysDir, `${u.name}.p12`);
    const p12 =
      u.encryption === 'legacy-3des'
        ? legacyPkcs12(keys.forgePrivate, [cert, caCert], password)
        : await opensslPkcs12(keys.privateKey, forge.pki.certificateToPem(cert), caPem, password);
    await writeFile(p12Path, p12, { mode: 0o600 });
    return {
      name: u.name,
      iin: u.iin,
      p12Path,
      passwordRef: `file:${passwordPath}` as `file:/${string}`,
      encryption: u.encryption,
      certificate: new X509Certificate(forge.pki.certificateToPem(cert)),
    };
  };
  const out: Record<string, SandboxUser> = {};
  for (const u of users) out[u.name] = await issueUser(u);
  const issueServerCertificate = () => {
    const keys = rsaKeyPair();
    const cert = buildCertificate({
      subject: [
        { shortName: 'CN', value: 'localhost' },
        { shortName: 'O', value: 'trustflow sandbox' },
      ],
      issuer: caSubject,
      publicKey: keys.publicKey,
      signingKey: caKeys.forgePrivate,
      validDays: 365,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    });
    return { keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certPem: forge.pki.certificateToPem(cert) };
  };
  return { caCertPath, caCertificate: new X509Certificate(caPem), users: out, issueUser, issueServerCertificate };
}

/**
 * A self-signed TLS server certificate for 127.0.0.1/localhost (PEM key and certificate), as the real
 * NCALayer serves wss://127.0.0.1:13579 with: no CA a client knows issued it.
 */
export function selfSignedServerCertificate(commonName = '127.0.0.1'): { keyPem: string; certPem: string } {
  const keys = rsaKeyPair();
  const subject = [
    { shortName: 'CN', value: commonName },
    { shortName: 'O', value: 'trustflow sandbox' },
  ];
  const cert = buildCertificate({
    subject,
    issuer: subject,
    publicKey: keys.publicKey,
    signingKey: keys.forgePrivate,
    validDays: 365,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certPem: forge.pki.certificateToPem(cert) };
}

function rsaKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string),
    forgePrivate: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string),
  };
}

function buildCertificate(p: {
  subject: forge.pki.CertificateField[];
  issuer: forge.pki.CertificateField[];
  publicKey: forge.pki.PublicKey;
  signingKey: forge.pki.rsa.PrivateKey;
  validDays: number;
  validFromDaysAgo?: number;
  extensions: object[];
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = p.publicKey;
  cert.serialNumber = '01' + randomBytes(15).toString('hex'); // positive, 16 bytes
  const now = Date.now();
  cert.validity.notBefore = new Date(now - (p.validFromDaysAgo !== undefined ? p.validFromDaysAgo * 86400_000 : 3600_000));
  cert.validity.notAfter = new Date(now + p.validDays * 86400_000);
  cert.setSubject(p.subject);
  cert.setIssuer(p.issuer);
  cert.setExtensions([...p.extensions, { name: 'subjectKeyIdentifier' }]);
  cert.sign(p.signingKey, forge.md.sha256.create());
  return cert;
}

/** Legacy PKCS#12 PBE (pbeWithSHAAnd3-KeyTripleDES-CBC), SHA-1 MAC: what older NCA RK tooling writes. */
function legacyPkcs12(key: forge.pki.rsa.PrivateKey, certs: forge.pki.Certificate[], password: string): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: '3des', friendlyName: 'sandbox' });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** OpenSSL 3's default export: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, SHA-256 MAC. */
async function opensslPkcs12(key: KeyObject, certPem: string, caPem: string, password: string): Promise<Buffer> {
  return withPrivateTempDir(async (_dir, writePrivate) => {
    const keyPath = await writePrivate('key.pem', key.export({ type: 'pkcs8', format: 'pem' }) as string);
    const certPath = await writePrivate('cert.pem', certPem);
    const caPath = await writePrivate('ca.pem', caPem);
    const outPath = await writePrivate('out.p12', '');
    await runOpenssl(
      [
        'pkcs12',
        '-export',
        '-inkey',
        keyPath,
        '-in',
        certPath,
        '-certfile',
        caPath,
        '-name',
        'sandbox',
        '-passout',
        'env:TF_P12_PASSWORD',
        '-out',
        outPath,
      ],
      { env: { TF_P12_PASSWORD: password } },
    );
    return readFile(outPath);
  });
}
