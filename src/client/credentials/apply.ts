// `apply`, like `kubectl apply` (idempotent: creates what is new, reconfigures what changed, retires
// what was removed, and leaves the rest untouched). In order, so that a bad inventory changes nothing:
//   1. parse and validate the file (every problem at once, naming entry and field; inventory.ts);
//   2. preflight on the worker (credentialsPreflight: files readable, passwords right);
//   3. watches: start new ones (taking over the final state of a retired watch of the same id, so its
//      alerts are not sent again and its ack holds), `reconfigure` changed ones (configHash differs),
//      `retire` removed ones;
//   4. schedules: the credentials check (every `checks.every`, jitter, overlap SKIP), and a daily
//      kiscReconcile per `mtls` credential that names a KISC baseUrl (schedules.ts).
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporalSettingsFromEnv } from '../../common/env.js';
import { InventoryError, type Inventory } from '../../flows/credentials/inventory.contract.js';
import {
  CHECK_UPDATE,
  RECONFIGURE_UPDATE,
  RETIRE_UPDATE,
  type CredentialConfig,
  type CredentialStatus,
} from '../../flows/credentials/credential-watch.contract.js';
import { scheduleIds, workflowIds } from '../../contracts/workflow-ids.js';
import type { CredentialWatchResult, WatchState } from '../../flows/credentials/credential-watch.state.js';
import { credentialsPreflight, credentialWatch } from '../../flows/index.js';
import { assertEncryptingClient } from '../flows.js';
import { assertWorkerPolling } from '../worker-check.js';
import { configOf } from './inventory.js';
import { checkScheduleOptions, kiscScheduleOptions, upsertSchedule } from './schedules.js';
import { appliedCredentialIds, runningStatus } from './watches.js';

export interface ApplyOptions {
  taskQueue?: string;
  /** Validate and preflight, say what would change, change nothing. */
  dryRun?: boolean;
  /** Watches continue-as-new past this many history events (default 2000; tests use fewer). */
  historyLimit?: number;
  /** Called after each credential is handled (the CLI's progress on stderr). */
  onProgress?: (done: number, total: number) => void;
}

export interface ApplyReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  retired: string[];
  schedules: { id: string; change: 'created' | 'updated' | 'unchanged' | 'deleted' }[];
  dryRun: boolean;
}

/**
 * Applies an inventory. Refuses (InventoryError, nothing changed) when the worker finds a problem
 * with any entry. Running it again with the same inventory changes nothing.
 */
export async function applyInventory(client: Client, inventory: Inventory, o: ApplyOptions = {}): Promise<ApplyReport> {
  assertEncryptingClient(client);
  const taskQueue = o.taskQueue ?? temporalSettingsFromEnv().taskQueue;
  const configs = inventory.credentials.map(configOf);
  await preflight(client, configs, taskQueue);

  const report: ApplyReport = { created: [], updated: [], unchanged: [], retired: [], schedules: [], dryRun: o.dryRun === true };
  const applied = await appliedCredentialIds(client);
  const wanted = new Set(configs.map((c) => c.entry.id));

  let done = 0;
  for (const config of configs) {
    o.onProgress?.(done++, configs.length);
    const change = await applyWatch(client, config, taskQueue, o);
    report[change].push(config.entry.id);
  }
  o.onProgress?.(done, configs.length);
  for (const id of [...applied].filter((x) => !wanted.has(x)).sort()) {
    if (!o.dryRun) await retire(client, id);
    report.retired.push(id);
  }

  report.schedules.push(...(await applySchedules(client, inventory, configs, taskQueue, o.dryRun)));
  return report;
}

/** The worker's preflight of every entry (files readable, passwords right): InventoryError naming each problem. */
async function preflight(client: Client, configs: CredentialConfig[], taskQueue: string): Promise<void> {
  await assertWorkerPolling(client, taskQueue); // the preflight below runs on a worker
  const result = await client.workflow.execute(credentialsPreflight, {
    taskQueue,
    workflowId: workflowIds.credentialsPreflight(new Date()),
    args: [{ credentials: configs }],
  });
  if (result.problems.length > 0) throw new InventoryError(result.problems.map((p) => `credential '${p.id}': ${p.problem}`));
}

/**
 * One credential's watch: left as it is (same configHash), reconfigured (running with another
 * config), or started. With `dryRun`, only what would be done.
 */
async function applyWatch(
  client: Client,
  config: CredentialConfig,
  taskQueue: string,
  o: ApplyOptions,
): Promise<'created' | 'updated' | 'unchanged'> {
  const id = config.entry.id;
  const existing = await runningStatus(client, id);
  if (existing?.configHash === config.configHash) return 'unchanged';
  if (o.dryRun) return existing ? 'updated' : 'created';
  if (existing) {
    await reconfigure(client, config);
    return 'updated';
  }
  // Update-with-start: the watch starts and makes its first check in one call, so `list` right
  // after apply shows the credential's state. Another apply racing this one: the check joins its watch.
  // A credential removed earlier and added back: the new watch takes over the retired one's state.
  const previous = await retiredState(client, id);
  const status = await client.workflow.executeUpdateWithStart(CHECK_UPDATE, {
    startWorkflowOperation: new WithStartWorkflowOperation(credentialWatch, {
      taskQueue,
      workflowId: workflowIds.credentialWatch(id),
      args: [{ config, ...(previous ? { previous } : {}), ...(o.historyLimit ? { historyLimit: o.historyLimit } : {}) }],
      // A credential removed earlier and added again gets a new watch under the same id.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  if ((status as CredentialStatus).configHash === config.configHash) return 'created';
  await reconfigure(client, config);
  return 'updated';
}

async function reconfigure(client: Client, config: CredentialConfig): Promise<void> {
  await client.workflow.getHandle(workflowIds.credentialWatch(config.entry.id)).executeUpdate(RECONFIGURE_UPDATE, { args: [config] });
}

/**
 * The schedules the inventory asks for: the credentials check (deleted when no credential is left)
 * and a kiscReconcile per `mtls` credential naming a KISC baseUrl (any other kiscReconcile deleted).
 */
async function applySchedules(
  client: Client,
  inventory: Inventory,
  configs: CredentialConfig[],
  taskQueue: string,
  dryRun: boolean | undefined,
): Promise<ApplyReport['schedules']> {
  const changes: ApplyReport['schedules'] = [];
  const checkIds = configs.map((c) => c.entry.id).sort();
  changes.push(
    await upsertSchedule(
      client,
      scheduleIds.credentialsCheck,
      checkIds.length > 0 ? checkScheduleOptions(inventory, checkIds, taskQueue) : null,
      dryRun,
    ),
  );
  const kisc = new Map(
    configs.flatMap((c) =>
      c.entry.kind === 'mtls' && c.entry.baseUrl
        ? [[scheduleIds.kiscReconcile(c.entry.id), { id: c.entry.id, baseUrl: c.entry.baseUrl, tls: c.entry.tls }]]
        : [],
    ),
  );
  for (const [scheduleId, k] of kisc)
    changes.push(
      await upsertSchedule(
        client,
        scheduleId,
        kiscScheduleOptions(scheduleId, { credentialId: k.id, connection: { baseUrl: k.baseUrl, tls: k.tls } }, taskQueue),
        dryRun,
      ),
    );
  for await (const s of client.schedule.list())
    if (s.scheduleId.startsWith(scheduleIds.kiscReconcilePrefix) && !kisc.has(s.scheduleId))
      changes.push(await upsertSchedule(client, s.scheduleId, null, dryRun));
  return changes;
}

/**
 * The final state of a credential's watch that was retired (its result's `carry`), while the server
 * keeps it (the namespace's retention); undefined when there is none (never applied, terminated, gone).
 */
async function retiredState(client: Client, id: string): Promise<WatchState | undefined> {
  const handle = client.workflow.getHandle<typeof credentialWatch>(workflowIds.credentialWatch(id));
  try {
    if ((await handle.describe()).status.name !== 'COMPLETED') return undefined;
    return ((await handle.result()) as CredentialWatchResult).carry;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

async function retire(client: Client, id: string): Promise<void> {
  try {
    await client.workflow.getHandle(workflowIds.credentialWatch(id)).executeUpdate(RETIRE_UPDATE);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /already completed/i.test((err as Error).message)) return;
    throw err;
  }
}
