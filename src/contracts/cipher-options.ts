// The user-facing Cipher signature options (cipherSign's `options`): what the agent's
// `PUT /ticket/{uuid}/option` takes, with its names. Pure (zod only).
import { z } from 'zod';
import { strictObject } from './fields.js';

/** Option values are strings on the wire, even booleans. */
export const CipherOptionsSchema = strictObject({
  caId: z.string().min(1).max(200),
  signatureType: z.enum(['attached', 'detached']).default('detached'),
  cadesType: z.string().min(1).max(64).optional(),
  embedCertificateType: z.enum(['signerCert', 'signerAndCaCert', 'signerCertAndCaInfo', 'nothing']).optional(),
  embedSignatureTs: z.boolean().optional(),
  embedDataTs: z.boolean().optional(),
  dataToSignQualifier: z.enum(['notSignedBefore', 'alreadySigned']).optional(),
  duplicateSign: z.boolean().optional(),
  asicForm: z.enum(['NONE', 'ASIC_S', 'ASIC_E']).optional(),
});
export type CipherOptions = z.input<typeof CipherOptionsSchema>;
