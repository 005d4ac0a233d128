// Typed start/execute helpers for other services, over one registry of flows. Every start goes
// through `startFlow`, which refuses to start without payload encryption, validates the input (its
// schema, its size, the workflow id's length), checks that a worker polls the task queue, applies
// the flow's workflow-id reuse rule (see `flows[...].idReuse` and docs/reliability.md), and reports a start
// the server refused with the server's reason.
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type Connection,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { FailureType, InvalidInputError, TrustflowError } from '../common/errors.js';
import { temporalSettingsFromEnv } from '../common/env.js';
import { isLoopbackHost } from '../common/transport.js';
import { START_POLICIES, type FlowContract } from '../contracts/flow-contract.js';
import { SUBMIT_ISSUED_CERTIFICATE, type SubmitIssuedCertificateResult } from '../flows/kpsis/kpsis-issue-certificate.contract.js';
import { inputSizeProblem, workflowIdProblem } from '../contracts/limits.js';
import { describeInputIssues } from '../contracts/validation.js';
import { flowContracts, workflowFunctions } from '../flows/contracts.js';
import { workflowTypesOf } from '../flows/registry.js';
import { serverRefusal } from './server-errors.js';
import { assertWorkerPolling } from './worker-check.js';

/** A workflow that takes one input and returns a promise: what every trustflow flow is. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parameter: every flow's input type fits
type FlowWorkflow = (input: any) => Promise<unknown>;

export interface FlowEntry {
  /** The workflow function: started by reference, so input and result are typed from it. */
  workflow: FlowWorkflow;
  contract: FlowContract;
}

/** `mptSignIn` → `mpt-sign-in`: the CLI's name of a flow. */
export const cliName = (workflowType: string) => workflowType.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every flow by its CLI name, derived from the registry (its `flow` kind): nothing to add here for a new flow. */
export const flows: Readonly<Record<string, FlowEntry>> = Object.fromEntries(
  workflowTypesOf('flow').map((type) => [
    cliName(type),
    { workflow: workflowFunctions[type] as FlowWorkflow, contract: flowContracts[type] as FlowContract },
  ]),
);
export type FlowName = string;

export function flowOfType(workflowType: string): FlowEntry | undefined {
  return Object.values(flows).find((f) => f.contract.workflowType === workflowType);
}

function entryOfWorkflow(workflow: FlowWorkflow): FlowEntry {
  const found = Object.values(flows).find((f) => f.workflow === workflow);
  if (!found)
    throw new InvalidInputError(
      `${workflow.name || 'this function'} is not a trustflow workflow: use one of ${Object.keys(flows).join(', ')}`,
    );
  return found;
}

export interface StartOptions<I> {
  /** Your business id (e.g. `mpt-token-<BIN>`): a second start with the same id joins the running flow. */
  workflowId: string;
  input: I;
  taskQueue?: string;
  /**
   * For flows whose completed runs are final (idReuse 'recorded-result'): told when the id belongs to
   * a run of this very input, running (joined) or completed (its recorded result is returned).
   */
  onExistingRun?: (run: { runId: string; status: string; closedAt: string | undefined }) => void;
}

/** A start refused because payloads would be stored in clear. */
export class UnencryptedStartRefusedError extends TrustflowError {
  override readonly name = 'UnencryptedStartRefusedError';
  constructor(message: string) {
    super(message, FailureType.InvalidInput, false);
  }
}

/**
 * Refuses to start a flow through a client without a payload codec: its input (references, but also
 * IINs and consent texts) and its result (tokens) would be stored in clear in the history.
 * TRUSTFLOW_ALLOW_UNENCRYPTED=1 allows it for a server on loopback only.
 */
export function assertEncryptingClient(client: Client, env: NodeJS.ProcessEnv = process.env): void {
  if (client.options.loadedDataConverter.payloadCodecs.length > 0) return;
  const address = (client.connection as Connection).options?.address ?? '(unknown address)';
  const host = address.replace(/:\d+$/, '');
  if (env.TRUSTFLOW_ALLOW_UNENCRYPTED === '1' && isLoopbackHost(host)) return;
  throw new UnencryptedStartRefusedError(
    `refusing to start a flow without payload encryption: its input and result would be stored in clear at ${address}. ` +
      "Set TRUSTFLOW_CODEC_KEYS or TRUSTFLOW_CODEC_KEY_FILE to the workers' keyring (npm start's development keyring is .trustflow/codec-keys)" +
      (isLoopbackHost(host) ? ', or TRUSTFLOW_ALLOW_UNENCRYPTED=1 for this loopback server' : ''),
  );
}

/**
 * Starts a flow by its workflow function, typed by it: `startFlow(client, mptSignIn, { workflowId,
 * input })` gives a handle whose `result()` is mptSignIn's result. Refuses unencrypted starts,
 * validates the input (fails fast with what is wrong and how to fix it), then starts the flow.
 * With the ID of a running or closed run, the flow's `idReuse` rule applies: `new-run` flows join a
 * running run and start a new one after a closed run; `recorded-result` flows join a running run or
 * return a completed run's result only when it ran this very input, and refuse another input.
 */
export async function startFlow<I, R>(
  client: Client,
  workflow: (input: I) => Promise<R>,
  o: StartOptions<I>,
): Promise<WorkflowHandleWithFirstExecutionRunId<(input: I) => Promise<R>>> {
  const flow = entryOfWorkflow(workflow);
  assertEncryptingClient(client);
  const input = validInput(flow.contract, o.input);
  const idProblem = workflowIdProblem(o.workflowId);
  if (idProblem) throw new InvalidInputError(`${flow.contract.workflowType}: ${idProblem}`);
  const taskQueue = o.taskQueue ?? temporalSettingsFromEnv().taskQueue;
  await assertWorkerPolling(client, taskQueue);
  try {
    return await client.workflow.start(workflow, {
      taskQueue,
      workflowId: o.workflowId,
      args: [o.input],
      // recorded-result: a running run is joined only after its input was compared (below).
      ...START_POLICIES[flow.contract.idReuse],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError))
      throw serverRefusal(err, `start ${flow.contract.workflowType} '${o.workflowId}'`) ?? err;
    if (flow.contract.idReuse !== 'recorded-result') throw err;
    await assertSameInput(client, flow.contract, o, input);
    return existingHandle(client, workflow, o.workflowId);
  }
}

/** Starts a flow and waits for its result (typed by the workflow function). */
export async function executeFlow<I, R>(client: Client, workflow: (input: I) => Promise<R>, o: StartOptions<I>): Promise<R> {
  return (await startFlow(client, workflow, o)).result();
}

/** For input read from a file (the CLI): the flow by its CLI name, the input checked by its schema before anything starts. */
export async function startFlowByName(
  client: Client,
  name: FlowName,
  o: StartOptions<unknown>,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const flow = flows[name];
  if (!flow) throw new InvalidInputError(`no flow named '${name}': ${Object.keys(flows).join(', ')}`);
  return startFlow(client, flow.workflow, o);
}

function validInput(contract: FlowContract, input: unknown): unknown {
  const parsed = contract.inputSchema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`invalid ${contract.workflowType} input: ${describeInputIssues(parsed.error)}`);
  const tooLarge = inputSizeProblem(input, contract.workflowType);
  if (tooLarge) throw new InvalidInputError(tooLarge);
  return parsed.data;
}

/**
 * A start refused because a running or completed run holds the id: passes when that run has this
 * very input (it is joined, or its recorded result stands), refuses otherwise, saying why.
 */
async function assertSameInput(client: Client, contract: FlowContract, o: StartOptions<unknown>, input: unknown): Promise<void> {
  const d = await client.workflow.getHandle(o.workflowId).describe();
  const closedAt = d.closeTime?.toISOString();
  const what = d.status.name === 'RUNNING' ? 'is already running' : 'already completed';
  if (d.type !== contract.workflowType) {
    throw new InvalidInputError(
      `workflow id ${o.workflowId} belongs to a ${d.type} flow, not ${contract.workflowType}: use another workflow id`,
    );
  }
  const history = await client.workflow.getHandle(o.workflowId, d.runId).fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  // Compared after parsing both, so defaults and key order do not make the same input look different.
  const recorded = contract.inputSchema.safeParse(await decodeFromPayloadsAtIndex(client.options.loadedDataConverter, 0, payloads));
  if (!recorded.success || JSON.stringify(recorded.data) !== JSON.stringify(input)) {
    throw new TrustflowError(
      `workflow id ${o.workflowId} ${what} a ${contract.workflowType} with another input (run ${d.runId}${closedAt ? `, ${closedAt}` : ''}); ` +
        `a ${contract.workflowType} is never repeated or replaced under its id: use a new workflow id`,
      FailureType.WorkflowIdTaken,
      false,
    );
  }
  o.onExistingRun?.({ runId: d.runId, status: d.status.name, closedAt });
}

/** A handle on the latest run of `workflowId` (running or completed), typed like a fresh start. */
async function existingHandle<W extends FlowWorkflow>(
  client: Client,
  workflow: W,
  workflowId: string,
): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  const { runId } = await client.workflow.getHandle<W>(workflowId).describe();
  return Object.assign(client.workflow.getHandle<W>(workflowId, runId, { firstExecutionRunId: runId }), { firstExecutionRunId: runId });
}

/**
 * Hands the CA's certificate to a waiting kpsisIssueCertificate flow. Rejected (WorkflowUpdateFailedError,
 * with the reason) when it is for another key or not valid now; the flow then keeps waiting.
 */
export async function submitKpsisCertificate(
  client: Client,
  workflowId: string,
  certificatePem: string,
): Promise<SubmitIssuedCertificateResult> {
  return client.workflow
    .getHandle(workflowId)
    .executeUpdate<SubmitIssuedCertificateResult, [string]>(SUBMIT_ISSUED_CERTIFICATE, { args: [certificatePem] });
}
