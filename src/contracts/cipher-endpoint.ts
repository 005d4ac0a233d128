// What cipherSign and cipherInspectKeyStore share: the agent's address, the key container reference,
// the ticket policy, and the certificate summaries they report. Pure (zod only). The summaries are
// personal data (owner names) and travel only through the encryption codec.
import { z } from 'zod';
import { fileReference, providerUrl, strictObject } from './fields.js';
import { resultObject } from './flow-contract.js';
import { MAX_PATH_LENGTH } from './limits.js';

export const CipherEndpointSchema = strictObject({
  /** The agent's API root, e.g. https://local.cipher.kiev.ua:9090/api/v1 (plain http only on loopback). */
  baseUrl: providerUrl('https://local.cipher.kiev.ua:9090/api/v1'),
});

export const KeyStoreRefSchema = z.union([
  /** The container file on the worker's machine, uploaded into the ticket. */
  strictObject({ file: fileReference('key container') }),
  /** A path the Cipher agent itself opens (its own file or a PKCS#11 token path; needed for key changes). */
  strictObject({ path: z.string().min(1).max(MAX_PATH_LENGTH) }),
]);
export type KeyStoreRef = z.infer<typeof KeyStoreRefSchema>;

export const TicketPolicySchema = {
  /** How many fresh tickets to try when the service says the ticket is gone (400). */
  maxTicketAttempts: z.number().int().min(1).max(5).default(3),
  /** How long to wait for a Cipher service that says it is not started (503), in seconds. */
  maxServiceWaitSeconds: z.number().int().min(0).max(3600).default(120),
};

/** What an operator needs to know about a key: no tax numbers, passports or addresses. */
export const CertificateSummarySchema = resultObject({
  owner: z.string().nullable().describe("The owner's full name (personal data)"),
  organization: z.string().nullable().describe("The owner's organisation"),
  issuer: z.string().nullable().describe('The issuing CA'),
  serialNumber: z.string().nullable().describe("The certificate's serial number, as the agent reports it"),
  notBefore: z.string().nullable().describe('Start of validity, verbatim as the Cipher agent writes it (not reformatted)'),
  notAfter: z.string().nullable().describe('End of validity, verbatim as the Cipher agent writes it (not reformatted)'),
  /** Whole days from the flow's time to notAfter (negative when expired). */
  daysLeft: z.number().int().nullable().describe("Whole days from the flow's time to notAfter (negative when expired)"),
  algorithm: z.string().nullable().describe("The key's signature algorithm, as the agent names it"),
  /** Start keys (isTemporary) must be changed through the agent's key-change dialog. */
  isTemporary: z.boolean().nullable().describe("A start key: must be changed through the agent's key-change dialog"),
  isQualified: z.boolean().nullable().describe('A qualified certificate'),
});
export type CertificateSummary = z.output<typeof CertificateSummarySchema>;

export const KeyUsageSummarySchema = resultObject({
  /** present: usable; absent: no such key in the container; unusable: present but refused (message). */
  state: z
    .enum(['present', 'absent', 'unusable'])
    .describe('present: usable; absent: no such key in the container; unusable: present but refused (see message)'),
  /** The service's warning or reason, verbatim (its language). */
  message: z.string().nullable().describe("The service's warning or reason, verbatim (its language)"),
  certificate: CertificateSummarySchema.nullable().describe("The key's certificate, when the service reported one"),
});
export type KeyUsageSummary = z.output<typeof KeyUsageSummarySchema>;
