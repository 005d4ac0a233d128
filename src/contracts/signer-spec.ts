// How a workflow input names its signer. Pure (zod only): imported by workflow input schemas.
// New signer kinds (NCALayer, NCANode, OpenSSL-GOST) are new members of this union plus a case in
// signer.ts; workflows never change.
import { z } from 'zod';
import { absolutePath, SecretRefSchema, strictObject } from './fields.js';

export const Pkcs12SignerSpecSchema = strictObject({
  kind: z.literal('pkcs12'),
  /** Absolute path of the .p12/.pfx file on the worker's machine. */
  path: absolutePath('/etc/trustflow/keys/signer.p12'),
  /** Reference to the PKCS#12 password: env:NAME or file:/path. */
  password: SecretRefSchema,
  /**
   * Kazakh GOST keys only: the CMS details public samples could not settle (docs/kz-gost.md).
   * Defaults: NCALayer's likely shape (signature OID, signingCertificateV2, signer certificate only).
   */
  gostCms: strictObject({
    signatureAlgorithm: z.enum(['signature', 'key']).optional(),
    signingCertificateV2: z.boolean().optional(),
    includeChain: z.boolean().optional(),
  }).optional(),
});

export const SignerSpecSchema = z.discriminatedUnion('kind', [Pkcs12SignerSpecSchema]);
export type SignerSpec = z.infer<typeof SignerSpecSchema>;
