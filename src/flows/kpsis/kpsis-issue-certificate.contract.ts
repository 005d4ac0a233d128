// Public contract of the `kpsisIssueCertificate` workflow and its `submitIssuedCertificate` Update.
// Pure (zod only). Passwords are secret references; the key container and the shards stay in files
// on the worker's machine and only their paths and fingerprints enter history.
import { z } from 'zod';
import { absolutePath, DurationSchema, SecretRefSchema, strictObject, transportProblemOf } from '../../contracts/fields.js';
import { MAX_URL_LENGTH } from '../../contracts/limits.js';
import { defineFlow, resultObject } from '../../contracts/flow-contract.js';

export const KPSIS_ISSUE_CERTIFICATE = 'kpsisIssueCertificate';
export const SUBMIT_ISSUED_CERTIFICATE = 'submitIssuedCertificate';

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const EMAIL = /^[^\s@]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export const KpsisCertInfoSchema = strictObject({
  /** e.g. '*.example.org' (a DNS name, wildcard allowed) */
  commonName: z.string().max(253).regex(DNS_NAME, { message: "must be a DNS name such as 'service.example.by' or '*.example.by'" }),
  organization: z.string().trim().min(1).max(200),
  description: z.string().max(200).optional(),
  state: z.string().max(128).optional(),
  locality: z.string().max(128).optional(),
  street: z.string().max(200).optional(),
  email: z.string().max(254).regex(EMAIL, { message: 'must be an e-mail address' }).optional(),
  subjectAltNames: z
    .array(z.string().max(253).regex(DNS_NAME, { message: 'each must be a DNS name' }))
    .max(50)
    .optional(),
});

export const KpsisIssueCertificateInputSchema = strictObject({
  /**
   * The key-generation service, e.g. http://127.0.0.1:8088. It receives every shard holder's password:
   * https, or plain http on loopback; plain http to another host only with `allowPlainHttp: true`.
   */
  baseUrl: z.string().max(MAX_URL_LENGTH).url({ message: 'must be an absolute URL, e.g. http://127.0.0.1:8088' }),
  /**
   * Opt-in for a KPSIS reachable only by plain http on a closed network segment. The passwords then
   * cross that network in clear: every use is logged as a warning.
   */
  allowPlainHttp: z.literal(true).optional(),
  keyParam: strictObject({
    securityLevel: z.union([z.literal(128), z.literal(192), z.literal(256)], { message: 'must be 128, 192 or 256 (bign security levels)' }),
    iterationCount: z
      .number()
      .int()
      .min(10_000, { message: 'must be at least 10000 (PBKDF2 iterations)' })
      .max(1_000_000, { message: 'must be at most 1000000' }),
    usersNum: z.number().int().min(2).max(16),
    thresholdNum: z.number().int().min(2),
    /** One secret reference per shard holder, in shard order. */
    passwords: z.array(SecretRefSchema).max(16),
  }).superRefine((k, ctx) => {
    if (k.thresholdNum > k.usersNum)
      ctx.addIssue({
        code: 'custom',
        path: ['thresholdNum'],
        message: `must not exceed usersNum (${k.usersNum}): 2 ≤ threshold ≤ users ≤ 16`,
      });
    if (k.passwords.length !== k.usersNum)
      ctx.addIssue({
        code: 'custom',
        path: ['passwords'],
        message: `must hold exactly usersNum (${k.usersNum}) references, one per shard holder; got ${k.passwords.length}`,
      });
  }),
  certReqParam: strictObject({ type: z.string().min(1).max(100).default('service_and_tls'), certInfo: KpsisCertInfoSchema }),
  /** Ask the service to keep its own copies too (its data folder). */
  saveToFile: z.boolean().default(false),
  /** Where the worker writes cert_req.req, key.der and shard<i>.pem (owner-only), and later the certificate. */
  artifactsDir: absolutePath(),
  /** How often to remind that the request is still with the CA. */
  reminderEvery: DurationSchema.default(86_400_000),
  /** When to stop waiting for the CA (from the request's creation): the flow then ends as timed_out. */
  giveUpAfter: DurationSchema.default(30 * 86_400_000),
}).superRefine((v, ctx) => {
  const problem = transportProblemOf(v.baseUrl, { allowPlainHttp: v.allowPlainHttp === true });
  if (problem)
    ctx.addIssue({
      code: 'custom',
      path: ['baseUrl'],
      message: `${problem} (a KPSIS on a closed segment with plain http only: set allowPlainHttp: true)`,
    });
});
export type KpsisIssueCertificateInput = z.input<typeof KpsisIssueCertificateInputSchema>;

/** A file the worker wrote: its path on the worker's machine and the SHA-256 of its bytes. */
export const FileFingerprintSchema = resultObject({
  path: z.string().describe("The file's absolute path on the worker's machine"),
  sha256: z.string().describe("SHA-256 of the file's bytes, lowercase hex"),
});
export type FileFingerprint = z.output<typeof FileFingerprintSchema>;

/** The PKCS#10 request, as read back from its DER (public data). */
export const CertificateRequestSummarySchema = resultObject({
  subject: z.string().describe("The request's subject, its attributes as 'TYPE=value' joined by ', '"),
  subjectAltNames: z.array(z.string()).describe("The request's subject alternative names, e.g. 'DNS:www.example.org'"),
  publicKeyAlgorithm: z.string().describe("The public key's algorithm (and curve)"),
  /** The request's SubjectPublicKeyInfo, DER base64: the certificate must carry exactly these bytes. */
  subjectPublicKeyInfo: z
    .string()
    .describe("The request's SubjectPublicKeyInfo, DER base64: the certificate must carry exactly these bytes"),
  subjectPublicKeyInfoSha256: z.string().describe('SHA-256 of the SubjectPublicKeyInfo DER, lowercase hex'),
});
export type CertificateRequestSummary = z.output<typeof CertificateRequestSummarySchema>;

/** What the worker wrote into artifactsDir (owner-only files): never the bytes, only paths and fingerprints. */
export const KpsisArtifactsSchema = resultObject({
  request: FileFingerprintSchema.describe('The PKCS#10 request, cert_req.req (DER)'),
  keyContainer: FileFingerprintSchema.describe('The key container, key.der'),
  shards: z.array(FileFingerprintSchema).describe('The threshold shards of the key, shard<i>.pem, in shard order'),
});
export type KpsisArtifacts = z.output<typeof KpsisArtifactsSchema>;

/** The certificate the CA issued, as stored beside the artifacts. */
export const IssuedCertificateSummarySchema = resultObject({
  path: z.string().describe('Where the worker stored it (certificate.pem in artifactsDir)'),
  serialNumber: z.string().describe("The certificate's serial number, hex"),
  subject: z.string().describe("The certificate's subject, its attributes as 'TYPE=value' joined by ', '"),
  issuer: z.string().describe("The certificate's issuer, its attributes as 'TYPE=value' joined by ', '"),
  notBefore: z.iso.datetime().describe('Start of validity, ISO 8601 UTC'),
  notAfter: z.iso.datetime().describe('End of validity, ISO 8601 UTC'),
  sha256Fingerprint: z.string().describe("SHA-256 of the certificate's DER, colon-separated uppercase hex"),
});
export type IssuedCertificateSummary = z.output<typeof IssuedCertificateSummarySchema>;

export const KpsisIssueCertificateResultSchema = resultObject({
  outcome: z
    .enum(['issued', 'timed_out'])
    .describe("issued: the CA's certificate was accepted and stored; timed_out: none came within giveUpAfter"),
  request: CertificateRequestSummarySchema.describe('The certificate request handed to the CA'),
  artifacts: KpsisArtifactsSchema.describe('The files written into artifactsDir'),
  requestedAt: z.iso.datetime().describe('When the key and request were generated (the wait for the CA counts from it), ISO 8601 UTC'),
  certificate: IssuedCertificateSummarySchema.optional().describe('The issued certificate (outcome issued only)'),
});
export type KpsisIssueCertificateResult = z.output<typeof KpsisIssueCertificateResultSchema>;

/** The result of the submitIssuedCertificate Update: the certificate accepted and stored. */
export const SubmitIssuedCertificateResultSchema = resultObject({
  accepted: z.literal(true).describe('Always true: a refused certificate fails the Update instead'),
  certificate: IssuedCertificateSummarySchema.describe('The certificate as stored'),
});
export type SubmitIssuedCertificateResult = z.output<typeof SubmitIssuedCertificateResultSchema>;

export const KPSIS_STEPS = [
  'validating',
  'checking_passwords',
  'generating',
  'waiting_for_ca',
  'storing_certificate',
  'done',
  'timed_out',
] as const;
export type KpsisStep = (typeof KPSIS_STEPS)[number];

export const kpsisIssueCertificateContract = defineFlow({
  workflowType: KPSIS_ISSUE_CERTIFICATE,
  provider: 'kpsis',
  inputSchema: KpsisIssueCertificateInputSchema,
  resultSchema: KpsisIssueCertificateResultSchema,
  steps: KPSIS_STEPS,
  idReuse: 'recorded-result',
  summarize: (r) => ({
    outcome: r.outcome,
    requestedAt: r.requestedAt,
    ...(r.certificate
      ? { certificate: { serialNumber: r.certificate.serialNumber, notAfter: r.certificate.notAfter, path: r.certificate.path } }
      : {}),
  }),
});
