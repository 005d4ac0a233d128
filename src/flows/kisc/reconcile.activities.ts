// The activities of kiscReconcile: KISC's record of what it charged, and trustflow's own record of
// what it verified (the search attributes kiscVerifyIdentity sets). No PII: keys, vendors, scores.
import { Context } from '@temporalio/activity';
import type { KiscEndpoint } from '../../contracts/kisc-endpoint.js';
import type { ReconcileCharge } from './kisc-reconcile.contract.js';
import { KISC_VERIFY_IDENTITY } from './kisc-verify-identity.contract.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { transactionTimeToIso } from '../../providers/kisc/index.js';
import { kiscClient, type KiscDeps } from './client.activities.js';

const ctx = () => Context.current();

/** KISC's transactions report for [from, to] (YYYY-MM-DD, Almaty days). No PII: keys, vendors, scores. */
export async function kiscTransactions(d: KiscDeps, input: KiscEndpoint & { from: string; to: string }): Promise<ReconcileCharge[]> {
  const compact = (day: string) => day.replaceAll('-', '');
  const rows = await (await kiscClient(d, input)).transactions(compact(input.from), compact(input.to), ctx().cancellationSignal);
  return rows.map((r) => ({
    idempotencyKey: r.x_idempotency_key,
    vendor: r.vendor_name,
    chargedAt: transactionTimeToIso(r.datetime),
    similarity: r.similarity,
  }));
}

/**
 * trustflow's own record of KISC verifications, from the search attributes kiscVerifyIdentity sets:
 * those whose result arrived in [fromIso, toIso), and which of `keys` belong to any of our flows.
 */
export async function kiscRecordedVerifications(input: { fromIso: string; toIso: string; keys: string[] }): Promise<{
  billed: { idempotencyKey: string; billedAt: string; workflowId: string }[];
  ownKeys: { idempotencyKey: string; workflowId: string }[];
}> {
  const workflows = ctx().client.workflow;
  const billed: { idempotencyKey: string; billedAt: string; workflowId: string }[] = [];
  const query = `WorkflowType = '${KISC_VERIFY_IDENTITY}' AND ${searchAttributes.kiscBilledAt.name} >= '${input.fromIso}' AND ${searchAttributes.kiscBilledAt.name} < '${input.toIso}'`;
  for await (const wf of workflows.list({ query })) {
    const key = wf.typedSearchAttributes.get(searchAttributes.kiscIdempotencyKey);
    const at = wf.typedSearchAttributes.get(searchAttributes.kiscBilledAt);
    if (key && at) billed.push({ idempotencyKey: key, billedAt: at.toISOString(), workflowId: wf.workflowId });
  }
  const ownKeys: { idempotencyKey: string; workflowId: string }[] = [];
  const keys = input.keys.filter((k) => /^[A-Za-z0-9-]{1,100}$/.test(k)); // keys come from KISC: never into a query unchecked
  for (let i = 0; i < keys.length; i += 100) {
    const batch = keys.slice(i, i + 100);
    const q = `WorkflowType = '${KISC_VERIFY_IDENTITY}' AND ${searchAttributes.kiscIdempotencyKey.name} IN (${batch.map((k) => `'${k}'`).join(', ')})`;
    for await (const wf of workflows.list({ query: q })) {
      const key = wf.typedSearchAttributes.get(searchAttributes.kiscIdempotencyKey);
      if (key) ownKeys.push({ idempotencyKey: key, workflowId: wf.workflowId });
    }
  }
  return { billed, ownKeys };
}
