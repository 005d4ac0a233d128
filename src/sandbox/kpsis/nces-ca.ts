// The sandbox CA that stands in for Belarus's NCES (which really issues technological certificates
// through its support desk, days after the request): an EC P-256 CA made with OpenSSL at start.
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOpenssl } from '../../crypto/openssl.js';

export interface NcesCa {
  keyPem: string;
  certPem: string;
  certPath: string;
}

export async function createNcesCa(dir: string): Promise<NcesCa> {
  const keyPath = join(dir, 'nces-ca.key');
  const certPath = join(dir, 'nces-ca.pem');
  await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
  await chmod(keyPath, 0o600);
  await runOpenssl([
    'req',
    '-x509',
    '-new',
    '-key',
    keyPath,
    '-days',
    '3650',
    '-utf8',
    '-subj',
    '/CN=НЦЭУ SANDBOX CA (stand-in)/O=trustflow sandbox/C=BY',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    certPath,
  ]);
  return { keyPem: await readFile(keyPath, 'utf8'), certPem: await readFile(certPath, 'utf8'), certPath };
}
