// Commands about trustflow's flows on Temporal: `run`, `status`, `kpsis submit-cert`.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ApplicationFailure, WorkflowFailedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { STATUS_QUERY_NAME, type FlowStatus } from '../../contracts/status.js';
import { InvalidInputError } from '../../common/errors.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { connectClient } from '../connection.js';
import { flowOfType, flows, startFlowByName, submitKpsisCertificate, type FlowName } from '../flows.js';
import { UsageError, type Commands } from './shared.js';

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { input: { type: 'string' }, 'workflow-id': { type: 'string' } },
  });
  const flow = positionals[0] as FlowName | undefined;
  if (!flow || !(flow in flows)) throw new UsageError(`name a flow: ${Object.keys(flows).join(', ')}`);
  if (!values.input) throw new UsageError('--input FILE is required (a JSON workflow input)');
  let input: unknown;
  try {
    input = JSON.parse(await readFile(values.input, 'utf8'));
  } catch (err) {
    // Not the parser's message: it quotes the file around the error, and the file may hold an IIN.
    if (err instanceof SyntaxError)
      throw new InvalidInputError(`--input ${values.input}: not valid JSON (\`jq . ${values.input}\` shows where)`);
    throw new InvalidInputError(`--input ${values.input}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const client = await connectClient();
  try {
    const workflowId = values['workflow-id'] ?? `${flow}-${randomUUID()}`;
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
    if (!recorded) console.error(`started ${workflowType} as ${workflowId}; waiting for the result...`);
    console.log(JSON.stringify(await handle.result(), null, 2));
    return 0;
  } finally {
    await client.connection.close();
  }
}

async function kpsisSubmitCert(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'workflow-id': { type: 'string' }, cert: { type: 'string' } } });
  if (!values['workflow-id'] || !values.cert) throw new UsageError('kpsis submit-cert needs --workflow-id ID and --cert FILE');
  const pem = await readFile(values.cert, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${values.cert} (${err.code ?? 'error'})`);
  });
  const client = await connectClient();
  try {
    const r = await submitKpsisCertificate(client, values['workflow-id'], pem);
    console.log(JSON.stringify(r.certificate, null, 2));
    return 0;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      console.error(`trustflow: certificate refused: ${(err.cause as Error | undefined)?.message ?? err.message}; the flow keeps waiting`);
      return 1;
    }
    throw err;
  } finally {
    await client.connection.close();
  }
}

async function status(args: string[]): Promise<number> {
  const workflowId = args[0];
  if (!workflowId) throw new UsageError('status needs a workflow id');
  const client = await connectClient();
  try {
    for (const [label, value] of await describeFlow(client, workflowId)) console.log(`${label.padEnd(9)} ${value}`);
    return 0;
  } finally {
    await client.connection.close();
  }
}

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
  // The flow's own status (step attempt, note, warnings) needs a worker to answer: ask briefly.
  const flowStatus = running
    ? await client.withDeadline(Date.now() + 3000, () => handle.query<FlowStatus>(STATUS_QUERY_NAME)).catch(() => undefined)
    : undefined;
  const step = flowStatus?.step ?? sa.get(searchAttributes.step) ?? '-';
  rows.push(['step', flowStatus && flowStatus.attempt > 1 ? `${step} (attempt ${flowStatus.attempt} of the flow)` : step]);
  if (flowStatus?.note) rows.push(['note', flowStatus.note]);
  for (const w of flowStatus?.warnings ?? []) rows.push(['warning', w]);
  if (running && !flowStatus) rows.push(['note', 'no worker answered the status query within 3 s (is a worker polling its task queue?)']);

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
  rows.push(['outcome', sa.get(searchAttributes.outcome) ?? '-']);
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
