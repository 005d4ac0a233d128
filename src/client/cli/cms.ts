// The `cms` group: `cms sign`, `cms verify`, `cms decrypt` (local tools, no Temporal).
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cmsToDer, verifyCms } from '../../crypto/cms.js';
import { isIssuedBy } from '../../crypto/certificate-check.js';
import { validityProblem } from '../../crypto/certificate-validity.js';
import { openSigner } from '../../crypto/signer.js';
import { assertNotCryptoProContainer, decryptCms } from '../../crypto/decrypt.js';
import { resolveSecret } from '../../secrets/resolve.js';
import { UsageError, type Commands } from './shared.js';

async function sign(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      p12: { type: 'string' },
      'password-env': { type: 'string' },
      in: { type: 'string' },
      out: { type: 'string' },
      detached: { type: 'boolean', default: false },
    },
  });
  if (!values.p12 || !values['password-env'] || !values.in || !values.out) {
    throw new UsageError('cms sign needs --p12 FILE --password-env NAME --in FILE --out FILE');
  }
  const signer = await openSigner(
    { kind: 'pkcs12', path: await absolute(values.p12), password: `env:${values['password-env']}` },
    resolveSecret,
  );
  // A local tool signs what it is told; it warns where a flow would refuse (the provider would too).
  const problem = validityProblem(signer.certificate, values.p12);
  if (problem) console.error(`trustflow: warning: ${problem.message}`);
  const cms = await signer.signCms(await readFile(values.in), { detached: values.detached! });
  await writeFile(values.out, cms);
  console.error(
    `signed (${signer.algorithm}) as ${signer.certificate.subject.replace(/\n/g, ', ')}; wrote ${cms.length} bytes of DER CMS to ${values.out}`,
  );
  return 0;
}

async function verify(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { in: { type: 'string' }, content: { type: 'string' }, ca: { type: 'string' } } });
  if (!values.in) throw new UsageError('cms verify needs --in FILE (DER, PEM or base64)');
  const der = cmsToDer(await readFile(values.in));
  const v = await verifyCms(der, values.content ? await readFile(values.content) : undefined);
  const ca = values.ca ? new X509Certificate(await readFile(values.ca)) : undefined;
  const cert = v.signerCertificate;
  const report = {
    signatureValid: v.signatureValid,
    ...(v.reason ? { reason: v.reason } : {}),
    detached: !v.encapsulatedContent,
    signerCount: v.signerCount,
    contentBytes: v.encapsulatedContent?.length,
    signingTime: v.signingTime?.toISOString(),
    signer: cert && {
      subject: cert.subject.split('\n').join(', '),
      issuer: cert.issuer.split('\n').join(', '),
      serialNumber: cert.serialNumber,
      validFrom: cert.validFrom,
      validTo: cert.validTo,
    },
    ...(ca && cert ? { issuedByCa: isIssuedBy(cert, ca) } : {}),
  };
  console.log(JSON.stringify(report, null, 2));
  return v.signatureValid && (report.issuedByCa ?? true) ? 0 : 1;
}

async function decrypt(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      key: { type: 'string' },
      'key-password-env': { type: 'string' },
      cert: { type: 'string' },
      in: { type: 'string' },
      out: { type: 'string' },
      originator: { type: 'string' },
    },
  });
  if (!values.key || !values.cert || !values.in || !values.out)
    throw new UsageError('cms decrypt needs --key FILE --cert FILE --in FILE --out FILE');
  const password = values['key-password-env'] ? await resolveSecret(`env:${values['key-password-env']}`) : undefined;
  await assertNotCryptoProContainer(values.key);
  const keyBytes = await readFile(values.key);
  const isPem = keyBytes.subarray(0, 64).toString('latin1').includes('-----BEGIN');
  if (!isPem && password === undefined) throw new UsageError('a PKCS#12 key needs --key-password-env NAME');
  const t0 = performance.now();
  const plain = await decryptCms({
    cms: await readFile(values.in),
    key: isPem
      ? { format: 'pem', pem: keyBytes, ...(password !== undefined ? { password } : {}) }
      : { format: 'pkcs12', der: keyBytes, password: password! },
    certificate: await readFile(values.cert),
    ...(values.originator ? { originator: await readFile(values.originator) } : {}),
  });
  await writeFile(values.out, plain, { mode: 0o600 });
  console.error(`decrypted ${plain.length} bytes to ${values.out} in ${Math.round(performance.now() - t0)} ms`);
  return 0;
}

async function absolute(p: string): Promise<string> {
  return resolve(p);
}

/** `trustflow cms <name> ...` */
export const commands: Commands = { sign, verify, decrypt };
