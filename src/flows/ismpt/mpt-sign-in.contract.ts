// Public contract of the `mptSignIn` workflow: its type name, input and output. Pure: imported by
// the workflow, the client helpers, the CLI and other services.
import { z } from 'zod';
import { Pkcs12SignerSpecSchema } from '../../contracts/signer-spec.js';
import { BoundedPersonSignerSpecSchema } from '../../contracts/person-signer-spec.js';
import { providerUrl, strictObject } from '../../contracts/fields.js';
import { defineFlow, resultObject } from '../../contracts/flow-contract.js';

export const MPT_SIGN_IN = 'mptSignIn';

export const MptSignInInputSchema = strictObject({
  /** API root of the IS MPT stand: everything before `/auth/key` (https; plain http only on loopback). */
  baseUrl: providerUrl('https://<stand>/api/v3/true-api'),
  /**
   * The key: a PKCS#12 file the worker reads (`pkcs12`), or a person who signs in NCALayer on the
   * signing page while the flow waits (`person`: docs/person-signer.md).
   */
  signer: z.discriminatedUnion('kind', [Pkcs12SignerSpecSchema, BoundedPersonSignerSpecSchema]),
  /** Token lifetime to assume when the stand says neither a JWT `exp` nor an `expireDate`. */
  defaultTokenTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(10 * 3600),
  /** How many challenges to try when the stand rejects one as unknown, expired or used. */
  maxChallengeAttempts: z.number().int().min(1).max(10).default(3),
  /** Error codes meaning "challenge unknown/expired/used" on this stand (INF: real codes unpublished). */
  challengeRejectedCodes: z.array(z.string().min(1).max(200)).min(1).max(50).optional(),
});
export type MptSignInInput = z.input<typeof MptSignInInputSchema>;
export type MptSignInParsedInput = z.output<typeof MptSignInInputSchema>;
/** An input whose signer is a key file (the sandbox's example, most tests). */
export type MptKeyFileSignInInput = MptSignInInput & { signer: z.input<typeof Pkcs12SignerSpecSchema> };

export const MptSignInResultSchema = resultObject({
  /** Bearer token for the IS MPT API. Secret: travels only through the encryption codec. */
  token: z.string().describe('Bearer token for the IS MPT API. Secret: travels only through the encryption codec'),
  /** ISO 8601. */
  expiresAt: z.iso
    .datetime()
    .describe("When the token expires (its JWT exp, the stand's expireDate, or the default lifetime), ISO 8601 UTC"),
  /** ISO 8601. */
  obtainedAt: z.iso.datetime().describe('When the token was obtained, ISO 8601 UTC'),
});
export type MptSignInResult = z.output<typeof MptSignInResultSchema>;

export const MPT_STEPS = ['validating', 'fetching_challenge', 'signing', 'waiting_for_signature', 'exchanging', 'done'] as const;
export type MptStep = (typeof MPT_STEPS)[number];

export const mptSignInContract = defineFlow({
  workflowType: MPT_SIGN_IN,
  provider: 'ismpt',
  inputSchema: MptSignInInputSchema,
  resultSchema: MptSignInResultSchema,
  steps: MPT_STEPS,
  idReuse: 'new-run',
  summarize: (r) => ({ token: '(secret)', expiresAt: r.expiresAt, obtainedAt: r.obtainedAt }),
});
