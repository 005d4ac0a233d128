// kiscReconcile: KISC's transactions report for a period against the verifications trustflow
// recorded (search attributes of kiscVerifyIdentity). Reports charges KISC did not bill, charges
// trustflow never made, and charges for flows that never got their result.
import { type KiscReconcileInput, type KiscReconcileResult, kiscReconcileContract } from './kisc-reconcile.contract.js';
import { runFlow } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';
import { KISC_UTC_OFFSET } from '../../contracts/kisc-time.js';

const { kiscTransactions, kiscRecordedVerifications } = activities;

/** Our billedAt and KISC's datetime differ by the call's duration: look this far past the edges. */
const EDGE_MARGIN_MS = 15 * 60_000;

export async function kiscReconcile(rawInput: KiscReconcileInput): Promise<KiscReconcileResult> {
  return runFlow(kiscReconcileContract, rawInput, async (input, tracker) => {
    const start = Date.parse(`${input.from}T00:00:00${KISC_UTC_OFFSET}`);
    const end = Date.parse(`${input.to}T00:00:00${KISC_UTC_OFFSET}`) + 86400_000;

    tracker.step('fetching_report');
    const report = await kiscTransactions({ baseUrl: input.baseUrl, tls: input.tls, from: input.from, to: input.to });

    tracker.step('reading_records');
    const recorded = await kiscRecordedVerifications({
      fromIso: new Date(start - EDGE_MARGIN_MS).toISOString(),
      toIso: new Date(end + EDGE_MARGIN_MS).toISOString(),
      keys: report.map((r) => r.idempotencyKey),
    });

    const billedByKey = new Map(recorded.billed.map((b) => [b.idempotencyKey, b]));
    const reportedKeys = new Set(report.map((r) => r.idempotencyKey));
    const ownerOf = new Map(recorded.ownKeys.map((o) => [o.idempotencyKey, o.workflowId]));
    const inPeriod = (iso: string) => Date.parse(iso) >= start && Date.parse(iso) < end;

    const result: KiscReconcileResult = {
      from: input.from,
      to: input.to,
      recorded: recorded.billed.filter((b) => inPeriod(b.billedAt)).length,
      reported: report.length,
      matched: report.filter((r) => billedByKey.has(r.idempotencyKey)).length,
      missing: recorded.billed.filter((b) => inPeriod(b.billedAt) && !reportedKeys.has(b.idempotencyKey)),
      unexpected: report.filter((r) => !billedByKey.has(r.idempotencyKey) && !ownerOf.has(r.idempotencyKey)),
      chargedWithoutResult: report
        .filter((r) => !billedByKey.has(r.idempotencyKey) && ownerOf.has(r.idempotencyKey))
        .map((r) => ({ ...r, workflowId: ownerOf.get(r.idempotencyKey)! })),
    };
    tracker.succeeded('done');
    return result;
  });
}
