// How a workflow input names a decryption key and its certificate. Pure (zod only).
import { z } from 'zod';
import { absolutePath, SecretRefSchema, strictObject } from './fields.js';

const AbsolutePath = absolutePath();

export const DecryptionKeySpecSchema = z.discriminatedUnion('kind', [
  /** PEM PKCS#8 key (encrypted when `password` is given) and its certificate (PEM or DER). */
  strictObject({ kind: z.literal('pem'), path: AbsolutePath, certificate: AbsolutePath, password: SecretRefSchema.optional() }),
  /** PKCS#12 holding the key and its certificate (GOST PBE files included). */
  strictObject({ kind: z.literal('pkcs12'), path: AbsolutePath, password: SecretRefSchema }),
  /**
   * A CryptoPro CSP key container: the folder (header.key, masks.key, primary.key…). `password`
   * is omitted for a container without one; `keyUsage` picks a key of a two-key container (default:
   * the exchange key, which decryption needs); `certificate` only when the container stores none.
   */
  strictObject({
    kind: z.literal('cryptopro'),
    path: AbsolutePath,
    password: SecretRefSchema.optional(),
    keyUsage: z.enum(['exchange', 'signature']).optional(),
    certificate: AbsolutePath.optional(),
  }),
]);
export type DecryptionKeySpec = z.infer<typeof DecryptionKeySpecSchema>;
