// kiscReconcileDaily: what the daily KISC schedule (installed by `credentials apply` for an `mtls`
// credential with a KISC baseUrl) starts: yesterday's kiscReconcile, yesterday in KISC's time zone
// (Almaty, UTC+5), as a child with a per-day id so a repeated schedule action runs a day once.
import { executeChild, upsertSearchAttributes } from '@temporalio/workflow';
import { KISC_RECONCILE_DAILY, type KiscReconcileDailyInput } from './kisc-reconcile-daily.contract.js';
import type { KiscReconcileResult } from './kisc-reconcile.contract.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { kiscReconcile } from './kisc-reconcile.workflow.js';

const ALMATY_OFFSET_MS = 5 * 3_600_000;

export async function kiscReconcileDaily(input: KiscReconcileDailyInput): Promise<KiscReconcileResult> {
  upsertSearchAttributes([{ key: searchAttributes.flow, value: KISC_RECONCILE_DAILY }]);
  const day = new Date(Date.now() + ALMATY_OFFSET_MS - 86_400_000).toISOString().slice(0, 10);
  return executeChild(kiscReconcile, {
    workflowId: workflowIds.kiscReconcileDay(input.credentialId, day),
    args: [{ ...input.connection, from: day, to: day }],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
  });
}
