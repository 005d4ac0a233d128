// The engine both token keepers run (mpt-token-keeper.ts, kontur-session-keeper.ts): hold the current
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
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  isCancellation,
  log,
  metricMeter,
  patched,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { FailureType } from '../../common/errors.js';
import { workflowWaits } from '../../common/policies.js';
import { searchAttributes } from '../../common/search-attributes.js';
import {
  END_KEEPER_UPDATE,
  GET_TOKEN_UPDATE,
  INVALIDATE_UPDATE,
  KEEPER_STATUS_QUERY,
  type EndKeeperRequest,
  type EndKeeperResult,
  type InvalidateResult,
  type KeeperOptions,
  type KeeperState,
  type KeeperStatus,
} from './token-keeper.contract.js';
import { rootApplicationFailure } from '../runtime/flow-status.js';

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
  const o = spec.options;
  const c: Required<KeeperCarried<T>> = {
    inputSha256: carried.inputSha256 ?? '',
    held: carried.held ?? null,
    seq: carried.seq ?? 0,
    refreshes: carried.refreshes ?? 0,
    signIns: carried.signIns ?? 0,
    requests: carried.requests ?? 0,
    runs: (carried.runs ?? 0) + 1,
    lastRefreshAt: carried.lastRefreshAt ?? null,
    lastRequestAt: carried.lastRequestAt ?? Date.now(),
    lastError: carried.lastError ?? null,
    lastErrorType: carried.lastErrorType ?? null,
    failures: carried.failures ?? 0,
    nextRetryAt: carried.nextRetryAt ?? null,
  };
  const rules = patched(KEEPER_RULES_PATCH);
  let refreshing: Promise<void> | null = null;
  /** The scope of the refresh under way: `end` cancels it. */
  let refreshScope: CancellationScope | null = null;
  let ending = false;
  /** Set by `end`: why the keeper was ended. */
  let endReason: string | null = null;
  /** getToken handlers waiting for a refresh. */
  let waiting = 0;
  let published: KeeperState | undefined;

  const usable = (h: Held<T> | null): h is Held<T> => h !== null && !h.invalid && h.expiresAtMs - Date.now() > o.minValidity;
  const refreshPointMs = (h: Held<T>) => {
    const life = h.expiresAtMs - h.obtainedAtMs;
    const unit = parseInt(h.sha256.slice(0, 8), 16) / 2 ** 32;
    return h.obtainedAtMs + life * o.refreshAt - life * o.refreshJitter * unit;
  };
  const stateOf = (): KeeperState =>
    ending ? 'ending' : refreshing ? 'refreshing' : c.held === null ? 'empty' : usable(c.held) ? 'valid' : 'expired';
  const publish = () => {
    const state = stateOf();
    if (state === published) return;
    published = state;
    upsertSearchAttributes([
      { key: searchAttributes.flow, value: spec.flow },
      { key: searchAttributes.provider, value: spec.provider },
      { key: searchAttributes.step, value: state },
    ]);
  };
  const status = (): KeeperStatus => ({
    provider: spec.provider,
    state: stateOf(),
    expiresAt: c.held ? new Date(c.held.expiresAtMs).toISOString() : null,
    obtainedAt: c.held ? new Date(c.held.obtainedAtMs).toISOString() : null,
    refreshAt: c.held ? new Date(refreshPointMs(c.held)).toISOString() : null,
    lastRefreshAt: c.lastRefreshAt,
    refreshes: c.refreshes,
    signIns: c.signIns,
    lastError: c.lastError,
    lastErrorType: c.lastErrorType,
    failures: c.failures,
    nextRetryAt: c.nextRetryAt === null ? null : new Date(c.nextRetryAt).toISOString(),
    endReason,
    lastRequestAt: new Date(c.lastRequestAt).toISOString(),
    requests: c.requests,
    runs: c.runs,
  });

  /** The one refresh: started if none runs, joined otherwise. Rejects with a typed failure. */
  // trustflow_token_keeper_*: not emitted during replay, so each refresh and request counts once.
  const keeperMetrics = {
    refreshes: metricMeter.createCounter('trustflow_token_keeper_refreshes', 'refreshes', 'Token keeper refreshes by outcome'),
    requests: metricMeter.createCounter('trustflow_token_keeper_requests', 'requests', 'getToken Updates received'),
  };
  /** While a failed refresh waits for its retry time: the last failure, again, at once. */
  const backingOff = () => !refreshing && c.nextRetryAt !== null && Date.now() < c.nextRetryAt;
  const backoffFailure = () =>
    ApplicationFailure.create({
      type: c.lastErrorType ?? FailureType.ProviderUnavailable,
      message: `no valid token: the last sign-in failed (${c.lastError}); the next attempt is after ${new Date(c.nextRetryAt!).toISOString()}`,
      nonRetryable: true,
    });
  /** A new token callers could never be handed (no more than minValidity left): a failed refresh. */
  const tooShort = (h: Held<T>): ApplicationFailure | undefined => {
    const left = h.expiresAtMs - Date.now();
    if (left > o.minValidity) return undefined;
    const lifetime = h.expiresAtMs - h.obtainedAtMs;
    return lifetime <= o.minValidity
      ? ApplicationFailure.create({
          type: FailureType.InvalidInput,
          message: `keeper.minValidity (${o.minValidity} ms) is not below the token's lifetime (${lifetime} ms): no token of this provider could be handed out; set keeper.minValidity below the lifetime`,
          nonRetryable: true,
        })
      : ApplicationFailure.create({
          type: FailureType.ProviderUnavailable,
          message: `the provider issued a token with ${left} ms left, not more than keeper.minValidity (${o.minValidity} ms): check the worker's clock`,
          nonRetryable: true,
        });
  };
  const refresh = (why: string): Promise<void> => {
    if (refreshing) return refreshing;
    if (rules && backingOff()) return Promise.reject(backoffFailure());
    refreshing = (async () => {
      let failure: ApplicationFailure;
      try {
        const scope = new CancellationScope();
        refreshScope = scope;
        const r = await scope.run(() => spec.obtain(c.held, ++c.seq));
        const secret = spec.secretOf(r.value);
        const held: Held<T> = {
          value: r.value,
          expiresAtMs: Date.parse(r.expiresAt),
          obtainedAtMs: Date.parse(r.obtainedAt),
          sha256: sha256Hex(secret),
          invalid: false,
        };
        const short = rules ? tooShort(held) : undefined;
        if (!short) {
          c.held = held;
          c.refreshes += 1;
          keeperMetrics.refreshes.add(1, { provider: spec.provider, outcome: 'succeeded' });
          if (r.signIn) c.signIns += 1;
          c.lastRefreshAt = new Date().toISOString();
          c.lastError = null;
          c.lastErrorType = null;
          c.failures = 0;
          c.nextRetryAt = null;
          log.info('token refreshed', { why, expiresAt: r.expiresAt, signIn: r.signIn });
          return;
        }
        if (r.signIn) c.signIns += 1;
        failure = short;
      } catch (err) {
        failure =
          endReason !== null && isCancellation(err)
            ? ApplicationFailure.create({
                type: FailureType.KeeperEnded,
                message: `keeper ${workflowInfo().workflowId} was ended (${endReason}) during its sign-in: ask again, a new keeper starts`,
                nonRetryable: true,
              })
            : typedFailure(err, o.signInTimeout);
      } finally {
        refreshScope = null;
        refreshing = null;
        publish();
      }
      if (failure.type !== FailureType.KeeperEnded) {
        c.lastError = failure.message;
        c.lastErrorType = failure.type ?? null;
        c.failures += 1;
        keeperMetrics.refreshes.add(1, { provider: spec.provider, outcome: 'failed' });
        const retry = workflowWaits.tokenKeeperRetry;
        c.nextRetryAt = Date.now() + Math.min(retry.firstMs * 2 ** (c.failures - 1), retry.maxMs);
        log.warn('token refresh failed', { why, reason: failure.message, nextRetryAt: new Date(c.nextRetryAt).toISOString() });
      }
      throw failure;
    })();
    publish(); // 'refreshing', for the Web UI
    return refreshing;
  };

  setHandler(keeperStatusQuery, status);

  setHandler(
    getTokenUpdate,
    async (_req: GetTokenRequest): Promise<unknown> => {
      c.requests += 1;
      keeperMetrics.requests.add(1, { provider: spec.provider });
      c.lastRequestAt = Date.now();
      if (usable(c.held)) return spec.grant(c.held);
      if (!rules && backingOff()) throw backoffFailure();
      waiting += 1;
      try {
        await refresh(c.held ? 'expired or invalidated' : 'first request');
      } finally {
        waiting -= 1;
      }
      if (usable(c.held)) return spec.grant(c.held);
      throw ApplicationFailure.create({
        type: FailureType.ProviderUnavailable,
        message: 'the provider issued a token with less than minValidity left: lower keeper.minValidity or check its clock',
        nonRetryable: true,
      });
    },
    {
      validator: (req: GetTokenRequest) => {
        if (ending)
          throw new Error(
            endReason === null
              ? 'this keeper is ending (idle): ask again, a new one starts'
              : `this keeper is ending (ended: ${endReason}): ask again, a new one starts`,
          );
        if (req?.inputSha256 && c.inputSha256 && req.inputSha256 !== c.inputSha256)
          throw new Error(
            `keeper ${workflowInfo().workflowId} runs with another input (keeper options or the password reference differ): use the same input, ` +
              `or replace the keeper with yours: trustflow token reset ${spec.provider === 'ismpt' ? 'mpt' : 'kontur'} --input FILE (resetTokenKeeper)`,
          );
      },
    },
  );

  setHandler(
    endKeeperUpdate,
    async (req: EndKeeperRequest): Promise<EndKeeperResult> => {
      const first = endReason === null;
      const signInCancelled = first && refreshScope !== null;
      const waitingCallersFailed = signInCancelled ? waiting : 0;
      if (first) {
        endReason = req?.reason || 'ended on request';
        ending = true;
        refreshScope?.cancel();
        log.info('keeper ending on request', { reason: endReason, signInCancelled });
        publish();
      }
      await condition(() => refreshing === null && waiting === 0);
      return { status: status(), signInCancelled, waitingCallersFailed };
    },
    {
      validator: (req: EndKeeperRequest) => {
        const reason = req?.reason;
        if (reason !== undefined && (typeof reason !== 'string' || reason.length > 200))
          throw new Error('end takes { reason?: string } (at most 200 characters, no secret)');
      },
    },
  );

  setHandler(
    invalidateUpdate,
    async (tokenSha256): Promise<InvalidateResult> => {
      if (!c.held) return { renewed: false, reason: 'no token is held' };
      if (c.held.sha256 !== tokenSha256) return { renewed: false, reason: 'not the current token: it was replaced already' };
      c.held.invalid = true;
      await refresh('invalidated by a caller');
      return { renewed: true, reason: 'the reported token was the current one: a new one is held now' };
    },
    {
      validator: (tokenSha256) => {
        if (typeof tokenSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(tokenSha256))
          throw new Error('invalidate takes the SHA-256 (64 hex digits) of the refused token, never the token');
      },
    },
  );

  publish();
  for (;;) {
    const now = Date.now();
    const idleAt = c.lastRequestAt + o.idleAfter;
    const due = c.held ? Math.max(c.held.invalid ? now : refreshPointMs(c.held), c.nextRetryAt ?? 0) : Infinity;
    if ((endReason !== null || now >= idleAt) && !refreshing) {
      ending = true;
      publish();
      await condition(allHandlersFinished);
      return status();
    }
    if (now >= due && !refreshing) {
      await refresh('refresh point').catch(() => undefined); // the old token is served meanwhile; retried after a backoff
      continue;
    }
    const tooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > o.historyLimit;
    if (tooLong()) {
      await condition(() => refreshing === null && allHandlersFinished());
      if (endReason !== null) continue;
      return spec.continueAsNew({ ...c, held: c.held });
    }
    // Woken by `end` only once no refresh runs (it ends at the top then): a wake-up that is already
    // true would spin this loop without ever yielding.
    await condition(() => tooLong() || (endReason !== null && !refreshing), Math.max(1, Math.min(idleAt, due) - now));
  }
}

/** A failed refresh as callers see it: the provider's own failure type, or ProviderUnavailable when it timed out. */
function typedFailure(err: unknown, signInTimeoutMs: number): ApplicationFailure {
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
