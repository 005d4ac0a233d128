// Public contract of the `cipherSign` workflow: a CAdES/CMS signature by Cipher's agent with the
// user's key container. Pure (zod only). Inputs name the data and the key container by reference and
// the password by secret reference.
import { z } from 'zod';
import { CertificateSummarySchema } from '../../contracts/cipher-endpoint.js';
import { CipherInspectKeyStoreInputSchema } from './cipher-inspect-key-store.contract.js';
import { CipherOptionsSchema } from '../../contracts/cipher-options.js';
import { absolutePath, fileReference, strictObject } from '../../contracts/fields.js';
import { defineFlow, resultObject } from '../../contracts/flow-contract.js';

export const CIPHER_SIGN = 'cipherSign';

export const MAX_DATA_BYTES_LIMIT = 50 * 1024 * 1024;
/** Signatures up to this size may come back in the result; larger ones need `output`. */
export const MAX_INLINE_SIGNATURE_BYTES = 256 * 1024;

export const CipherSignInputSchema = CipherInspectKeyStoreInputSchema.extend({
  /** The data to sign, by reference. */
  data: fileReference('data file'),
  maxDataBytes: z
    .number()
    .int()
    .positive()
    .max(MAX_DATA_BYTES_LIMIT)
    .default(10 * 1024 * 1024),
  options: CipherOptionsSchema,
  /** Where the worker writes the signature (DER CMS); without it the signature is returned (≤ 256 KiB). */
  output: strictObject({ file: absolutePath() }).optional(),
  /** Bound on waiting for the asynchronous signature, in seconds. */
  maxSigningSeconds: z.number().int().min(1).max(3600).default(120),
});
export type CipherSignInput = z.input<typeof CipherSignInputSchema>;

export const CipherSignResultSchema = resultObject({
  /** Base64 DER CMS, when no output file was named. */
  signatureBase64: z.string().optional().describe('The signature, base64 DER CMS, when no output file was named'),
  /** The file the signature was written to, when `output` was given. */
  outputFile: z.string().optional().describe("The file the signature was written to, when the input's output was given"),
  signatureBytes: z.number().int().describe("The signature's size in bytes (DER)"),
  signer: CertificateSummarySchema.describe("The signing key's certificate"),
  warnings: z.array(z.string()).describe("Warnings to act on (the service's messages of usable keys, e.g. expiring soon)"),
});
export type CipherSignResult = z.output<typeof CipherSignResultSchema>;

export const CIPHER_SIGN_STEPS = [
  'validating',
  'creating_ticket',
  'uploading_data',
  'setting_options',
  'uploading_key_store',
  'checking_key',
  'signing',
  'awaiting_signature',
  'done',
] as const;
export type CipherSignStep = (typeof CIPHER_SIGN_STEPS)[number];

export const cipherSignContract = defineFlow({
  workflowType: CIPHER_SIGN,
  provider: 'cipher',
  inputSchema: CipherSignInputSchema,
  resultSchema: CipherSignResultSchema,
  steps: CIPHER_SIGN_STEPS,
  idReuse: 'new-run',
  summarize: (r) => ({
    signatureBytes: r.signatureBytes,
    ...(r.outputFile ? { outputFile: r.outputFile } : {}),
    signer: { serialNumber: r.signer.serialNumber, notAfter: r.signer.notAfter, daysLeft: r.signer.daysLeft },
    warnings: r.warnings.length,
  }),
});
