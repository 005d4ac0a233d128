// Public contract of the `kiscVerifyIdentity` workflow. Pure (zod only). Inputs carry references
// for every secret and for the photo; the IIN and the consent text travel in the (codec-encrypted)
// input and never in workflow IDs, search attributes or failure messages.
import { z } from 'zod';
import { iinProblem } from '../../common/iin.js';
import { workflowWaits } from '../../common/policies.js';
import { DurationSchema, fileReference } from '../../contracts/fields.js';
import { defineFlow, resultObject } from '../../contracts/flow-contract.js';
import { KiscEndpointSchema } from '../../contracts/kisc-endpoint.js';
import { Pkcs12SignerSpecSchema } from '../../contracts/signer-spec.js';

export const KISC_VERIFY_IDENTITY = 'kiscVerifyIdentity';

/**
 * The key that signs `x-jws-signature`. KISC's memo says the GOST key is "for signing", but no JOSE
 * algorithm for Kazakh GOST exists and KISC's construction is not public: algorithm, key and
 * payload mode are configurable; RS256 over the raw body (RFC 7797) is the default guess.
 */
export const KiscJwsKeySpecSchema = Pkcs12SignerSpecSchema.extend({
  alg: z.enum(['RS256', 'PS256', 'ES256']).default('RS256'),
  /** 'unencoded': RFC 7797 b64:false (the header lists crit:["b64"]); 'base64url': classic detached JWS. */
  payloadMode: z.enum(['unencoded', 'base64url']).default('unencoded'),
  /** Put the signing certificate into the header's x5c. */
  x5c: z.boolean().default(false),
});
export type KiscJwsKeySpec = z.infer<typeof KiscJwsKeySpecSchema>;

export const MAX_PHOTO_BYTES_LIMIT = 10 * 1024 * 1024;

export const KiscVerifyIdentityInputSchema = KiscEndpointSchema.extend({
  /** Signs the personal-data request; required when fetchPersonalData is true. */
  signingKey: KiscJwsKeySpecSchema.optional(),
  /** The person's IIN (12 digits, valid check digit). */
  iin: z
    .string()
    .max(64)
    // The format as a regex (published in the JSON Schema), the check digit as a refinement.
    .regex(/^\d{12}$/, { message: 'must be exactly 12 digits (an IIN)' })
    .superRefine((v, ctx) => {
      const problem = iinProblem(v);
      if (problem === 'check_digit')
        ctx.addIssue({ code: 'custom', message: 'is not a valid IIN: its check digit (the 12th digit) does not match; check for a typo' });
    }),
  /** Biometric vendor id from GET /vendors (the list changes: it is checked before anything is billed). */
  vendor: z.number().int().positive(),
  /** Reference to the face photo (PNG or JPEG) on the worker's machine: file:/path. Never the bytes. */
  photo: fileReference('photo file (never the image itself)'),
  maxPhotoBytes: z
    .number()
    .int()
    .positive()
    .max(MAX_PHOTO_BYTES_LIMIT)
    .default(5 * 1024 * 1024),
  /** Similarity (0..1) at or above which the face counts as matched. Vendors' scales differ: set it per vendor. */
  minSimilarity: z.number().min(0).max(1),
  fetchPersonalData: z.boolean(),
  /** The person's consent to the transfer of personal data, sent as the body of POST /data. */
  consentText: z.string().min(1).max(20_000).optional(),
  /** How the consent goes in the JSON body: a JSON string (the memo's reading) or {"consent": text}. */
  consentBodyFormat: z.enum(['json-string', 'json-object']).default('json-string'),
  /** Top-level personal-data fields to return; nothing else leaves the worker (data minimisation). */
  personalDataFields: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
  /** Also ask for the phone registered in the mobile citizens database (field mobilephone). */
  mcdb: z.boolean().default(false),
  /**
   * When KISC's news announce planned works over the moment of the billed call: 'wait' for the
   * announced end (durable timers; the news are read again every maintenanceRecheckEvery and at the
   * end), or 'fail' at once with ProviderMaintenance. Nothing is billed either way before the works end.
   */
  onMaintenance: z.enum(['wait', 'fail']).default('wait'),
  /**
   * The longest the flow waits for planned works, counted from when it starts waiting: ms or a text
   * like '30m', '12h', '3d' (default 1 day). Works announced to end later (at once, or after a
   * re-read moved the end) fail the flow with ProviderMaintenance, nothing billed: a notice that far
   * ahead is often mistyped (2035 for 2025). Raise it to wait out long announced works.
   */
  maxMaintenanceWait: DurationSchema.default(workflowWaits.kiscMaintenance.maxWaitMs),
  /**
   * While waiting, how often KISC's news are read again (default 15 minutes): a cancelled notice
   * ends the wait at the next read, a moved one is followed (still within maxMaintenanceWait).
   */
  maintenanceRecheckEvery: DurationSchema.default(workflowWaits.kiscMaintenance.recheckEveryMs),
}).superRefine((v, ctx) => {
  if (!v.fetchPersonalData) return;
  if (!v.signingKey)
    ctx.addIssue({ code: 'custom', path: ['signingKey'], message: 'is required to fetch personal data (it signs x-jws-signature)' });
  if (!v.consentText)
    ctx.addIssue({ code: 'custom', path: ['consentText'], message: "is required to fetch personal data: the person's consent text" });
  if (!v.personalDataFields) {
    ctx.addIssue({
      code: 'custom',
      path: ['personalDataFields'],
      message: "is required to fetch personal data: list the fields you need, e.g. ['last_name', 'first_name', 'birth_date']",
    });
  } else if (v.mcdb && !v.personalDataFields.includes('mobilephone')) {
    ctx.addIssue({
      code: 'custom',
      path: ['personalDataFields'],
      message: "must include 'mobilephone' when mcdb is true (that is the only field mcdb adds)",
    });
  }
});
export type KiscVerifyIdentityInput = z.input<typeof KiscVerifyIdentityInputSchema>;
export type KiscVerifyIdentityParsedInput = z.output<typeof KiscVerifyIdentityInputSchema>;

export const KiscVerifyIdentityResultSchema = resultObject({
  /** not_matched: the similarity was below minSimilarity; no personal data was requested. */
  outcome: z
    .enum(['verified', 'not_matched'])
    .describe('verified: the similarity reached minSimilarity; not_matched: it was below, and no personal data was requested'),
  similarity: z.number().describe("The face's similarity to the state record, as KISC reports it (on the vendor's scale)"),
  minSimilarity: z.number().describe("The input's threshold the similarity was compared with"),
  /** The vendor's name as KISC reports it. */
  vendor: z.string().describe("The biometric vendor's name as KISC reports it"),
  /** The x-idempotency-key of the (single, billed) verification. */
  idempotencyKey: z.string().describe('The x-idempotency-key of the (single, billed) verification'),
  /** Workflow time at which the verification result was obtained, ISO 8601. */
  verifiedAt: z.iso.datetime().describe('Workflow time at which the verification result was obtained, ISO 8601 UTC'),
  /** Only the requested fields. Personal data: travels only through the encryption codec. */
  personalData: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      "KISC's personal data, only the requested fields (verified with fetchPersonalData only). Personal data: travels only through the encryption codec",
    ),
  /** Requested fields KISC's answer did not contain. */
  missingFields: z.array(z.string()).optional().describe("Requested fields KISC's answer did not contain (absent when none)"),
});
export type KiscVerifyIdentityResult = z.output<typeof KiscVerifyIdentityResultSchema>;

export const KISC_VERIFY_STEPS = ['validating', 'verifying', 'fetching_personal_data', 'done', 'not_matched'] as const;
export type KiscVerifyStep = (typeof KISC_VERIFY_STEPS)[number];

export const kiscVerifyIdentityContract = defineFlow({
  workflowType: KISC_VERIFY_IDENTITY,
  provider: 'kisc',
  inputSchema: KiscVerifyIdentityInputSchema,
  resultSchema: KiscVerifyIdentityResultSchema,
  steps: KISC_VERIFY_STEPS,
  idReuse: 'recorded-result',
  summarize: (r) => ({
    outcome: r.outcome,
    similarity: r.similarity,
    minSimilarity: r.minSimilarity,
    vendor: r.vendor,
    idempotencyKey: r.idempotencyKey,
    verifiedAt: r.verifiedAt,
    ...(r.personalData ? { personalDataFields: Object.keys(r.personalData) } : {}),
    ...(r.missingFields ? { missingFields: r.missingFields } : {}),
  }),
});
