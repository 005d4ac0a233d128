// Public contract of the `kiscReconcile` workflow: KISC's transactions report for a period against
// the verifications trustflow recorded. Pure (zod only). No PII: keys, vendors, scores, times.
import { z } from 'zod';
import { defineFlow, resultObject } from '../../contracts/flow-contract.js';
import { KiscEndpointSchema } from '../../contracts/kisc-endpoint.js';

export const KISC_RECONCILE = 'kiscReconcile';

const DateSchema = z
  .string()
  .max(10, { message: 'must be a date YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date YYYY-MM-DD' })
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), { message: 'is not a calendar date' });

export const KiscReconcileInputSchema = KiscEndpointSchema.extend({
  /** First day, inclusive, in KISC's time zone (Almaty, UTC+5). */
  from: DateSchema,
  /** Last day, inclusive. */
  to: DateSchema,
}).refine((v) => v.from <= v.to, { message: "'from' must not be after 'to'", path: ['to'] });
export type KiscReconcileInput = z.input<typeof KiscReconcileInputSchema>;

/** One charge of KISC's transactions report. */
export const ReconcileChargeSchema = resultObject({
  idempotencyKey: z.string().describe('The x-idempotency-key of the charged verification'),
  vendor: z.string().describe("The biometric vendor's name as KISC reports it"),
  /** KISC's time, converted to ISO 8601 UTC. */
  chargedAt: z.iso.datetime().describe("When KISC charged it: KISC's time, converted to ISO 8601 UTC"),
  similarity: z.number().describe('The similarity KISC reported for that verification'),
});
export type ReconcileCharge = z.output<typeof ReconcileChargeSchema>;

export const KiscReconcileResultSchema = resultObject({
  from: z.iso.date().describe("The input's first day, inclusive (YYYY-MM-DD, KISC's time zone)"),
  to: z.iso.date().describe("The input's last day, inclusive (YYYY-MM-DD, KISC's time zone)"),
  /** Verifications trustflow recorded as billed in the period (its search attributes). */
  recorded: z.number().int().describe('Verifications trustflow recorded as billed in the period (its search attributes)'),
  /** Rows in KISC's transactions report. */
  reported: z.number().int().describe("Rows in KISC's transactions report"),
  matched: z.number().int().describe("Rows of KISC's report that trustflow recorded as billed"),
  /** Recorded by trustflow, absent from KISC's report (KISC did not bill, or the report lags). */
  missing: z
    .array(
      resultObject({
        idempotencyKey: z.string().describe('The x-idempotency-key of the verification'),
        billedAt: z.iso.datetime().describe('When trustflow recorded it as billed, ISO 8601 UTC'),
        workflowId: z.string().describe('The kiscVerifyIdentity workflow that made it'),
      }),
    )
    .describe("Recorded by trustflow, absent from KISC's report (KISC did not bill, or the report lags)"),
  /** Charged by KISC for keys trustflow never sent: someone else uses this participant's certificate. */
  unexpected: z
    .array(ReconcileChargeSchema)
    .describe("Charged by KISC for keys trustflow never sent: someone else uses this participant's certificate"),
  /** Charged for keys of trustflow flows that never got a result (failed or still running). */
  chargedWithoutResult: z
    .array(
      resultObject({
        ...ReconcileChargeSchema.shape,
        workflowId: z.string().describe('The kiscVerifyIdentity workflow the key belongs to'),
      }),
    )
    .describe('Charged for keys of trustflow flows that never got a result (failed or still running)'),
});
export type KiscReconcileResult = z.output<typeof KiscReconcileResultSchema>;

export const KISC_RECONCILE_STEPS = ['validating', 'fetching_report', 'reading_records', 'done'] as const;
export type KiscReconcileStep = (typeof KISC_RECONCILE_STEPS)[number];

export const kiscReconcileContract = defineFlow({
  workflowType: KISC_RECONCILE,
  provider: 'kisc',
  inputSchema: KiscReconcileInputSchema,
  resultSchema: KiscReconcileResultSchema,
  steps: KISC_RECONCILE_STEPS,
  idReuse: 'new-run',
  summarize: (r) => ({
    from: r.from,
    to: r.to,
    recorded: r.recorded,
    reported: r.reported,
    matched: r.matched,
    missing: r.missing.length,
    unexpected: r.unexpected.length,
    chargedWithoutResult: r.chargedWithoutResult.length,
  }),
});
