// Public contract of the `cipherSign` and `cipherInspectKeyStore` workflows. Pure (zod only).
// Inputs name the data and the key container by reference and the password by secret reference;
// the container's certificate summary (owner, tax numbers) is personal data and travels only
// through the encryption codec.
import { z } from 'zod';
import { CipherOptionsSchema } from '../../providers/cipher/schemas.js';
import { SecretRefSchema } from '../../secrets/reference.js';
import { absolutePath, fileReference, providerUrl, strictObject } from './fields.js';

export const CIPHER_SIGN = 'cipherSign';
export const CIPHER_INSPECT_KEY_STORE = 'cipherInspectKeyStore';

export const CipherEndpointSchema = strictObject({
  /** The agent's API root, e.g. https://local.cipher.kiev.ua:9090/api/v1 (plain http only on loopback). */
  baseUrl: providerUrl('https://local.cipher.kiev.ua:9090/api/v1'),
});

export const KeyStoreRefSchema = z.union([
  /** The container file on the worker's machine, uploaded into the ticket. */
  strictObject({ file: fileReference('key container') }),
  /** A path the Cipher agent itself opens (its own file or a PKCS#11 token path; needed for key changes). */
  strictObject({ path: z.string().min(1) }),
]);
export type KeyStoreRef = z.infer<typeof KeyStoreRefSchema>;

const TicketPolicySchema = {
  /** How many fresh tickets to try when the service says the ticket is gone (400). */
  maxTicketAttempts: z.number().int().min(1).max(5).default(3),
  /** How long to wait for a Cipher service that says it is not started (503), in seconds. */
  maxServiceWaitSeconds: z.number().int().min(0).max(3600).default(120),
};

export const CipherInspectKeyStoreInputSchema = CipherEndpointSchema.extend({
  keyStore: KeyStoreRefSchema,
  password: SecretRefSchema,
  ...TicketPolicySchema,
});
export type CipherInspectKeyStoreInput = z.input<typeof CipherInspectKeyStoreInputSchema>;

export const MAX_DATA_BYTES_LIMIT = 50 * 1024 * 1024;
/** Signatures up to this size may come back in the result; larger ones need `output`. */
export const MAX_INLINE_SIGNATURE_BYTES = 256 * 1024;

export const CipherSignInputSchema = CipherInspectKeyStoreInputSchema.extend({
  /** The data to sign, by reference. */
  data: fileReference('data file'),
  maxDataBytes: z.number().int().positive().max(MAX_DATA_BYTES_LIMIT).default(10 * 1024 * 1024),
  options: CipherOptionsSchema,
  /** Where the worker writes the signature (DER CMS); without it the signature is returned (≤ 256 KiB). */
  output: strictObject({ file: absolutePath() }).optional(),
  /** Bound on waiting for the asynchronous signature, in seconds. */
  maxSigningSeconds: z.number().int().min(1).max(3600).default(120),
});
export type CipherSignInput = z.input<typeof CipherSignInputSchema>;

/** What an operator needs to know about a key: no tax numbers, passports or addresses. */
export interface CertificateSummary {
  owner: string | null;
  organization: string | null;
  issuer: string | null;
  serialNumber: string | null;
  notBefore: string | null;
  notAfter: string | null;
  /** Whole days from the flow's time to notAfter (negative when expired). */
  daysLeft: number | null;
  algorithm: string | null;
  /** Start keys (isTemporary) must be changed through the agent's key-change dialog. */
  isTemporary: boolean | null;
  isQualified: boolean | null;
}

export interface KeyUsageSummary {
  /** present: usable; absent: no such key in the container; unusable: present but refused (message). */
  state: 'present' | 'absent' | 'unusable';
  /** The service's warning or reason, verbatim (its language). */
  message: string | null;
  certificate: CertificateSummary | null;
}

export interface CipherInspectKeyStoreResult {
  signature: KeyUsageSummary;
  keyAgreement: KeyUsageSummary;
  /** Warnings to act on (the service's messages of usable keys). */
  warnings: string[];
}

export interface CipherSignResult {
  /** Base64 DER CMS, when no output file was named. */
  signatureBase64?: string;
  /** The file the signature was written to, when `output` was given. */
  outputFile?: string;
  signatureBytes: number;
  signer: CertificateSummary;
  warnings: string[];
}

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
