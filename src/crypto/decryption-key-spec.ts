// How a workflow input names a decryption key and its certificate. Pure (zod only).
import { z } from 'zod';
import { SecretRefSchema } from '../secrets/reference.js';

const AbsolutePath = z.string().startsWith('/', { message: 'must be an absolute path on the worker machine' });

export const DecryptionKeySpecSchema = z.discriminatedUnion('kind', [
  /** PEM PKCS#8 key (encrypted when `password` is given) and its certificate (PEM or DER). */
  z.object({ kind: z.literal('pem'), path: AbsolutePath, certificate: AbsolutePath, password: SecretRefSchema.optional() }),
  /** PKCS#12 holding the key and its certificate (GOST PBE files included). */
  z.object({ kind: z.literal('pkcs12'), path: AbsolutePath, password: SecretRefSchema }),
]);
export type DecryptionKeySpec = z.infer<typeof DecryptionKeySpecSchema>;
