// The `cert` group: `cert verify` checks a certificate against its CA offline (local tool, no
// Temporal), with the same check trustflow uses wherever it looks at a chain (certificate-check.ts):
// RSA, EC and Kazakh GOST (2004 and 2015 512-bit).
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkCertificate } from '../../crypto/certificate-check.js';
import { UsageError, type Commands } from './shared.js';

async function readCertificate(path: string, role: string): Promise<X509Certificate> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new UsageError(`${role} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    return new X509Certificate(bytes);
  } catch {
    throw new UsageError(`${role} ${path}: not an X.509 certificate (PEM or DER)`);
  }
}

async function verify(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { cert: { type: 'string' }, ca: { type: 'string' }, at: { type: 'string' } } });
  if (!values.cert || !values.ca) throw new UsageError('cert verify needs --cert FILE --ca FILE [--at DATE]');
  const at = values.at === undefined ? new Date() : new Date(values.at);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--at ${values.at}: not a date (e.g. 2022-06-01 or 2022-06-01T12:00:00Z)`);
  const cert = await readCertificate(values.cert, '--cert');
  const ca = await readCertificate(values.ca, '--ca');
  const check = checkCertificate(cert, ca, at);
  const dn = (s: string) => s.split('\n').join(', ');
  console.log(
    JSON.stringify(
      {
        valid: check.valid,
        signatureValid: check.signatureValid,
        issuerMatches: check.issuerMatches,
        validity: check.validity,
        at: check.at.toISOString(),
        signatureAlgorithm: check.signatureAlgorithm,
        certificate: { subject: dn(cert.subject), issuer: dn(cert.issuer), serialNumber: cert.serialNumber },
        notBefore: check.notBefore.toISOString(),
        notAfter: check.notAfter.toISOString(),
        ca: { subject: dn(ca.subject), serialNumber: ca.serialNumber },
        problems: check.problems,
      },
      null,
      2,
    ),
  );
  return check.valid ? 0 : 1;
}

/** `trustflow cert <name> ...` */
export const commands: Commands = { verify };
