// The schedules apply installs (here, never by a worker at start-up: design.md): the credentials
// check, every `checks.every` with jitter, overlap SKIP; and a daily kiscReconcile per `mtls`
// credential that names a KISC baseUrl. upsertSchedule changes one only when it differs.
import { ScheduleNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';
import { canonicalJson } from '../../common/canonical-json.js';
import type { Inventory } from '../../flows/credentials/inventory.contract.js';
import type { CredentialsCheckInput } from '../../flows/credentials/credentials-check.contract.js';
import type { KiscReconcileDailyInput } from '../../flows/kisc/kisc-reconcile-daily.contract.js';
import { KISC_TIME_ZONE } from '../../contracts/kisc-time.js';
import { scheduleIds } from '../../contracts/workflow-ids.js';
import { credentialsCheck, kiscReconcileDaily } from '../../flows/index.js';
import type { ApplyReport } from './apply.js';

/** The credentials check schedule's input (the ids applied), or undefined when there is no such schedule. */
export async function scheduleArgs(client: Client): Promise<CredentialsCheckInput | undefined> {
  try {
    const d = await client.schedule.getHandle(scheduleIds.credentialsCheck).describe();
    return d.action.type === 'startWorkflow' ? (d.action.args?.[0] as CredentialsCheckInput | undefined) : undefined;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

export function checkScheduleOptions(inventory: Inventory, credentialIds: string[], taskQueue: string): ScheduleOptions {
  const { every, jitter } = inventory.checks;
  return {
    scheduleId: scheduleIds.credentialsCheck,
    spec: { intervals: [{ every }], jitter },
    action: {
      type: 'startWorkflow',
      workflowType: credentialsCheck,
      // `every`: how long workers keep exporting each credential's gauge without a newer check.
      args: [{ credentialIds, every } satisfies CredentialsCheckInput],
      taskQueue,
      workflowId: scheduleIds.credentialsCheck,
    },
    policies: {
      // A check still running when the next is due: the next is skipped, not queued.
      overlap: 'SKIP',
      // After an outage, one missed check is made up (within one interval, at most a day); older ones are dropped.
      catchupWindow: Math.max(10_000, Math.min(every, 86_400_000)),
    },
  };
}

export function kiscScheduleOptions(scheduleId: string, input: KiscReconcileDailyInput, taskQueue: string): ScheduleOptions {
  return {
    scheduleId,
    // 06:00 in Almaty, once the day before is complete in KISC's report.
    spec: { calendars: [{ hour: 6, minute: 0 }], timezone: KISC_TIME_ZONE },
    action: { type: 'startWorkflow', workflowType: kiscReconcileDaily, args: [input], taskQueue, workflowId: scheduleId },
    policies: { overlap: 'SKIP', catchupWindow: 86_400_000 },
  };
}

/** Creates, updates (only when it differs), or deletes (`want` null) a schedule. */
export async function upsertSchedule(
  client: Client,
  scheduleId: string,
  want: ScheduleOptions | null,
  dryRun = false,
): Promise<ApplyReport['schedules'][number]> {
  const handle = client.schedule.getHandle(scheduleId);
  let current;
  try {
    current = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (!want) {
    if (!current) return { id: scheduleId, change: 'unchanged' };
    if (!dryRun) await handle.delete();
    return { id: scheduleId, change: 'deleted' };
  }
  if (!current) {
    if (!dryRun) await client.schedule.create(want);
    return { id: scheduleId, change: 'created' };
  }
  const action = current.action.type === 'startWorkflow' ? current.action : undefined;
  const wantAction = want.action as { args: unknown[]; taskQueue: string; workflowType: { name: string } };
  const same =
    action !== undefined &&
    action.workflowType === wantAction.workflowType.name &&
    action.taskQueue === wantAction.taskQueue &&
    canonicalJson(action.args) === canonicalJson(wantAction.args) &&
    JSON.stringify(current.spec.intervals?.map((i) => i.every) ?? []) ===
      JSON.stringify((want.spec.intervals ?? []).map((i) => Number(i.every))) &&
    (current.spec.jitter ?? 0) === Number(want.spec.jitter ?? 0);
  if (same) return { id: scheduleId, change: 'unchanged' };
  if (!dryRun) await handle.update(() => ({ spec: want.spec, action: want.action, policies: want.policies ?? {} }) as never);
  return { id: scheduleId, change: 'updated' };
}
