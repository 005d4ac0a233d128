// The engine both token keepers run (mpt-token-keeper.workflow.ts, kontur-session-keeper.workflow.ts): hold the current
// token, hand it out through the Update `getToken`, refresh it before expiry, and never run two
// refreshes at once.
//   - getToken: a usable token (not invalidated, more than minValidity left) at once; otherwise the one
//     refresh in flight (started if none), every caller waiting on the same one. A refresh that fails
//     while the token is gone: a typed failure (the sign-in's own type, e.g. SecretUnavailable),
//     bounded by signInTimeout.
//   - backoff: after a failed refresh (a failed sign-in, or a token with no more than minValidity
//     left: InvalidInput when its whole lifetime is not above minValidity) nothing signs in before
//     the retry time (workflowWaits.tokenKeeperRetry: 5 s doubling, at most 5 min): not getToken
//     (callers get the last failure at once), not invalidate, not the refresh loop.
//   - invalidate(sha256): only the current token's hash starts a refresh, once, however many report it.
//   - proactive refresh at refreshAt of the token's life (jittered per token), the old token served
//     meanwhile.
//   - end(reason): refuses new callers, cancels a sign-in under way (its waiting callers get
//     KeeperEnded), answers once the other handlers have finished, and the keeper closes.
//   - ends when nobody asked for idleAfter; continues as new past historyLimit events. Both only once
//     running handlers have finished; everything is carried into the next run.
// This file holds the engine's contract with a keeper (KeeperSpec), its messages and the wiring;
// keeper-run.ts one run's state, the refresh, the handlers' bodies and the loop.
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  defineQuery,
  defineUpdate,
  patched,
  setHandler,
  TimeoutFailure,
} from '@temporalio/workflow';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { FailureType } from '../../common/errors.js';
import {
  END_KEEPER_UPDATE,
  GET_TOKEN_UPDATE,
  INVALIDATE_UPDATE,
  KEEPER_STATUS_QUERY,
  type EndKeeperRequest,
  type EndKeeperResult,
  type InvalidateResult,
  type KeeperOptions,
  type KeeperStatus,
} from './token-keeper.contract.js';
import { rootApplicationFailure } from '../runtime/flow-status.js';
import { KeeperRun } from './keeper-run.js';

export const getTokenUpdate = defineUpdate<unknown, [GetTokenRequest]>(GET_TOKEN_UPDATE);
export const invalidateUpdate = defineUpdate<InvalidateResult, [string]>(INVALIDATE_UPDATE);
export const keeperStatusQuery = defineQuery<KeeperStatus>(KEEPER_STATUS_QUERY);
export const endKeeperUpdate = defineUpdate<EndKeeperResult, [EndKeeperRequest]>(END_KEEPER_UPDATE);

/**
 * Marks keepers started with the lifetime and backoff rules: minValidity bounded and below the
 * token's lifetime, a too-short token counted as a failed refresh, and no sign-in during a backoff
 * from any path. Keepers started before replay under the old rules.
 */
export const KEEPER_RULES_PATCH = 'trustflow-keeper-lifetime-and-backoff';

export interface GetTokenRequest {
  /** SHA-256 of the caller's keeper input: a keeper refuses callers that meant another input. */
  inputSha256?: string;
}

/** A held token, as the provider's sign-in returned it (secret fields included: codec only). */
export interface Held<T> {
  value: T;
  expiresAtMs: number;
  obtainedAtMs: number;
  sha256: string;
  invalid: boolean;
}

/** What a keeper carries into its next run (and what its first start may set). */
export interface KeeperCarried<T> {
  inputSha256?: string;
  held?: Held<T> | null;
  seq?: number;
  refreshes?: number;
  signIns?: number;
  requests?: number;
  runs?: number;
  lastRefreshAt?: string | null;
  lastRequestAt?: number;
  lastError?: string | null;
  lastErrorType?: string | null;
  failures?: number;
  nextRetryAt?: number | null;
}

export interface KeeperSpec<T, G> {
  flow: string;
  provider: 'ismpt' | 'kontur';
  options: KeeperOptions;
  /**
   * The sign-in waits for a person (signer.kind 'person'): the refresh starts `options.signAhead` before
   * expiry (the link goes out then), and a caller without a valid token is told at once that the keeper
   * waits for `role`, instead of waiting with the refresh.
   */
  person?: { role: string };
  /** A new token: `held` is the current one (Kontur refreshes with it), `seq` numbers sign-in children. */
  obtain(held: Held<T> | null, seq: number): Promise<{ value: T; expiresAt: string; obtainedAt: string; signIn: boolean }>;
  /** The secret a caller uses (hashed for invalidate). */
  secretOf(value: T): string;
  /** What a caller gets. */
  grant(held: Held<T>): G;
  /** Continues as new with the carried state (never returns). */
  continueAsNew(carried: KeeperCarried<T>): Promise<never>;
}

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

export async function runKeeper<T, G>(spec: KeeperSpec<T, G>, carried: KeeperCarried<T> = {}): Promise<KeeperStatus> {
  const keeper = new KeeperRun(spec, carried, patched(KEEPER_RULES_PATCH));
  setHandler(keeperStatusQuery, () => keeper.status());
  setHandler(getTokenUpdate, (req: GetTokenRequest) => keeper.getToken(req), {
    validator: (req: GetTokenRequest) => keeper.validateGetToken(req),
  });
  setHandler(endKeeperUpdate, (req: EndKeeperRequest) => keeper.end(req), { validator: validateEndRequest });
  setHandler(invalidateUpdate, (tokenSha256) => keeper.invalidate(tokenSha256), { validator: validateTokenSha256 });
  keeper.publish();
  return keeper.run();
}

function validateEndRequest(req: EndKeeperRequest): void {
  const reason = req?.reason;
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > 200))
    throw new Error('end takes { reason?: string } (at most 200 characters, no secret)');
}

function validateTokenSha256(tokenSha256: string): void {
  if (typeof tokenSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(tokenSha256))
    throw new Error('invalidate takes the SHA-256 (64 hex digits) of the refused token, never the token');
}

/** A failed refresh as callers see it: the provider's own failure type, or ProviderUnavailable when it timed out. */
export function typedFailure(err: unknown, signInTimeoutMs: number): ApplicationFailure {
  if (err instanceof ChildWorkflowFailure && err.cause instanceof TimeoutFailure)
    return ApplicationFailure.create({
      type: FailureType.ProviderUnavailable,
      message: `sign-in did not finish within signInTimeout (${signInTimeoutMs} ms)`,
      nonRetryable: true,
    });
  const root = rootApplicationFailure(err);
  return ApplicationFailure.create({
    type: root?.type ?? FailureType.ProviderUnavailable,
    message: `sign-in failed: ${root?.message ?? (err instanceof Error ? err.message : String(err))}`,
    nonRetryable: true,
  });
}
