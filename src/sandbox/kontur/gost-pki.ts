// The sandbox's GOST PKI for Kontur: a GOST R 34.10-2012 CA and users with 256- and 512-bit keys,
// made with OpenSSL + gost-engine at every sandbox start. Key formats cover what trustflow reads:
// an encrypted PEM PKCS#8 key (256) and a PKCS#12 with GOST PBE (512).
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGostOpenssl } from '../../crypto/openssl-gost-engine.js';
import { GOST_CA_SUBJECT, GOST_EXTENSIONS_CNF, gostUserSubject } from './fixtures.js';

export interface GostUserSpec {
  name: string;
  commonName: string;
  bits: 256 | 512;
  /** 'pem': encrypted PEM PKCS#8 + certificate file; 'pkcs12': PKCS#12 with GOST PBE. */
  format: 'pem' | 'pkcs12';
  /** Without keyEncipherment/keyAgreement: Kontur answers CertNotValid. */
  noKeyUsage?: boolean;
}

export interface GostUser {
  name: string;
  bits: 256 | 512;
  keyPath: string;
  certificatePath: string;
  format: 'pem' | 'pkcs12';
  passwordRef: `file:/${string}`;
  certificate: X509Certificate;
  /** SHA-1 of the certificate DER, upper-case hex (Kontur's thumbprint). */
  thumbprint: string;
}

export interface GostPki {
  caCertPath: string;
  users: Record<string, GostUser>;
}

export function thumbprintOf(cert: X509Certificate): string {
  return createHash('sha1').update(cert.raw).digest('hex').toUpperCase();
}

export async function createGostPki(dir: string, users: GostUserSpec[]): Promise<GostPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await createCa(dir);
  const out: Record<string, GostUser> = {};
  for (const u of users) out[u.name] = await issueUser(dir, ca, u);
  return { caCertPath: ca.certPath, users: out };
}

/** The CA's key and certificate, and the extension file its certificates are made with. */
interface GostCa {
  keyPath: string;
  certPath: string;
  extPath: string;
}

/** A self-signed GOST R 34.10-2012 (256) CA for ten years. */
async function createCa(dir: string): Promise<GostCa> {
  const keyPath = join(dir, 'ca.key');
  const certPath = join(dir, 'ca.pem');
  await runGostOpenssl(['genpkey', '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:A', '-out', keyPath]);
  const extPath = join(dir, 'ext.cnf');
  await writeFile(extPath, GOST_EXTENSIONS_CNF);
  await runGostOpenssl([
    'req',
    '-new',
    '-x509',
    '-utf8',
    '-key',
    keyPath,
    '-md_gost12_256',
    '-days',
    '3650',
    '-subj',
    GOST_CA_SUBJECT,
    '-extensions',
    'ca',
    '-config',
    extPath,
    '-out',
    certPath,
  ]);
  return { keyPath, certPath, extPath };
}

/** A user's key, its certificate from the CA for a year, the key encrypted in the user's format under a random password kept in `<name>.password`. */
async function issueUser(dir: string, ca: GostCa, u: GostUserSpec): Promise<GostUser> {
  const password = randomBytes(12).toString('base64url');
  const passwordPath = join(dir, `${u.name}.password`);
  await writeFile(passwordPath, password + '\n', { mode: 0o600 });
  const plainKey = join(dir, `${u.name}.plain.key`);
  await runGostOpenssl(['genpkey', '-algorithm', `gost2012_${u.bits}`, '-pkeyopt', 'paramset:A', '-out', plainKey]);
  const csr = join(dir, `${u.name}.csr`);
  await runGostOpenssl(['req', '-new', '-utf8', '-key', plainKey, '-subj', gostUserSubject(u.commonName), '-out', csr]);
  const certificatePath = join(dir, `${u.name}.crt`);
  await runGostOpenssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certPath,
    '-CAkey',
    ca.keyPath,
    '-set_serial',
    `0x${randomBytes(12).toString('hex')}`,
    '-days',
    '365',
    `-md_gost12_256`,
    '-extfile',
    ca.extPath,
    '-extensions',
    u.noKeyUsage ? 'user_no_ku' : 'user',
    '-out',
    certificatePath,
  ]);
  const keyPath = await encryptKey(dir, u, plainKey, certificatePath, { TF_PW: password });
  await rm(plainKey); // the unencrypted key is not left behind
  const certificate = new X509Certificate(await readFile(certificatePath));
  return {
    name: u.name,
    bits: u.bits,
    keyPath,
    certificatePath,
    format: u.format,
    passwordRef: `file:${passwordPath}` as `file:/${string}`,
    certificate,
    thumbprint: thumbprintOf(certificate),
  };
}

/** The key as `format` says: an encrypted PEM PKCS#8 (`<name>.key`) or a PKCS#12 with GOST PBE (`<name>.p12`); its path. */
async function encryptKey(
  dir: string,
  u: GostUserSpec,
  plainKey: string,
  certificatePath: string,
  env: { TF_PW: string },
): Promise<string> {
  if (u.format === 'pem') {
    const keyPath = join(dir, `${u.name}.key`);
    await runGostOpenssl(['pkey', '-in', plainKey, '-aes-256-cbc', '-passout', 'env:TF_PW', '-out', keyPath], { env });
    return keyPath;
  }
  const keyPath = join(dir, `${u.name}.p12`);
  await runGostOpenssl(
    [
      'pkcs12',
      '-export',
      '-inkey',
      plainKey,
      '-in',
      certificatePath,
      '-keypbe',
      'gost89',
      '-certpbe',
      'gost89',
      '-macalg',
      `md_gost12_${u.bits}`,
      '-passout',
      'env:TF_PW',
      '-out',
      keyPath,
    ],
    { env },
  );
  return keyPath;
}
