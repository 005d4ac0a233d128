// "Give me a valid token for this participant": the client side of the token keepers. One keeper per
// (provider, stand, participant), found by a deterministic id (tokenKeeperId) and reached through
// Update-with-Start: the first caller starts it, every later caller gets the token it holds.
//
//   const { token } = await getMptToken(client, { input });          // the mptSignIn input, as is
//   … on HTTP 401 with that token:
//   await invalidateMptToken(client, { input, token });              // once per refused token
//   … a keeper started with a wrong input (a mistyped password variable):
//   await resetTokenKeeper(client, 'mpt', { input: fixed });         // ends it, then a token with `fixed`
//   await endTokenKeeper(client, 'mpt', input);                      // or only end it
//
// invalidate sends the token's SHA-256, never the token; only the keeper's current token makes it
// sign in again, once, however many callers report it. No call waits silently: a keeper is started
// only on a task queue a worker polls, and a call on a keeper whose own queue has no worker fails
// within seconds naming that queue (worker-check.ts).
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { canonicalJson } from '../common/canonical-json.js';
import { FailureType, InvalidInputError, TrustflowError } from '../common/errors.js';
import { temporalSettingsFromEnv } from '../common/env.js';
import { clientWaits } from '../common/policies.js';
import type { KonturSignInInput } from '../contracts/kontur-sign-in.js';
import { inputSizeProblem } from '../contracts/limits.js';
import type { MptSignInInput } from '../contracts/mpt-sign-in.js';
import {
  END_KEEPER_UPDATE,
  GET_TOKEN_UPDATE,
  INVALIDATE_UPDATE,
  KonturSessionKeeperInputSchema,
  MptTokenKeeperInputSchema,
  type EndKeeperRequest,
  type EndKeeperResult,
  type InvalidateResult,
  type KeeperOptions,
  type KeeperStatus,
  type KonturSessionGrant,
  type MptTokenGrant,
} from '../contracts/token-keeper.js';
import { describeInputIssues } from '../contracts/validation.js';
import { workflowIds } from '../contracts/workflow-ids.js';
import { konturSessionKeeper, mptTokenKeeper } from '../workflows/index.js';
import { assertEncryptingClient } from './flows.js';
import { GrpcCode, grpcStatusOf, IN_FLIGHT_LIMIT_ADVICE, isInFlightUpdateLimit, serverRefusal } from './server-errors.js';
import { checkRunningWorkflow } from './running-workflow.js';
import { assertWorkerPolling, NoWorkerError, serverOf, workerPollingProblem } from './worker-check.js';

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

export type KeeperProvider = 'mpt' | 'kontur';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The keeper's workflow id: `trustflow-token/<mpt|kontur>/<32 hex>`, the SHA-256 of the stand's base
 * URL and the participant's key file. Deterministic (every caller of one participant meets the same
 * keeper) and free of personal data (no name, IIN, password or token).
 */
export function tokenKeeperId(
  provider: 'mpt' | 'kontur',
  input: { baseUrl: string; signer?: { path: string }; key?: { path: string } },
): string {
  const participant = input.signer?.path ?? input.key?.path ?? '';
  return workflowIds.tokenKeeper(provider, sha256(JSON.stringify([provider, input.baseUrl.replace(/\/+$/, ''), participant])).slice(0, 32));
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

/**
 * A failed keeper call as callers see it: a TrustflowError with the keeper's failure type and reason,
 * or the server's refusal with its reason (ServerRefusedError), or the error as it came.
 */
function explained(err: unknown, what: string): unknown {
  if (err instanceof TrustflowError) return err;
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as { type?: string; message?: string } | undefined;
    const type = Object.values(FailureType).includes(cause?.type as FailureType) ? (cause!.type as FailureType) : FailureType.InvalidInput;
    return Object.assign(new TrustflowError(cause?.message ?? err.message, type, false), { cause: err });
  }
  if (isInFlightUpdateLimit(err)) return serverRefusal(err, what, IN_FLIGHT_LIMIT_ADVICE);
  return serverRefusal(err, what) ?? err;
}

/**
 * Runs `call` on keeper `workflowId`. When it has not returned after clientWaits.keeperQueueCheck
 * (a held token takes milliseconds, a sign-in seconds), the keeper is described and its own task
 * queue checked, then again now and then: a keeper no worker runs (started on another queue, or its
 * worker gone) fails the call with NoWorkerError naming that queue and how to end the keeper,
 * instead of the call waiting for ever. The pending call is cancelled then.
 */
async function whileKeeperRuns<T>(client: Client, provider: KeeperProvider, workflowId: string, call: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  setMaxListeners(1000, abort.signal); // one per gRPC call the SDK makes for this call (retries, polls)
  const running = client.withAbortSignal(abort.signal, call);
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const watch = new Promise<never>((_, reject) => {
    const check = async () => {
      try {
        const d = await client.workflow.getHandle(workflowId).describe();
        const problem = d.status.name === 'RUNNING' ? await workerPollingProblem(client, d.taskQueue, 0) : undefined;
        if (problem !== undefined && !settled) {
          const { namespace, address } = serverOf(client);
          abort.abort();
          return reject(
            new NoWorkerError(
              `keeper ${workflowId} runs on task queue '${d.taskQueue}' (namespace '${namespace}' at ${address}), and ${problem}: ` +
                `its callers would wait for ever. Start a worker on '${d.taskQueue}', or end this keeper and ask again: ` +
                `trustflow token end ${provider} --input FILE (endTokenKeeper; it terminates a keeper no worker runs)`,
              d.taskQueue,
              namespace,
              address,
            ),
          );
        }
      } catch {
        // Closed or not started yet: the call itself says what happened.
      }
      if (!settled) timer = setTimeout(() => void check(), clientWaits.keeperQueueCheck.everyMs);
    };
    timer = setTimeout(() => void check(), clientWaits.keeperQueueCheck.firstMs);
  });
  try {
    return await Promise.race([running, watch]);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
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
  signIn: { baseUrl: string; signer?: { path: string }; key?: { path: string } },
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
      // Jittered backoff, 20 ms doubling to 1 s: many callers spread out instead of retrying in step.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(1000, 20 * 2 ** attempt)));
    }
  }
}

/** The keeper's input as sent (the keeper validates it again), and its sign-in bound, once checked here. */
function keeperInput(
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
  provider: 'mpt' | 'kontur',
  raw: unknown,
  signIn: { baseUrl: string; signer?: { path: string }; key?: { path: string } },
): string {
  if (!clientIds.has(client)) clientIds.set(client, ++nextClientId);
  return `${clientIds.get(client)}|${tokenKeeperId(provider, signIn)}|${sha256(canonicalJson(raw))}`;
}

/** The current IS MPT token of the participant `input.signer` names on `input.baseUrl`, from its keeper. */
export async function getMptToken(client: Client, o: KeeperCallOptions<MptSignInInput>): Promise<MptTokenGrant> {
  const { raw, signInTimeoutMs } = keeperInput(MptTokenKeeperInputSchema, o, 'mptTokenKeeper');
  const call = () => getGrant<MptTokenGrant>(client, 'mpt', mptTokenKeeper, raw, o.input, o.taskQueue, signInTimeoutMs);
  return o.coalesce === false ? call() : coalesced(callKey(client, 'mpt', raw, o.input), call);
}

/** The current Kontur session id of the certificate `input.key` names on `input.baseUrl`, from its keeper. */
export async function getKonturSession(client: Client, o: KeeperCallOptions<KonturSignInInput>): Promise<KonturSessionGrant> {
  const { raw, signInTimeoutMs } = keeperInput(KonturSessionKeeperInputSchema, o, 'konturSessionKeeper');
  const call = () => getGrant<KonturSessionGrant>(client, 'kontur', konturSessionKeeper, raw, o.input, o.taskQueue, signInTimeoutMs);
  return o.coalesce === false ? call() : coalesced(callKey(client, 'kontur', raw, o.input), call);
}

async function invalidate(client: Client, provider: KeeperProvider, workflowId: string, token: string): Promise<InvalidateResult> {
  assertEncryptingClient(client);
  try {
    return await whileKeeperRuns(client, provider, workflowId, () =>
      client.workflow.getHandle(workflowId).executeUpdate<InvalidateResult, [string]>(INVALIDATE_UPDATE, { args: [sha256(token)] }),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { renewed: false, reason: 'no keeper holds a token for this participant' };
    throw explained(err, `admit an invalidate Update on keeper ${workflowId}`);
  }
}

/** Reports an IS MPT token the provider refused (401): the keeper signs in again if it is still the current one. */
export function invalidateMptToken(client: Client, o: { input: MptSignInInput; token: string }): Promise<InvalidateResult> {
  return invalidate(client, 'mpt', tokenKeeperId('mpt', o.input), o.token);
}

/** Reports a Kontur sid the provider refused (401). */
export function invalidateKonturSession(client: Client, o: { input: KonturSignInInput; sid: string }): Promise<InvalidateResult> {
  return invalidate(client, 'kontur', tokenKeeperId('kontur', o.input), o.sid);
}

/** What endTokenKeeper did. No secret: the keeper's status, never its token. */
export interface EndTokenKeeperResult {
  workflowId: string;
  /**
   * `ended`: the keeper closed through its `end` Update (new callers refused, a sign-in under way
   * cancelled, its waiting callers told KeeperEnded). `terminated`: no worker polls the keeper's task
   * queue (or its worker has no `end`), so it was terminated, its sign-in child with it. `none`: no
   * keeper was running for this participant.
   */
  outcome: 'ended' | 'terminated' | 'none';
  runId?: string;
  taskQueue?: string;
  /** Why (the reason given, and for `terminated`/`none` what was found). */
  reason: string;
  /** For `ended`: the keeper's status as it ended. */
  status?: KeeperStatus;
  signInCancelled?: boolean;
  waitingCallersFailed?: number;
}

/** The participant of a sign-in input: enough to find its keeper, whatever else the input says. */
function keeperIdOf(provider: KeeperProvider, input: unknown): string {
  const i = input as { baseUrl?: unknown; signer?: { path?: unknown }; key?: { path?: unknown } } | null;
  const path = provider === 'mpt' ? i?.signer?.path : i?.key?.path;
  if (typeof i?.baseUrl !== 'string' || typeof path !== 'string')
    throw new InvalidInputError(
      `the ${provider === 'mpt' ? 'mptSignIn' : 'konturSignIn'} input must name baseUrl and ${provider === 'mpt' ? 'signer.path' : 'key.path'}: they say which keeper`,
    );
  return tokenKeeperId(provider, { baseUrl: i.baseUrl, ...(provider === 'mpt' ? { signer: { path } } : { key: { path } }) });
}

/**
 * Ends the keeper of the participant `input` names (the sign-in input; the rest of it may differ
 * from the keeper's: that is what a reset is for), without waiting for it to idle. Through its
 * `end` Update when a worker runs it; terminated (with its sign-in child) when no worker polls its
 * task queue, since then nothing would ever handle the Update.
 */
export async function endTokenKeeper(
  client: Client,
  provider: KeeperProvider,
  input: MptSignInInput | KonturSignInInput,
  o: { reason?: string } = {},
): Promise<EndTokenKeeperResult> {
  assertEncryptingClient(client);
  const workflowId = keeperIdOf(provider, input);
  const reason = o.reason ?? 'ended by endTokenKeeper (trustflow token end)';
  if (reason.length > 200) throw new InvalidInputError('the reason is at most 200 characters');
  const keeper = await checkRunningWorkflow(client, workflowId);
  if (!keeper.running) {
    const d = keeper.description;
    return { workflowId, outcome: 'none', reason: d ? `its last keeper is ${d.status.name.toLowerCase()} already` : 'no keeper ever ran' };
  }
  const { handle, description: d } = keeper;
  const base = { workflowId, runId: d.runId, taskQueue: d.taskQueue };
  const terminate = async (why: string): Promise<EndTokenKeeperResult> => {
    await handle.terminate(`${reason}; ${why}`);
    return { ...base, outcome: 'terminated', reason: `${reason}; ${why}` };
  };
  if (keeper.workerProblem !== undefined) return terminate(`terminated: on its task queue '${d.taskQueue}' ${keeper.workerProblem}`);
  let r: EndKeeperResult;
  try {
    r = await whileKeeperRuns(client, provider, workflowId, () =>
      handle.executeUpdate<EndKeeperResult, [EndKeeperRequest]>(END_KEEPER_UPDATE, { args: [{ reason }] }),
    );
  } catch (err) {
    if (err instanceof NoWorkerError) return terminate(`terminated: ${err.message}`);
    if (err instanceof WorkflowNotFoundError || /already completed/i.test(String((err as Error).message)))
      return { ...base, outcome: 'none', reason: 'the keeper closed meanwhile' };
    if (err instanceof WorkflowUpdateFailedError && /no registered handler for update/i.test(String((err.cause as Error)?.message)))
      return terminate('terminated: its worker runs a trustflow without the end Update');
    throw explained(err, `end keeper ${workflowId}`);
  }
  // The keeper closes right after `end` answered.
  for (const until = Date.now() + clientWaits.keeperCloseMs; Date.now() < until; await new Promise((res) => setTimeout(res, 100)))
    if ((await handle.describe()).status.name !== 'RUNNING') break;
  return {
    ...base,
    outcome: 'ended',
    reason,
    status: r.status,
    signInCancelled: r.signInCancelled,
    waitingCallersFailed: r.waitingCallersFailed,
  };
}

export interface ResetTokenKeeperResult<G> {
  ended: EndTokenKeeperResult;
  /** The first grant of the new keeper, with the new input. */
  grant: G;
}

/**
 * Replaces the participant's keeper with one running `o.input` (e.g. after fixing a password
 * reference): the new input is checked first (nothing is ended for an input that would fail
 * validation, or for a queue no worker polls), then the keeper is ended and a token asked for.
 */
export async function resetTokenKeeper(
  client: Client,
  provider: 'mpt',
  o: KeeperCallOptions<MptSignInInput> & { reason?: string },
): Promise<ResetTokenKeeperResult<MptTokenGrant>>;
export async function resetTokenKeeper(
  client: Client,
  provider: 'kontur',
  o: KeeperCallOptions<KonturSignInInput> & { reason?: string },
): Promise<ResetTokenKeeperResult<KonturSessionGrant>>;
export async function resetTokenKeeper(
  client: Client,
  provider: KeeperProvider,
  o: KeeperCallOptions<MptSignInInput | KonturSignInInput> & { reason?: string },
): Promise<ResetTokenKeeperResult<MptTokenGrant | KonturSessionGrant>> {
  keeperInput(
    provider === 'mpt' ? MptTokenKeeperInputSchema : KonturSessionKeeperInputSchema,
    o,
    provider === 'mpt' ? 'mptTokenKeeper' : 'konturSessionKeeper',
  );
  await assertWorkerPolling(client, o.taskQueue ?? temporalSettingsFromEnv().taskQueue);
  const ended = await endTokenKeeper(client, provider, o.input, {
    reason: o.reason ?? 'reset by resetTokenKeeper (trustflow token reset)',
  });
  const call = { ...o, coalesce: false };
  const grant =
    provider === 'mpt'
      ? await getMptToken(client, call as KeeperCallOptions<MptSignInInput>)
      : await getKonturSession(client, call as KeeperCallOptions<KonturSignInInput>);
  return { ended, grant };
}
