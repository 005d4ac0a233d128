// How a workflow input names a mutual-TLS identity. Pure (zod only): imported by input schemas.
import { z } from 'zod';
import { absolutePath, SecretRefSchema, strictObject } from './fields.js';

export const MutualTlsSpecSchema = strictObject({
  /** The client certificate and its RSA key: a PKCS#12 (.p12), legacy 3DES or AES. */
  p12: absolutePath('/etc/trustflow/kisc/tls.p12'),
  /** Reference to the PKCS#12 password: env:NAME or file:/path. */
  password: SecretRefSchema,
  /** PEM bundle of the CA(s) that issue the server's certificate (for KISC: the KISC CA). */
  ca: absolutePath('/etc/trustflow/kisc/ca.pem').optional(),
  /**
   * Test stands only: accept any server certificate. Every use logs a warning. Never in production:
   * anyone on the path could then read the photos and personal data.
   */
  insecureSkipServerVerification: z.literal(true).optional(),
}).refine((t) => t.ca !== undefined || t.insecureSkipServerVerification, {
  message: "needs 'ca' (the PEM bundle that verifies the server) — or, on a test stand only, insecureSkipServerVerification: true",
  path: ['ca'],
});
export type MutualTlsSpec = z.infer<typeof MutualTlsSpecSchema>;
