// A throwaway TLS certificate for a server a test starts on loopback: a self-signed P-256 certificate
// for 127.0.0.1 (subjectAltName IP:127.0.0.1, so a client trusting it verifies the host), made by OpenSSL.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/** Writes `<name>.pem` and `<name>.key` (PEM, unencrypted) into `dir`. */
export async function loopbackCertificate(dir: string, name = 'server', commonName = '127.0.0.1'): Promise<CertificateFiles> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile };
}
