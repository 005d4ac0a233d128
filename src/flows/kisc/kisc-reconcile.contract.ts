// Public contract of the `kiscReconcile` workflow: KISC's transactions report for a period against
// the verifications trustflow recorded. Pure (zod only). No PII: keys, vendors, scores, times.
import { z } from 'zod';
import { defineFlow } from '../../contracts/flow-contract.js';
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

export interface ReconcileCharge {
  idempotencyKey: string;
  vendor: string;
  /** KISC's time, converted to ISO 8601 UTC. */
  chargedAt: string;
  similarity: number;
}

export interface KiscReconcileResult {
  from: string;
  to: string;
  /** Verifications trustflow recorded as billed in the period (its search attributes). */
  recorded: number;
  /** Rows in KISC's transactions report. */
  reported: number;
  matched: number;
  /** Recorded by trustflow, absent from KISC's report (KISC did not bill, or the report lags). */
  missing: { idempotencyKey: string; billedAt: string; workflowId: string }[];
  /** Charged by KISC for keys trustflow never sent: someone else uses this participant's certificate. */
  unexpected: ReconcileCharge[];
  /** Charged for keys of trustflow flows that never got a result (failed or still running). */
  chargedWithoutResult: (ReconcileCharge & { workflowId: string })[];
}

export const KISC_RECONCILE_STEPS = ['validating', 'fetching_report', 'reading_records', 'done'] as const;
export type KiscReconcileStep = (typeof KISC_RECONCILE_STEPS)[number];

export const kiscReconcileContract = defineFlow<KiscReconcileResult>()({
  workflowType: KISC_RECONCILE,
  provider: 'kisc',
  inputSchema: KiscReconcileInputSchema,
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
