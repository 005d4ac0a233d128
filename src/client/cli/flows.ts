// Commands about trustflow's flows on Temporal: `run`, `status`, `kpsis submit-cert`.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowFailedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { CREDENTIAL_STATUS_QUERY, CREDENTIAL_WATCH, type CredentialStatus } from '../../flows/credentials/credential-watch.contract.js';
import { STATUS_QUERY_NAME, type FlowStatus } from '../../contracts/status.js';
import {
  KEEPER_STATUS_QUERY,
  KONTUR_SESSION_KEEPER,
  MPT_TOKEN_KEEPER,
  type KeeperStatus,
} from '../../flows/keepers/token-keeper.contract.js';
import { closestName } from '../../common/closest-name.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { flowOfType, flows, startFlowByName, submitKpsisCertificate, type FlowName } from '../flows.js';
import { defineCommand, outputFormat, outputOption, required, UsageError } from './command.js';
import { workerPollingProblem } from '../worker-check.js';
import { readInputFile, readJsonInput, withClient, type Commands } from './shared.js';

const run = defineCommand({
  summary: 'start a flow with a JSON input and print its result',
  positionals: { names: ['<flow>'], required: 1 },
  options: {
    input: { type: 'string', value: 'FILE', help: "(required) the flow's JSON input (npm run sandbox writes one per flow under examples)" },
    'workflow-id': { type: 'string', value: 'ID', help: 'a business id: a second start with the same id and input joins the first' },
  },
  details: `flows: ${Object.keys(flows).join(', ')}.
The result is printed on stdout as JSON; what happens meanwhile on stderr.`,
  async run(v, [name]) {
    const flow = name as FlowName;
    if (!Object.hasOwn(flows, flow)) {
      const near = closestName(name!, Object.keys(flows));
      throw new UsageError(`unknown flow '${name}'${near ? `; did you mean '${near}'?` : ''}; flows: ${Object.keys(flows).join(', ')}`);
    }
    const input = await readJsonInput('--input', required(v.input, 'input'));
    return withClient(async (client) => {
      const workflowId = v['workflow-id'] ?? `${flow}-${randomUUID()}`;
      let recorded = false;
      const { workflowType } = flows[flow]!.contract;
      const handle = await startFlowByName(client, flow, {
        workflowId,
        input,
        onExistingRun: ({ runId, status, closedAt }) => {
          recorded = true;
          console.error(
            status === 'RUNNING'
              ? `${workflowId} is already running ${workflowType} with this input (run ${runId}): waiting for its result; nothing was sent again`
              : `${workflowId} already completed ${workflowType} with this input (run ${runId}, ${closedAt ?? 'closed'}): its recorded result follows; nothing was sent again`,
          );
        },
      });
      if (!recorded)
        console.error(
          `started ${workflowType} as ${workflowId}; waiting for the result (trustflow status ${workflowId} shows its step)...`,
        );
      console.log(JSON.stringify(await handle.result(), null, 2));
      return 0;
    });
  },
});

const kpsisSubmitCert = defineCommand({
  summary: "hand the CA's certificate to a kpsisIssueCertificate flow waiting for it",
  options: {
    'workflow-id': { type: 'string', value: 'ID', help: '(required) the waiting flow' },
    cert: { type: 'string', value: 'FILE', help: "(required) the CA's certificate (PEM)" },
  },
  details: `Refused, with the reason, when it is for another key or not valid now: the flow then keeps waiting.
Exit codes: 0 accepted, 1 refused or failed, 2 wrong usage.`,
  async run(v) {
    const workflowId = required(v['workflow-id'], 'workflow-id');
    const pem = (await readInputFile('--cert', required(v.cert, 'cert'))).toString('utf8');
    return withClient(async (client) => {
      try {
        const r = await submitKpsisCertificate(client, workflowId, pem);
        console.log(JSON.stringify(r.certificate, null, 2));
        return 0;
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          console.error(
            `trustflow: certificate refused: ${(err.cause as Error | undefined)?.message ?? err.message}; the flow keeps waiting`,
          );
          return 1;
        }
        throw err;
      }
    });
  },
});

const status = defineCommand({
  summary: 'where a flow, keeper or watch stands: step, waits, retries, outcome',
  positionals: { names: ['<workflowId>'], required: 1 },
  options: { output: outputOption('table', ['table', 'json']) },
  details: "Failures and results are decoded with this shell's codec keys (TRUSTFLOW_CODEC_KEYS / TRUSTFLOW_CODEC_KEY_FILE).",
  async run(v, [workflowId]) {
    const format = outputFormat(v.output, ['table', 'json'] as const);
    const rows = await withClient((client) => describeFlow(client, workflowId!));
    if (format === 'json') {
      const out: Record<string, string | string[]> = {};
      for (const [label, value] of rows) {
        const key = label.trim();
        const prev = out[key];
        out[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
      }
      console.log(JSON.stringify(out, null, 2));
    } else for (const [label, value] of rows) console.log(`${label.padEnd(9)} ${value}`);
    return 0;
  },
});

/**
 * What an operator asks of a flow: where it is (step, the flow's own note and warnings), what it is
 * retrying (the current activity's attempt and last failure), and how it ended (outcome, the error
 * or a result summary without secrets). Failures and results are decoded with this shell's codec keys.
 */
async function describeFlow(client: Client, workflowId: string): Promise<[string, string][]> {
  const handle = client.workflow.getHandle(workflowId);
  const d = await handle.describe();
  const sa = d.typedSearchAttributes;
  const rows: [string, string][] = [
    ['workflow', `${workflowId} (${d.type})`],
    ['run', d.runId],
    ['status', d.status.name],
  ];
  const running = d.status.name === 'RUNNING';
  // A running workflow's own status needs a worker to answer: ask briefly, with the query its type answers.
  const ask = <T>(query: string) =>
    running ? client.withDeadline(Date.now() + 3000, () => handle.query<T>(query)).catch(() => undefined) : Promise.resolve(undefined);
  const entity = ENTITY_ROWS[d.type];
  let answered: boolean;
  if (entity) {
    const s = await ask<unknown>(entity.query);
    answered = s !== undefined;
    rows.push(...(s !== undefined ? entity.rows(s as never) : [['step', sa.get(searchAttributes.step) ?? '-'] as [string, string]]));
  } else {
    const flowStatus = await ask<FlowStatus>(STATUS_QUERY_NAME);
    answered = flowStatus !== undefined;
    const step = flowStatus?.step ?? sa.get(searchAttributes.step) ?? '-';
    rows.push(['step', flowStatus && flowStatus.attempt > 1 ? `${step} (attempt ${flowStatus.attempt} of the flow)` : step]);
    if (flowStatus?.note) rows.push(['note', flowStatus.note]);
    for (const w of flowStatus?.warnings ?? []) rows.push(['warning', w]);
  }
  if (running && !answered) rows.push(['note', await noAnswer(client, d.taskQueue)]);

  const converter = client.options.loadedDataConverter;
  for (const a of d.raw.pendingActivities ?? []) {
    const max = a.maximumAttempts ? ` of ${a.maximumAttempts}` : '';
    const state = a.state === 2 ? 'running' : 'scheduled';
    const next = timestamp(a.nextAttemptScheduleTime);
    rows.push([
      'activity',
      `${a.activityType?.name ?? '?'}: attempt ${a.attempt}${max}, ${state}${next && a.state !== 2 ? `, next attempt at ${next}` : ''}`,
    ]);
    if (a.lastFailure) {
      const failure = await decodeOptionalFailureToOptionalError(converter, a.lastFailure).catch(() => undefined);
      rows.push(['  failed', failure ? describeFailure(failure) : '(encrypted: this shell has no codec keys to read it)']);
    }
  }
  if (!entity) rows.push(['outcome', sa.get(searchAttributes.outcome) ?? '-']);
  if (d.closeTime) rows.push(['closed', d.closeTime.toISOString()]);
  if (d.status.name === 'FAILED') {
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    const cause = err instanceof WorkflowFailedError ? (err.cause?.cause ?? err.cause) : err;
    rows.push(['error', cause instanceof Error ? describeFailure(cause) : String(cause)]);
  }
  if (d.status.name === 'COMPLETED') {
    const flow = flowOfType(d.type);
    try {
      const result = await handle.result();
      rows.push(['result', flow ? JSON.stringify(flow.contract.summarize(result)) : '(a workflow type trustflow does not know)']);
    } catch (err) {
      const encrypted = /binary\/encrypted|codec key/i.test((err as Error)?.message ?? '');
      rows.push([
        'result',
        encrypted ? '(encrypted: this shell has no codec keys to read it)' : `(unreadable: ${(err as Error)?.name ?? 'error'})`,
      ]);
    }
  }
  return rows;
}

/** What `status` shows of the long-lived workflows, from the query each answers. */
const ENTITY_ROWS: Readonly<Record<string, { query: string; rows: (s: never) => [string, string][] }>> = {
  [MPT_TOKEN_KEEPER]: { query: KEEPER_STATUS_QUERY, rows: keeperRows as (s: never) => [string, string][] },
  [KONTUR_SESSION_KEEPER]: { query: KEEPER_STATUS_QUERY, rows: keeperRows as (s: never) => [string, string][] },
  [CREDENTIAL_WATCH]: { query: CREDENTIAL_STATUS_QUERY, rows: watchRows as (s: never) => [string, string][] },
};

function keeperRows(s: KeeperStatus): [string, string][] {
  return [
    ['state', `${s.state} (${s.provider} token keeper)`],
    ['expires', s.expiresAt ?? '-'],
    ['refresh', s.refreshAt ? `at ${s.refreshAt}` : '-'],
    ['sign-ins', `${s.signIns} (refreshes ${s.refreshes}, requests ${s.requests}, last ${s.lastRequestAt ?? '-'})`],
    ...(s.lastError ? [['error', s.lastError] as [string, string]] : []),
  ];
}

function watchRows(s: CredentialStatus): [string, string][] {
  return [
    ['state', `${s.state} (credential ${s.id}, ${s.kind})`],
    ['notAfter', s.notAfter ? `${s.notAfter} (${s.daysLeft} days left; first: ${s.expiresFirst ?? '-'})` : '-'],
    ['next', s.nextAction],
    ['checks', `${s.checks}, last ${s.lastCheckAt ?? '-'}; alerts sent ${s.alertsSent}`],
    ...(s.lastError ? [['error', s.lastError] as [string, string]] : []),
  ];
}

/** Why a running workflow did not answer: whether any worker polls its task queue. */
async function noAnswer(client: Client, taskQueue: string): Promise<string> {
  const problem = await workerPollingProblem(client, taskQueue, 0).catch(() => undefined);
  return problem
    ? `no worker answered: on its task queue '${taskQueue}' ${problem} (start a worker there: npm run worker with TRUSTFLOW_TASK_QUEUE=${taskQueue})`
    : `no worker answered the status query within 3 s, although one polls task queue '${taskQueue}' (busy or overloaded?)`;
}

function describeFailure(err: Error): string {
  const type = err instanceof ApplicationFailure && err.type ? `${err.type}: ` : '';
  const message = err.message === 'Encoded failure' ? '(encrypted: this shell has no codec keys to read it)' : err.message;
  return `${type}${message}`;
}

function timestamp(t: Parameters<typeof optionalTsToMs>[0]): string | undefined {
  const ms = optionalTsToMs(t);
  return ms ? new Date(ms).toISOString() : undefined;
}

/** Top-level commands: `trustflow run ...`, `trustflow status ...`. */
export const commands: Commands = { run, status };

/** The `kpsis` group: `trustflow kpsis submit-cert ...`. */
export const kpsisCommands: Commands = { 'submit-cert': kpsisSubmitCert };
