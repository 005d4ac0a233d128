// Public contract of the `cipherInspectKeyStore` workflow: ticket → key container → verifier →
// delete, returning both keys' state and certificate summaries. Pure (zod only).
import { z } from 'zod';
import { CipherEndpointSchema, KeyStoreRefSchema, KeyUsageSummarySchema, TicketPolicySchema } from '../../contracts/cipher-endpoint.js';
import { SecretRefSchema } from '../../contracts/fields.js';
import { defineFlow, resultObject } from '../../contracts/flow-contract.js';

export const CIPHER_INSPECT_KEY_STORE = 'cipherInspectKeyStore';

export const CipherInspectKeyStoreInputSchema = CipherEndpointSchema.extend({
  keyStore: KeyStoreRefSchema,
  password: SecretRefSchema,
  ...TicketPolicySchema,
});
export type CipherInspectKeyStoreInput = z.input<typeof CipherInspectKeyStoreInputSchema>;

export const CipherInspectKeyStoreResultSchema = resultObject({
  signature: KeyUsageSummarySchema.describe("The container's signing key"),
  keyAgreement: KeyUsageSummarySchema.describe("The container's key-agreement (encryption) key"),
  /** Warnings to act on (the service's messages of usable keys). */
  warnings: z.array(z.string()).describe("Warnings to act on (the service's messages of usable keys)"),
});
export type CipherInspectKeyStoreResult = z.output<typeof CipherInspectKeyStoreResultSchema>;

export const CIPHER_INSPECT_KEY_STORE_STEPS = ['validating', 'creating_ticket', 'uploading_key_store', 'checking_key', 'done'] as const;
export type CipherInspectKeyStoreStep = (typeof CIPHER_INSPECT_KEY_STORE_STEPS)[number];

export const cipherInspectKeyStoreContract = defineFlow({
  workflowType: CIPHER_INSPECT_KEY_STORE,
  provider: 'cipher',
  inputSchema: CipherInspectKeyStoreInputSchema,
  resultSchema: CipherInspectKeyStoreResultSchema,
  steps: CIPHER_INSPECT_KEY_STORE_STEPS,
  idReuse: 'new-run',
  summarize: (r) => ({
    signature: {
      state: r.signature.state,
      notAfter: r.signature.certificate?.notAfter ?? null,
      daysLeft: r.signature.certificate?.daysLeft ?? null,
    },
    keyAgreement: {
      state: r.keyAgreement.state,
      notAfter: r.keyAgreement.certificate?.notAfter ?? null,
      daysLeft: r.keyAgreement.certificate?.daysLeft ?? null,
    },
    warnings: r.warnings.length,
  }),
});
