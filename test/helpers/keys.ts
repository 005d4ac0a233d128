// Secret material of a PKCS#12 test key, in every form a leak could take.
import { readFile } from 'node:fs/promises';
import { openPkcs12 } from '../../src/crypto/keys/pkcs12.js';
import type { Secret } from './history.js';

export async function pkcs12Secrets(p12Path: string, password: string): Promise<Secret[]> {
  const key = openPkcs12(await readFile(p12Path), password, p12Path);
  const der = key.privateKey.export({ type: 'pkcs8', format: 'der' });
  const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const jwk = key.privateKey.export({ format: 'jwk' });
  const pemLines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  return [
    { label: 'p12 password', value: password },
    { label: 'private key PKCS#8 DER', value: der },
    { label: 'private key PKCS#1 DER', value: key.privateKey.export({ type: 'pkcs1', format: 'der' }) },
    ...pemLines.slice(1, 4).map((l, i) => ({ label: `private key PEM line ${i + 2}`, value: l })),
    { label: 'private exponent d', value: Buffer.from(jwk.d!, 'base64url') },
    { label: 'prime p', value: Buffer.from(jwk.p!, 'base64url') },
    { label: 'prime q', value: Buffer.from(jwk.q!, 'base64url') },
  ];
}
