// A token (IS MPT) or session (Kontur) from the participant's keeper, through Update-with-Start:
// the input checked here first, concurrent identical calls of this process coalesced into one
// Update, transient refusals asked again with a jittered backoff.
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { canonicalJson } from '../../common/canonical-json.js';
import { InvalidInputError } from '../../common/errors.js';
import { temporalSettingsFromEnv } from '../../common/env.js';
import { clientWaits } from '../../common/policies.js';
import type { KonturSignInInput } from '../../flows/kontur/kontur-sign-in.contract.js';
import { inputSizeProblem } from '../../contracts/limits.js';
import type { MptSignInInput } from '../../flows/ismpt/mpt-sign-in.contract.js';
import {
  GET_TOKEN_UPDATE,
  KonturSessionKeeperInputSchema,
  MptTokenKeeperInputSchema,
  type KeeperOptions,
  type KonturSessionGrant,
  type MptTokenGrant,
} from '../../flows/keepers/token-keeper.contract.js';
import { describeInputIssues } from '../../contracts/validation.js';
import { konturSessionKeeper, mptTokenKeeper } from '../../flows/index.js';
import { assertEncryptingClient } from '../flows.js';
import { GrpcCode, grpcStatusOf, isInFlightUpdateLimit } from '../server-errors.js';
import { assertWorkerPolling } from '../worker-check.js';
import { sha256, tokenKeeperId, type KeeperProvider, type KeeperSigner } from './ids.js';
import { explained, whileKeeperRuns } from './keeper-calls.js';

export interface KeeperCallOptions<I> {
  /** The sign-in flow's own input (the same file `trustflow run` takes). */
  input: I;
  /**
   * Callers of one process that ask the same keeper at the same moment share one Update (default
   * true): the keeper would hand them the same token, and the server admits only so many Updates per
   * workflow at once. false: one Update per call.
   */
  coalesce?: boolean;
  /** Keeper options (refreshAt, minValidity, idleAfter, signInTimeout, historyLimit); defaults otherwise. */
  keeper?: Partial<Record<keyof KeeperOptions, unknown>>;
  /** The task queue a new keeper runs on (default TRUSTFLOW_TASK_QUEUE, else trustflow): a worker must poll it. */
  taskQueue?: string;
}

/**
 * Answers worth asking again after a pause: an Update aborted while the keeper continued as new or
 * ended (UNAVAILABLE), a keeper that is ending (idle, or ended), other server back-pressure. The
 * in-flight Update limit is asked again too, but briefly (getGrant): each refusal of it also aborts
 * the Updates the server had admitted.
 */
const TRANSIENT_MESSAGE = /keeper is ending|update was aborted|could not be executed|already completed/i;

function isTransient(err: unknown): boolean {
  const code = grpcStatusOf(err)?.code;
  if (code === GrpcCode.RESOURCE_EXHAUSTED || code === GrpcCode.UNAVAILABLE) return true;
  const message =
    err instanceof WorkflowUpdateFailedError ? String((err.cause as Error | undefined)?.message) : String((err as Error)?.message);
  return TRANSIENT_MESSAGE.test(message);
}

/** Calls under way, by keeper and input: what concurrent callers of this process join. */
const inFlight = new Map<string, Promise<unknown>>();

function coalesced<G>(key: string, call: () => Promise<G>): Promise<G> {
  const running = inFlight.get(key);
  if (running) return running as Promise<G>;
  const p = call().finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

async function getGrant<G>(
  client: Client,
  provider: KeeperProvider,
  workflow: typeof mptTokenKeeper | typeof konturSessionKeeper,
  keeperInput: { signIn: unknown; keeper?: unknown },
  signIn: { baseUrl: string; signer?: KeeperSigner; key?: { path: string } },
  taskQueue: string | undefined,
  signInTimeoutMs: number,
): Promise<G> {
  assertEncryptingClient(client);
  const queue = taskQueue ?? temporalSettingsFromEnv().taskQueue;
  await assertWorkerPolling(client, queue); // a keeper never starts on a queue nobody polls
  const workflowId = tokenKeeperId(provider, signIn);
  const inputSha256 = sha256(canonicalJson(keeperInput));
  // From the first refusal on: as long as a sign-in may take, and a while more; the in-flight Update
  // limit only briefly (clientWaits.keeperInFlightLimitRetryMs), then it is reported with what to
  // raise. (A client not made by connectClient has already retried RESOURCE_EXHAUSTED inside the
  // call, about 40 s, before it reaches us.)
  let deadline: number | undefined;
  let limitDeadline: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return (await whileKeeperRuns(client, provider, workflowId, () =>
        client.workflow.executeUpdateWithStart(GET_TOKEN_UPDATE, {
          args: [{ inputSha256 }],
          startWorkflowOperation: new WithStartWorkflowOperation(workflow as typeof mptTokenKeeper, {
            workflowId,
            taskQueue: queue,
            args: [keeperInput as Parameters<typeof mptTokenKeeper>[0], { inputSha256 }],
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          }),
        }),
      )) as G;
    } catch (err) {
      const what = `admit a getToken Update on keeper ${workflowId}`;
      if (!isTransient(err)) throw explained(err, what);
      deadline ??= Date.now() + signInTimeoutMs + clientWaits.keeperRetryForMs;
      if (isInFlightUpdateLimit(err)) limitDeadline ??= Date.now() + clientWaits.keeperInFlightLimitRetryMs;
      if (Date.now() > Math.min(deadline, limitDeadline ?? Infinity)) throw explained(err, what);
      const backoff = clientWaits.keeperRetryBackoff; // jittered: many callers spread out instead of retrying in step
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(backoff.maxMs, backoff.firstMs * 2 ** attempt)));
    }
  }
}

/** The keeper's input as sent (the keeper validates it again), and its sign-in bound, once checked here. */
export function keeperInput(
  schema: typeof MptTokenKeeperInputSchema | typeof KonturSessionKeeperInputSchema,
  o: KeeperCallOptions<unknown>,
  what: string,
) {
  const raw = { signIn: o.input, ...(o.keeper ? { keeper: o.keeper } : {}) };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`invalid ${what} input: ${describeInputIssues(parsed.error)}`);
  const tooLarge = inputSizeProblem(raw, what);
  if (tooLarge) throw new InvalidInputError(tooLarge);
  return { raw, signInTimeoutMs: parsed.data.keeper.signInTimeout };
}

const clientIds = new WeakMap<Client, number>();
let nextClientId = 0;
/** One key per (client, keeper, exact input): only identical calls through the same client share. */
function callKey(
  client: Client,
  provider: 'ismpt' | 'kontur',
  raw: unknown,
  signIn: { baseUrl: string; signer?: KeeperSigner; key?: { path: string } },
): string {
  if (!clientIds.has(client)) clientIds.set(client, ++nextClientId);
  return `${clientIds.get(client)}|${tokenKeeperId(provider, signIn)}|${sha256(canonicalJson(raw))}`;
}

/** The current IS MPT token of the participant `input.signer` names on `input.baseUrl`, from its keeper. */
export async function getMptToken(client: Client, o: KeeperCallOptions<MptSignInInput>): Promise<MptTokenGrant> {
  const { raw, signInTimeoutMs } = keeperInput(MptTokenKeeperInputSchema, o, 'mptTokenKeeper');
  const call = () => getGrant<MptTokenGrant>(client, 'ismpt', mptTokenKeeper, raw, o.input, o.taskQueue, signInTimeoutMs);
  return o.coalesce === false ? call() : coalesced(callKey(client, 'ismpt', raw, o.input), call);
}

/** The current Kontur session id of the certificate `input.key` names on `input.baseUrl`, from its keeper. */
export async function getKonturSession(client: Client, o: KeeperCallOptions<KonturSignInInput>): Promise<KonturSessionGrant> {
  const { raw, signInTimeoutMs } = keeperInput(KonturSessionKeeperInputSchema, o, 'konturSessionKeeper');
  const call = () => getGrant<KonturSessionGrant>(client, 'kontur', konturSessionKeeper, raw, o.input, o.taskQueue, signInTimeoutMs);
  return o.coalesce === false ? call() : coalesced(callKey(client, 'kontur', raw, o.input), call);
}
