// The sandbox's GOST PKI for Kontur: a GOST R 34.10-2012 CA and users with 256- and 512-bit keys,
// made with OpenSSL + gost-engine at every sandbox start. Key formats cover what trustflow reads:
// an encrypted PEM PKCS#8 key (256) and a PKCS#12 with GOST PBE (512).
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGostOpenssl } from '../../crypto/openssl-gost-engine.js';

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
  const caKey = join(dir, 'ca.key');
  const caCertPath = join(dir, 'ca.pem');
  await runGostOpenssl(['genpkey', '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:A', '-out', caKey]);
  const extPath = join(dir, 'ext.cnf');
  await writeFile(
    extPath,
    [
      '[ca]',
      'basicConstraints = critical, CA:true',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[user]',
      'basicConstraints = CA:false',
      'keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment, keyAgreement',
      'extendedKeyUsage = clientAuth, emailProtection',
      '[user_no_ku]',
      'basicConstraints = CA:false',
      'keyUsage = critical, digitalSignature',
      '',
    ].join('\n'),
  );
  await runGostOpenssl([
    'req',
    '-new',
    '-x509',
    '-utf8',
    '-key',
    caKey,
    '-md_gost12_256',
    '-days',
    '3650',
    '-subj',
    '/CN=Тестовый УЦ trustflow (sandbox)/O=trustflow sandbox/C=RU',
    '-extensions',
    'ca',
    '-config',
    extPath,
    '-out',
    caCertPath,
  ]);

  const out: Record<string, GostUser> = {};
  for (const u of users) {
    const password = randomBytes(12).toString('base64url');
    const passwordPath = join(dir, `${u.name}.password`);
    await writeFile(passwordPath, password + '\n', { mode: 0o600 });
    const env = { TF_PW: password };
    const plainKey = join(dir, `${u.name}.plain.key`);
    await runGostOpenssl(['genpkey', '-algorithm', `gost2012_${u.bits}`, '-pkeyopt', 'paramset:A', '-out', plainKey]);
    const csr = join(dir, `${u.name}.csr`);
    await runGostOpenssl(['req', '-new', '-utf8', '-key', plainKey, '-subj', `/CN=${u.commonName}/O=ООО Песочница/C=RU`, '-out', csr]);
    const certificatePath = join(dir, `${u.name}.crt`);
    await runGostOpenssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCertPath,
      '-CAkey',
      caKey,
      '-set_serial',
      `0x${randomBytes(12).toString('hex')}`,
      '-days',
      '365',
      `-md_gost12_256`,
      '-extfile',
      extPath,
      '-extensions',
      u.noKeyUsage ? 'user_no_ku' : 'user',
      '-out',
      certificatePath,
    ]);
    let keyPath: string;
    if (u.format === 'pem') {
      keyPath = join(dir, `${u.name}.key`);
      await runGostOpenssl(['pkey', '-in', plainKey, '-aes-256-cbc', '-passout', 'env:TF_PW', '-out', keyPath], { env });
    } else {
      keyPath = join(dir, `${u.name}.p12`);
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
    }
    await rm(plainKey); // the unencrypted key is not left behind
    const certificate = new X509Certificate(await readFile(certificatePath));
    out[u.name] = {
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
  return { caCertPath, users: out };
}
