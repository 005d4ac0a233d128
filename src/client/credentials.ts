// The client side of the credential lifecycle: read an inventory file, and `apply` it like
// `kubectl apply` (idempotent: creates what is new, reconfigures what changed, retires what was
// removed, and leaves the rest untouched), plus scan, list, acknowledge and the test alert, and the
// states `scan --fail-on` matches. Schedules are installed here, never by a worker at start-up (design.md).
//
// apply, in order, so that a bad inventory changes nothing:
//   1. parse and validate the file (every problem at once, naming entry and field);
//   2. preflight on the worker (credentialsPreflight: files readable, passwords right);
//   3. watches: start new ones (taking over the final state of a retired watch of the same id, so its
//      alerts are not sent again and its ack holds), `reconfigure` changed ones (configHash differs),
//      `retire` removed ones;
//   4. schedules: the credentials check (every `checks.every`, jitter, overlap SKIP), and a daily
//      kiscReconcile per `mtls` credential that names a KISC baseUrl.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import {
  ScheduleNotFoundError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { canonicalJson } from '../common/canonical-json.js';
import { temporalSettingsFromEnv } from '../common/env.js';
import type { AlertTestOutcome } from '../contracts/alert.js';
import { InventoryError, parseInventory, type Inventory } from '../contracts/credential-inventory.js';
import {
  ACKNOWLEDGE_UPDATE,
  CHECK_UPDATE,
  CREDENTIAL_STATUS_QUERY,
  CREDENTIAL_WATCH,
  CredentialsTestAlertInputSchema,
  RECONFIGURE_UPDATE,
  RETIRE_UPDATE,
  type CredentialConfig,
  type CredentialsCheckInput,
  type CredentialsCheckResult,
  type CredentialStatus,
  type KiscReconcileDailyInput,
} from '../contracts/credential-watch.js';
import { scheduleIds, workflowIds } from '../contracts/workflow-ids.js';
import type { CredentialWatchResult, WatchState } from '../workflows/credential-watch.js';
import { credentialsCheck, credentialsPreflight, credentialsTestAlert, credentialWatch, kiscReconcileDaily } from '../workflows/index.js';
import { InvalidInputError } from '../common/errors.js';
import { assertEncryptingClient } from './flows.js';
import { checkRunningWorkflow } from './running-workflow.js';
import { assertWorkerPolling, NoWorkerError, serverOf } from './worker-check.js';

export { InventoryError };

/** A credential that is not applied here, or no credentials at all (the inventory itself is fine). */
export class CredentialNotAppliedError extends Error {
  override readonly name = 'CredentialNotAppliedError';
}

/** Reads an inventory file (.yaml/.yml or .json; YAML is a superset of JSON) and validates it. */
export async function loadInventoryFile(path: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InventoryError([`${path}: cannot read the inventory (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new InventoryError([
      `${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    ]);
  }
  return parseInventory(raw);
}

/** An entry and its policy as a watch gets them, with the hash apply compares. */
export function configOf(c: Inventory['credentials'][number]): CredentialConfig {
  const configHash = createHash('sha256')
    .update(canonicalJson({ entry: c.entry, policy: c.policy }))
    .digest('hex');
  return { entry: c.entry, policy: c.policy, configHash };
}

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
  await assertWorkerPolling(client, taskQueue); // the preflight below runs on a worker

  const preflight = await client.workflow.execute(credentialsPreflight, {
    taskQueue,
    workflowId: workflowIds.credentialsPreflight(new Date()),
    args: [{ credentials: configs }],
  });
  if (preflight.problems.length > 0) throw new InventoryError(preflight.problems.map((p) => `credential '${p.id}': ${p.problem}`));

  const report: ApplyReport = { created: [], updated: [], unchanged: [], retired: [], schedules: [], dryRun: o.dryRun === true };
  const applied = await appliedCredentialIds(client);
  const wanted = new Set(configs.map((c) => c.entry.id));

  let done = 0;
  for (const config of configs) {
    o.onProgress?.(done++, configs.length);
    const id = config.entry.id;
    const existing = await runningStatus(client, id);
    if (existing?.configHash === config.configHash) {
      report.unchanged.push(id);
      continue;
    }
    if (o.dryRun) {
      (existing ? report.updated : report.created).push(id);
      continue;
    }
    if (existing) {
      await client.workflow.getHandle(workflowIds.credentialWatch(id)).executeUpdate(RECONFIGURE_UPDATE, { args: [config] });
      report.updated.push(id);
      continue;
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
    if ((status as CredentialStatus).configHash === config.configHash) report.created.push(id);
    else {
      await client.workflow.getHandle(workflowIds.credentialWatch(id)).executeUpdate(RECONFIGURE_UPDATE, { args: [config] });
      report.updated.push(id);
    }
  }
  o.onProgress?.(done, configs.length);
  for (const id of [...applied].filter((x) => !wanted.has(x)).sort()) {
    if (!o.dryRun) await retire(client, id);
    report.retired.push(id);
  }

  const checkIds = configs.map((c) => c.entry.id).sort();
  report.schedules.push(
    await upsertSchedule(
      client,
      scheduleIds.credentialsCheck,
      checkIds.length > 0 ? checkScheduleOptions(inventory, checkIds, taskQueue) : null,
      o.dryRun,
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
    report.schedules.push(
      await upsertSchedule(
        client,
        scheduleId,
        kiscScheduleOptions(scheduleId, { credentialId: k.id, connection: { baseUrl: k.baseUrl, tls: k.tls } }, taskQueue),
        o.dryRun,
      ),
    );
  for await (const s of client.schedule.list())
    if (s.scheduleId.startsWith(scheduleIds.kiscReconcilePrefix) && !kisc.has(s.scheduleId))
      report.schedules.push(await upsertSchedule(client, s.scheduleId, null, o.dryRun));
  return report;
}

/** Ids of the credentials applied so far: the check schedule's list, and any watch still running. */
async function appliedCredentialIds(client: Client): Promise<Set<string>> {
  const ids = new Set<string>();
  const args = await scheduleArgs(client);
  for (const id of args?.credentialIds ?? []) ids.add(id);
  const prefix = workflowIds.credentialWatch('');
  for await (const wf of client.workflow.list({ query: `WorkflowType = '${CREDENTIAL_WATCH}' AND ExecutionStatus = 'Running'` }))
    if (wf.workflowId.startsWith(prefix)) ids.add(wf.workflowId.slice(prefix.length));
  return ids;
}

async function scheduleArgs(client: Client): Promise<CredentialsCheckInput | undefined> {
  try {
    const d = await client.schedule.getHandle(scheduleIds.credentialsCheck).describe();
    return d.action.type === 'startWorkflow' ? (d.action.args?.[0] as CredentialsCheckInput | undefined) : undefined;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/**
 * A query or Update on a watch waits for a worker on the watch's task queue: without one, say so
 * (NoWorkerError naming the queue) instead of hanging. `problem` is checkRunningWorkflow's answer
 * (cached per queue, so listing a thousand watches asks the server once).
 */
function watchWithoutWorker(client: Client, id: string, taskQueue: string, problem: string, consequence: string): NoWorkerError {
  const { namespace, address } = serverOf(client);
  return new NoWorkerError(
    `credential '${id}' is watched on task queue '${taskQueue}' (namespace '${namespace}' at ${address}): ${problem}, so ${consequence}. ` +
      `Start a worker on it (npm run worker with TRUSTFLOW_TASK_QUEUE=${taskQueue})`,
    taskQueue,
    namespace,
    address,
  );
}

/** The status of a credential's running watch, or undefined when it has none. */
async function runningStatus(client: Client, id: string): Promise<CredentialStatus | undefined> {
  const watch = await checkRunningWorkflow(client, workflowIds.credentialWatch(id));
  if (!watch.running) return undefined;
  if (watch.workerProblem !== undefined)
    throw watchWithoutWorker(client, id, watch.description.taskQueue, watch.workerProblem, 'nothing was read');
  try {
    return await watch.handle.query<CredentialStatus>(CREDENTIAL_STATUS_QUERY);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
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

function checkScheduleOptions(inventory: Inventory, credentialIds: string[], taskQueue: string): ScheduleOptions {
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

function kiscScheduleOptions(scheduleId: string, input: KiscReconcileDailyInput, taskQueue: string): ScheduleOptions {
  return {
    scheduleId,
    // 06:00 in Almaty, once the day before is complete in KISC's report.
    spec: { calendars: [{ hour: 6, minute: 0 }], timezone: 'Asia/Almaty' },
    action: { type: 'startWorkflow', workflowType: kiscReconcileDaily, args: [input], taskQueue, workflowId: scheduleId },
    policies: { overlap: 'SKIP', catchupWindow: 86_400_000 },
  };
}

/** Creates, updates (only when it differs), or deletes (`want` null) a schedule. */
async function upsertSchedule(
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

/**
 * Checks every applied credential now and waits: the same workflow the schedule runs, started
 * directly (the schedule's own runs are not disturbed).
 */
export async function scanCredentials(client: Client, o: { taskQueue?: string } = {}): Promise<CredentialsCheckResult> {
  assertEncryptingClient(client);
  const args = await scheduleArgs(client);
  if (!args) throw new CredentialNotAppliedError('no credentials are applied here: run trustflow credentials apply FILE first');
  const taskQueue = o.taskQueue ?? temporalSettingsFromEnv().taskQueue;
  await assertWorkerPolling(client, taskQueue);
  return client.workflow.execute(credentialsCheck, {
    taskQueue,
    workflowId: workflowIds.credentialsScan(new Date()),
    args: [args],
  });
}

/** The status of every applied credential (the watches' `credentialStatus` query), by id. */
export async function listCredentials(client: Client): Promise<CredentialStatus[]> {
  const out: CredentialStatus[] = [];
  for (const id of [...(await appliedCredentialIds(client))].sort()) {
    const s = await runningStatus(client, id);
    if (s) out.push(s);
  }
  return out;
}

/** Silences a credential's alerts until its certificate changes (a `renewed` reopens the ladder). */
export async function acknowledgeCredential(client: Client, id: string, note?: string): Promise<CredentialStatus> {
  assertEncryptingClient(client);
  const watch = await checkRunningWorkflow(client, workflowIds.credentialWatch(id));
  if (!watch.running) throw new CredentialNotAppliedError(`no credential '${id}' is applied (trustflow credentials list)`);
  if (watch.workerProblem !== undefined)
    throw watchWithoutWorker(client, id, watch.description.taskQueue, watch.workerProblem, 'nothing was acknowledged');
  return watch.handle.executeUpdate<CredentialStatus, [{ note?: string }]>(ACKNOWLEDGE_UPDATE, { args: [note ? { note } : {}] });
}

/** What `trustflow credentials scan --fail-on` can name: a state, or `undelivered` (alerts the sink has not taken). */
export const FAIL_ON_STATES = ['expired', 'expiring', 'unreadable', 'undelivered', 'not-yet-valid'] as const;
export type FailOnState = (typeof FAIL_ON_STATES)[number];

/**
 * `--fail-on expired,expiring`: the states named (comma-separated, repeatable), checked. Throws an
 * InvalidInputError naming the unknown word and the valid ones.
 */
export function parseFailOn(values: string | readonly string[]): FailOnState[] {
  const words = [values]
    .flat()
    .flatMap((v) => v.split(','))
    .map((w) => w.trim())
    .filter(Boolean);
  const unknown = words.filter((w) => !(FAIL_ON_STATES as readonly string[]).includes(w));
  if (unknown.length > 0 || words.length === 0)
    throw new InvalidInputError(
      `--fail-on ${unknown.length ? `'${unknown.join("', '")}' is not a state it knows` : 'needs at least one state'}: use ${FAIL_ON_STATES.join(', ')} (comma-separated)`,
    );
  return [...new Set(words as FailOnState[])];
}

/**
 * The credentials of a scan that are in any of `states`, each with the ones it is in (scan order).
 * Pure: `credentials scan --fail-on` exits non-zero when this is not empty. A state is the watch's
 * own (`expired`, `expiring`, `unreadable`, `not-yet-valid`); `undelivered` is any credential with
 * alerts the sink has not taken.
 */
export function credentialsInStates(
  result: Pick<CredentialsCheckResult, 'checked'>,
  states: readonly FailOnState[],
): { id: string; states: FailOnState[] }[] {
  const wanted = new Set(states);
  return result.checked.flatMap((c) => {
    const hit: FailOnState[] = [];
    if (wanted.has(c.state as FailOnState)) hit.push(c.state as FailOnState);
    if (wanted.has('undelivered') && c.undelivered > 0) hit.push('undelivered');
    return hit.length ? [{ id: c.id, states: hit }] : [];
  });
}

export interface TestAlertOptions {
  taskQueue?: string;
  /** Shown in the alert's text (one line, at most 200 characters). */
  note?: string;
}

/**
 * `trustflow credentials test-alert`: one signed test alert (event `credential.test`) through the sink
 * of a worker polling the task queue (its own webhook URL and secret), with a short retry; resolves
 * with the outcome, delivered or not (it throws only when the workflow cannot run).
 */
export async function sendTestAlert(client: Client, o: TestAlertOptions = {}): Promise<AlertTestOutcome> {
  // Checked here too, so a bad note starts nothing (the workflow would refuse it as InvalidInput).
  const input = CredentialsTestAlertInputSchema.safeParse(o.note !== undefined ? { note: o.note } : {});
  if (!input.success) throw new InvalidInputError(input.error.issues.map((i) => `--note: ${i.message}`).join('; '));
  assertEncryptingClient(client);
  const taskQueue = o.taskQueue ?? temporalSettingsFromEnv().taskQueue;
  await assertWorkerPolling(client, taskQueue);
  return client.workflow.execute(credentialsTestAlert, {
    taskQueue,
    workflowId: workflowIds.credentialsTestAlert(new Date()),
    args: [input.data],
  });
}
