// The `cert` group: `cert verify` checks a certificate against a CA bundle offline (local tool, no
// Temporal): the path to a CA of the bundle, each link with the check trustflow uses wherever it
// looks at a chain (crypto/certificates/check.ts): RSA, EC and Kazakh GOST (2004 and 2015 512-bit).
import { X509Certificate } from 'node:crypto';
import { verifyChain } from '../../crypto/certificates/chain.js';
import { readCaBundle, strictDate } from './cms.js';
import { defineCommand, outputFormat, outputOption, required, UsageError } from './command.js';
import { readInputFile, type Commands } from './shared.js';

const verify = defineCommand({
  summary: "a certificate's signature, issuer and validity through a CA bundle",
  options: {
    cert: { type: 'string', value: 'FILE', help: '(required) the certificate (PEM or DER)' },
    ca: { type: 'string', value: 'FILE', help: '(required) the trusted CA certificates: one, or a PEM bundle in any order' },
    at: { type: 'string', value: 'DATE', help: 'YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (default now)' },
    output: outputOption('json', ['json']),
  },
  details: `The certificate must chain to a certificate of the bundle (a self-signed root, or an intermediate the
bundle trusts as it is); every link is checked: signature, issuer name and CA rules, and validity at DATE.
Exit codes: 0 valid, 1 not valid (the reasons under "problems"), 2 wrong usage.`,
  async run(v) {
    outputFormat(v.output, ['json']);
    const certPath = required(v.cert, 'cert');
    const caPath = required(v.ca, 'ca');
    const at = v.at === undefined ? new Date() : strictDate('--at', v.at);
    const cert = certificate('--cert', certPath, await readInputFile('--cert', certPath));
    const bundle = readCaBundle(caPath, await readInputFile('--ca', caPath));
    const chain = verifyChain(cert, bundle, at);
    const first = chain.path[0]?.check;
    const issuer = chain.path[1]?.certificate;
    console.log(
      JSON.stringify(
        {
          valid: chain.valid,
          signatureValid: first?.signatureValid ?? false,
          issuerMatches: first?.issuerMatches ?? false,
          validity: first?.validity,
          at: at.toISOString(),
          signatureAlgorithm: first?.signatureAlgorithm,
          certificate: { subject: dn(cert.subject), issuer: dn(cert.issuer), serialNumber: cert.serialNumber },
          notBefore: new Date(cert.validFrom).toISOString(),
          notAfter: new Date(cert.validTo).toISOString(),
          ca: issuer ? { subject: dn(issuer.subject), serialNumber: issuer.serialNumber } : null,
          chain: chain.path.map((l) => ({
            subject: dn(l.certificate.subject),
            serialNumber: l.certificate.serialNumber,
            notAfter: new Date(l.certificate.validTo).toISOString(),
            valid: l.check.valid,
          })),
          caBundleSize: bundle.length,
          problems: chain.problems,
        },
        null,
        2,
      ),
    );
    return chain.valid ? 0 : 1;
  },
});

function certificate(flag: string, path: string, bytes: Buffer): X509Certificate {
  try {
    return new X509Certificate(bytes);
  } catch {
    throw new UsageError(`${flag} ${path}: not an X.509 certificate (PEM or DER)`);
  }
}

const dn = (s: string) => s.split('\n').join(', ');

/** `trustflow cert <name> ...` */
export const commands: Commands = { verify };
