// Public contract of the `konturSignIn` workflow. Pure.
import { z } from 'zod';
import { DecryptionKeySpecSchema } from '../../contracts/decryption-key-spec.js';
import { providerUrl, SecretRefSchema, strictObject } from '../../contracts/fields.js';
import { defineFlow, resultObject } from '../../contracts/flow-contract.js';

export const KONTUR_SIGN_IN = 'konturSignIn';

export const KonturSignInInputSchema = strictObject({
  /** Kontur API root, e.g. https://api.kontur.ru (http only on loopback, for the sandbox). */
  baseUrl: providerUrl('https://api.kontur.ru'),
  /** Version segment of the auth paths; v5.9 is what Kontur's SDKs use. */
  apiVersion: z
    .string()
    .max(16)
    .regex(/^v\d+(\.\d+)?$/, { message: "must look like 'v5.9'" })
    .default('v5.9'),
  /** Skip Kontur's chain/validity check of the certificate (test stands only). */
  free: z.boolean().default(false),
  /** Reference to the integrator's API key (apiKey query parameter), when the stand needs one. */
  apiKey: SecretRefSchema.optional(),
  /** The GOST (or RSA) key of the certificate Kontur encrypts to. */
  key: DecryptionKeySpecSchema,
  /** An existing session to refresh first (references); on failure a full certificate sign-in follows. */
  session: strictObject({ sid: SecretRefSchema, refreshToken: SecretRefSchema }).optional(),
  /** Session lifetime to report (Kontur documents 30 days for auth.sid). */
  sessionTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(30 * 86400),
  /** How many times to start again from authenticate-by-cert (expired/consumed random value). */
  maxChallengeAttempts: z.number().int().min(1).max(10).default(3),
});
export type KonturSignInInput = z.input<typeof KonturSignInInputSchema>;

export const KonturSignInResultSchema = resultObject({
  /** auth.sid: secret, only through the encryption codec. */
  sid: z.string().describe('The session, auth.sid. Secret: travels only through the encryption codec'),
  /** Secret, only through the encryption codec. */
  refreshToken: z.string().describe("The session's refresh token. Secret: travels only through the encryption codec"),
  expiresAt: z.iso.datetime().describe('When the session expires (obtainedAt + the input sessionTtlSeconds), ISO 8601 UTC'),
  obtainedAt: z.iso.datetime().describe('When the session was obtained, ISO 8601 UTC'),
});
export type KonturSignInResult = z.output<typeof KonturSignInResultSchema>;

export const KONTUR_STEPS = ['validating', 'refreshing', 'authenticating', 'approving', 'done'] as const;
export type KonturStep = (typeof KONTUR_STEPS)[number];

export const konturSignInContract = defineFlow({
  workflowType: KONTUR_SIGN_IN,
  provider: 'kontur',
  inputSchema: KonturSignInInputSchema,
  resultSchema: KonturSignInResultSchema,
  steps: KONTUR_STEPS,
  idReuse: 'new-run',
  summarize: (r) => ({ sid: '(secret)', refreshToken: '(secret)', expiresAt: r.expiresAt, obtainedAt: r.obtainedAt }),
});
