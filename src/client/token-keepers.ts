// "Give me a valid token for this participant": the client side of the token keepers. One keeper per
// (provider, stand, participant), found by a deterministic id (tokenKeeperId) and reached through
// Update-with-Start: the first caller starts it, every later caller gets the token it holds.
//
//   const { token } = await getMptToken(client, { input });          // the mptSignIn input, as is
//   … on HTTP 401 with that token:
//   await invalidateMptToken(client, { input, token });              // once per refused token
//
// invalidate sends the token's SHA-256, never the token; only the keeper's current token makes it
// sign in again, once, however many callers report it.
import { createHash } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { canonicalJson } from '../common/canonical-json.js';
import { FailureType, InvalidInputError, TrustflowError } from '../common/errors.js';
import { temporalSettingsFromEnv } from '../common/env.js';
import type { KonturSignInInput } from '../contracts/kontur-sign-in.js';
import type { MptSignInInput } from '../contracts/mpt-sign-in.js';
import {
  GET_TOKEN_UPDATE,
  INVALIDATE_UPDATE,
  KonturSessionKeeperInputSchema,
  MptTokenKeeperInputSchema,
  type InvalidateResult,
  type KeeperOptions,
  type KonturSessionGrant,
  type MptTokenGrant,
} from '../contracts/token-keeper.js';
import { describeInputIssues } from '../contracts/validation.js';
import { workflowIds } from '../contracts/workflow-ids.js';
import { konturSessionKeeper, mptTokenKeeper } from '../workflows/index.js';
import { assertEncryptingClient } from './flows.js';

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
  taskQueue?: string;
}

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
 * Answers worth asking again after a pause: the server's limit on in-flight Updates per workflow
 * (RESOURCE_EXHAUSTED; `history.maxInFlightUpdates`, 10 by default), an Update aborted while the keeper
 * continued as new or ended (UNAVAILABLE), and a keeper that is ending because it was idle.
 */
const TRANSIENT_MESSAGE = /keeper is ending|update was aborted|in-flight updates|could not be executed|already completed/i;
const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;
const RETRY_FOR_MS = 30_000;

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (code === RESOURCE_EXHAUSTED || code === UNAVAILABLE) return true;
  const message =
    err instanceof WorkflowUpdateFailedError ? String((err.cause as Error | undefined)?.message) : String((err as Error)?.message);
  return TRANSIENT_MESSAGE.test(message);
}

/** A failed getToken as callers see it: a TrustflowError with the keeper's failure type and reason. */
function explained(err: unknown): unknown {
  if (!(err instanceof WorkflowUpdateFailedError)) return err;
  const cause = err.cause as { type?: string; message?: string } | undefined;
  const type = Object.values(FailureType).includes(cause?.type as FailureType) ? (cause!.type as FailureType) : FailureType.InvalidInput;
  return Object.assign(new TrustflowError(cause?.message ?? err.message, type, false), { cause: err });
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
  provider: 'mpt' | 'kontur',
  workflow: typeof mptTokenKeeper | typeof konturSessionKeeper,
  keeperInput: { signIn: unknown; keeper?: unknown },
  signIn: { baseUrl: string; signer?: { path: string }; key?: { path: string } },
  taskQueue: string | undefined,
  signInTimeoutMs: number,
): Promise<G> {
  assertEncryptingClient(client);
  const workflowId = tokenKeeperId(provider, signIn);
  const inputSha256 = sha256(canonicalJson(keeperInput));
  // From the first refusal on: as long as a sign-in may take, and a while more. The SDK has already
  // retried RESOURCE_EXHAUSTED inside the call (about 40 s) before it reaches us.
  let deadline: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return (await client.workflow.executeUpdateWithStart(GET_TOKEN_UPDATE, {
        args: [{ inputSha256 }],
        startWorkflowOperation: new WithStartWorkflowOperation(workflow as typeof mptTokenKeeper, {
          workflowId,
          taskQueue: taskQueue ?? temporalSettingsFromEnv().taskQueue,
          args: [keeperInput as Parameters<typeof mptTokenKeeper>[0], { inputSha256 }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        }),
      })) as G;
    } catch (err) {
      if (!isTransient(err)) throw explained(err);
      deadline ??= Date.now() + signInTimeoutMs + RETRY_FOR_MS;
      if (Date.now() > deadline) throw explained(err);
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

async function invalidate(client: Client, workflowId: string, token: string): Promise<InvalidateResult> {
  assertEncryptingClient(client);
  try {
    return await client.workflow
      .getHandle(workflowId)
      .executeUpdate<InvalidateResult, [string]>(INVALIDATE_UPDATE, { args: [sha256(token)] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { renewed: false, reason: 'no keeper holds a token for this participant' };
    throw err;
  }
}

/** Reports an IS MPT token the provider refused (401): the keeper signs in again if it is still the current one. */
export function invalidateMptToken(client: Client, o: { input: MptSignInInput; token: string }): Promise<InvalidateResult> {
  return invalidate(client, tokenKeeperId('mpt', o.input), o.token);
}

/** Reports a Kontur sid the provider refused (401). */
export function invalidateKonturSession(client: Client, o: { input: KonturSignInInput; sid: string }): Promise<InvalidateResult> {
  return invalidate(client, tokenKeeperId('kontur', o.input), o.sid);
}
