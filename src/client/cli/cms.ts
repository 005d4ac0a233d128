// The `cms` group: `cms sign`, `cms verify`, `cms decrypt` (local tools, no Temporal).
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { parseStrictDate } from '../../common/strict-date.js';
import { verifyChain } from '../../crypto/certificates/chain.js';
import { checkCertificate } from '../../crypto/certificates/check.js';
import { validityProblem } from '../../crypto/certificates/validity.js';
import { cmsToDer } from '../../crypto/cms/shared.js';
import { verifyCms } from '../../crypto/cms/verify.js';
import { readCertificateBundle } from '../../crypto/certificates/credential-certificates.js';
import { decryptCms, type DecryptionKey } from '../../crypto/cms/decrypt.js';
import { isCryptoProContainerPath } from '../../crypto/keys/cryptopro-container-folder.js';
import { openDecryptionKey } from '../../crypto/keys/decryption-key.js';
import { openSigner } from '../../crypto/keys/signer.js';
import { defineCommand, outputFormat, outputOption, required, UsageError } from './command.js';
import { checkOutputFile, writeOutputFile } from './io.js';
import { readInputFile, secretFromEnv, type Commands } from './shared.js';

const sign = defineCommand({
  summary: 'sign a file as CMS SignedData with a PKCS#12 key (RSA or Kazakh GOST)',
  options: {
    p12: { type: 'string', value: 'FILE', help: '(required) the PKCS#12 key store' },
    'password-env': { type: 'string', value: 'NAME', help: '(required) the environment variable holding its password' },
    in: { type: 'string', value: 'FILE', help: '(required) the document to sign' },
    out: { type: 'string', value: 'FILE', help: '(required) where the DER CMS goes (a new file; never the document)' },
    detached: { type: 'boolean', help: 'leave the document out of the CMS (a detached signature)' },
    force: { type: 'boolean', help: 'replace --out if it exists (never --in or --p12)' },
  },
  details: 'The password is read from the environment, never from the command line. --out is written whole or not at all.',
  async run(v) {
    const p12 = required(v.p12, 'p12');
    const password = secretFromEnv('--password-env', v['password-env']);
    const input = required(v.in, 'in');
    const out = required(v.out, 'out');
    const outputFile = {
      flag: '--out',
      force: v.force === true,
      inputs: [
        { flag: '--in', path: input },
        { flag: '--p12', path: p12 },
      ],
    };
    await checkOutputFile(out, outputFile);
    const document = await readInputFile('--in', input);
    await readInputFile('--p12', p12); // a missing or unreadable file named by its option
    const signer = await openSigner({ kind: 'pkcs12', path: resolve(p12), password: `env:${v['password-env']}` }, async () => password);
    // A local tool signs what it is told; it warns where a flow would refuse (the provider would too).
    const problem = validityProblem(signer.certificate, p12);
    if (problem) console.error(`trustflow: warning: ${problem.message}`);
    const cms = await signer.signCms(document, { detached: v.detached === true });
    await writeOutputFile(out, cms, outputFile);
    console.error(
      `signed (${signer.algorithm}) as ${signer.certificate.subject.replace(/\n/g, ', ')}; wrote ${cms.length} bytes of DER CMS to ${out}`,
    );
    return 0;
  },
});

const verify = defineCommand({
  summary: "verify a CMS signature and the signer's certificate at the signing time",
  options: {
    in: { type: 'string', value: 'FILE', help: '(required) the CMS: DER, PEM or base64' },
    content: { type: 'string', value: 'FILE', help: 'the signed document, for a detached CMS' },
    ca: { type: 'string', value: 'FILE', help: "CA certificates (PEM bundle or DER): the signer's certificate must chain to one" },
    at: { type: 'string', value: 'DATE', help: "check the signer's certificate at DATE instead of the signing time" },
    output: outputOption('json', ['json']),
  },
  details: `The signer's certificate is checked at the time the signature claims (its signingTime attribute), or now
when it has none, or at --at: a signature made by a certificate that was expired or not yet valid then is
not valid. "certificateCheckedAt" says which time was used and why.
Exit codes: 0 valid, 1 not valid (the reasons under "problems"), 2 wrong usage.`,
  async run(v) {
    outputFormat(v.output, ['json']);
    const input = required(v.in, 'in');
    const der = cmsToDer(await readInputFile('--in', input));
    const content = v.content ? await readInputFile('--content', v.content) : undefined;
    const bundle = v.ca ? readCaBundle(v.ca, await readInputFile('--ca', v.ca)) : undefined;
    const at = v.at !== undefined ? strictDate('--at', v.at) : undefined;
    const result = await verifyCms(der, content);
    const cert = result.signerCertificate;
    const checkedAt = at
      ? { time: at, source: '--at' }
      : result.signingTime
        ? { time: result.signingTime, source: 'signingTime attribute' }
        : { time: new Date(), source: 'now (the CMS has no signingTime)' };
    const problems: string[] = [];
    if (!result.signatureValid) problems.push(result.reason ?? 'the signature does not verify');
    if (!cert) problems.push("the CMS does not carry the signer's certificate");
    let validity: 'valid' | 'expired' | 'not_yet_valid' | undefined;
    if (cert) {
      const own = checkCertificate(cert, cert, checkedAt.time);
      validity = own.validity;
      if (validity === 'expired')
        problems.push(
          `the signer's certificate expired on ${own.notAfter.toISOString()}, before ${checkedAt.time.toISOString()} (${checkedAt.source})`,
        );
      if (validity === 'not_yet_valid')
        problems.push(
          `the signer's certificate is not valid before ${own.notBefore.toISOString()}, after ${checkedAt.time.toISOString()} (${checkedAt.source})`,
        );
    }
    const chain = cert && bundle ? verifyChain(cert, bundle, checkedAt.time) : undefined;
    if (chain && !chain.valid) problems.push(...chain.problems.filter((p) => !/^the certificate: (expired|not valid before)/.test(p)));
    const report = {
      valid: problems.length === 0,
      signatureValid: result.signatureValid,
      ...(result.reason ? { reason: result.reason } : {}),
      detached: !result.encapsulatedContent,
      signerCount: result.signerCount,
      contentBytes: result.encapsulatedContent?.length,
      signingTime: result.signingTime?.toISOString(),
      certificateCheckedAt: { time: checkedAt.time.toISOString(), source: checkedAt.source },
      certificateValidity: validity,
      signer: cert && {
        subject: oneLine(cert.subject),
        issuer: oneLine(cert.issuer),
        serialNumber: cert.serialNumber,
        validFrom: new Date(cert.validFrom).toISOString(),
        validTo: new Date(cert.validTo).toISOString(),
      },
      ...(chain
        ? {
            issuedByCa: chain.valid,
            chain: chain.path.map((l) => ({ subject: oneLine(l.certificate.subject), serialNumber: l.certificate.serialNumber })),
          }
        : {}),
      problems,
    };
    console.log(JSON.stringify(report, null, 2));
    return report.valid ? 0 : 1;
  },
});

const decrypt = defineCommand({
  summary: 'decrypt CMS EnvelopedData (GOST or RSA recipients)',
  details: 'GOST 28147-89 key transport in-process, other GOST via OpenSSL + gost-engine, RSA via node-forge.',
  options: {
    key: {
      type: 'string',
      value: 'PATH',
      help: '(required) the private key: PEM PKCS#8 (encrypted or not), PKCS#12 (CryptoPro PFX included) or a CryptoPro container folder',
    },
    'key-password-env': { type: 'string', value: 'NAME', help: "the environment variable holding the key's password" },
    'key-usage': { type: 'string', value: 'exchange|signature', help: 'which key of a two-key CryptoPro container (default exchange)' },
    cert: { type: 'string', value: 'FILE', help: "the recipient's certificate (required, except for a container that stores it)" },
    in: { type: 'string', value: 'FILE', help: '(required) the EnvelopedData' },
    out: { type: 'string', value: 'FILE', help: '(required) where the plaintext goes (a new file, mode 0600)' },
    originator: { type: 'string', value: 'FILE', help: "the sender's certificate (key agreement)" },
    force: { type: 'boolean', help: 'replace --out if it exists (never one of the inputs)' },
  },
  async run(v) {
    const keyPath = required(v.key, 'key');
    const container = isCryptoProContainerPath(keyPath);
    const certPath = container ? v.cert : required(v.cert, 'cert');
    const keyUsage = v['key-usage'];
    if (keyUsage !== undefined && keyUsage !== 'exchange' && keyUsage !== 'signature')
      throw new UsageError(`--key-usage ${keyUsage}: expected exchange or signature`);
    if (keyUsage !== undefined && !container) throw new UsageError('--key-usage applies to a CryptoPro container (--key <folder>) only');
    const input = required(v.in, 'in');
    const out = required(v.out, 'out');
    const outputFile = {
      flag: '--out',
      force: v.force === true,
      mode: 0o600,
      inputs: [
        { flag: '--in', path: input },
        { flag: '--key', path: keyPath },
        ...(certPath ? [{ flag: '--cert', path: certPath }] : []),
        ...(v.originator ? [{ flag: '--originator', path: v.originator }] : []),
      ],
    };
    await checkOutputFile(out, outputFile);
    const password = v['key-password-env'] !== undefined ? secretFromEnv('--key-password-env', v['key-password-env']) : undefined;
    const t0 = performance.now();
    let key: DecryptionKey;
    let certificate: Buffer;
    if (container) {
      // Read in-process, as a flow's { kind: 'cryptopro' } key is; the password only from the environment.
      const opened = await openDecryptionKey(
        {
          kind: 'cryptopro',
          path: resolve(keyPath),
          ...(password !== undefined ? { password: `env:${v['key-password-env']}` } : {}),
          ...(keyUsage ? { keyUsage } : {}),
          ...(certPath ? { certificate: resolve(certPath) } : {}),
        },
        async () => password!,
      );
      key = opened.key;
      certificate = opened.certificate;
    } else {
      const keyBytes = await readInputFile('--key', keyPath);
      const isPem = keyBytes.subarray(0, 64).toString('latin1').includes('-----BEGIN');
      if (!isPem && password === undefined) throw new UsageError('a PKCS#12 key needs --key-password-env NAME');
      key = isPem
        ? { format: 'pem', pem: keyBytes, ...(password !== undefined ? { password } : {}) }
        : { format: 'pkcs12', der: keyBytes, password: password! };
      certificate = await readInputFile('--cert', certPath!);
    }
    const plain = await decryptCms({
      cms: await readInputFile('--in', input),
      key,
      certificate,
      ...(v.originator ? { originator: await readInputFile('--originator', v.originator) } : {}),
    });
    await writeOutputFile(out, plain, outputFile);
    console.error(`decrypted ${plain.length} bytes to ${out} in ${Math.round(performance.now() - t0)} ms`);
    return 0;
  },
});

/** Every certificate of a CA file; a usage error naming the file when it holds none. */
export function readCaBundle(path: string, bytes: Buffer): X509Certificate[] {
  try {
    return readCertificateBundle(bytes, path);
  } catch {
    throw new UsageError(`--ca ${path}: not a PEM or DER X.509 certificate (a PEM bundle may hold several)`);
  }
}

/** A date option read strictly (common/strict-date.ts). */
export function strictDate(flag: string, text: string): Date {
  const d = parseStrictDate(text);
  if (!d.ok) throw new UsageError(`${flag} ${text}: ${d.reason}`);
  return d.date;
}

const oneLine = (dn: string) => dn.split('\n').join(', ');

/** `trustflow cms <name> ...` */
export const commands: Commands = { sign, verify, decrypt };
