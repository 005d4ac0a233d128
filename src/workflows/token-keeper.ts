// The engine both token keepers run (mpt-token-keeper.ts, kontur-session-keeper.ts): hold the current
// token, hand it out through the Update `getToken`, refresh it before expiry, and never run two
// refreshes at once.
//   - getToken: a usable token (not invalidated, more than minValidity left) at once; otherwise the one
//     refresh in flight (started if none), every caller waiting on the same one. A refresh that fails
//     while the token is gone: a typed failure, bounded by signInTimeout; while a failed refresh waits
//     for its retry, callers get the failure at once instead of starting sign-ins of their own.
//   - invalidate(sha256): only the current token's hash starts a refresh, once, however many report it.
//   - proactive refresh at refreshAt of the token's life (jittered per token); retries after failures
//     with backoff (5 s doubling, at most 5 min) while the old token is still served.
//   - ends when nobody asked for idleAfter; continues as new past historyLimit events. Both only once
//     running handlers have finished; everything is carried into the next run.
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  log,
  metricMeter,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { FailureType } from '../common/errors.js';
import { searchAttributes } from '../common/search-attributes.js';
import {
  GET_TOKEN_UPDATE,
  INVALIDATE_UPDATE,
  KEEPER_STATUS_QUERY,
  type InvalidateResult,
  type KeeperOptions,
  type KeeperState,
  type KeeperStatus,
} from '../contracts/token-keeper.js';
import { rootApplicationFailure } from './flow-status.js';

export const getTokenUpdate = defineUpdate<unknown, [GetTokenRequest]>(GET_TOKEN_UPDATE);
export const invalidateUpdate = defineUpdate<InvalidateResult, [string]>(INVALIDATE_UPDATE);
export const keeperStatusQuery = defineQuery<KeeperStatus>(KEEPER_STATUS_QUERY);

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

const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 300_000;

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
    failures: carried.failures ?? 0,
    nextRetryAt: carried.nextRetryAt ?? null,
  };
  let refreshing: Promise<void> | null = null;
  let ending = false;
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
  const refresh = (why: string): Promise<void> => {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      try {
        const r = await spec.obtain(c.held, ++c.seq);
        const secret = spec.secretOf(r.value);
        c.held = {
          value: r.value,
          expiresAtMs: Date.parse(r.expiresAt),
          obtainedAtMs: Date.parse(r.obtainedAt),
          sha256: sha256Hex(secret),
          invalid: false,
        };
        c.refreshes += 1;
        keeperMetrics.refreshes.add(1, { provider: spec.provider, outcome: 'succeeded' });
        if (r.signIn) c.signIns += 1;
        c.lastRefreshAt = new Date().toISOString();
        c.lastError = null;
        c.failures = 0;
        c.nextRetryAt = null;
        log.info('token refreshed', { why, expiresAt: r.expiresAt, signIn: r.signIn });
      } catch (err) {
        const failure = typedFailure(err, o.signInTimeout);
        c.lastError = failure.message;
        c.failures += 1;
        keeperMetrics.refreshes.add(1, { provider: spec.provider, outcome: 'failed' });
        c.nextRetryAt = Date.now() + Math.min(RETRY_FIRST_MS * 2 ** (c.failures - 1), RETRY_MAX_MS);
        log.warn('token refresh failed', { why, reason: failure.message, nextRetryAt: new Date(c.nextRetryAt).toISOString() });
        throw failure;
      } finally {
        refreshing = null;
        publish();
      }
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
      if (!refreshing && c.nextRetryAt !== null && Date.now() < c.nextRetryAt) {
        throw ApplicationFailure.create({
          type: FailureType.ProviderUnavailable,
          message: `no valid token: the last sign-in failed (${c.lastError}); the next attempt is after ${new Date(c.nextRetryAt).toISOString()}`,
          nonRetryable: true,
        });
      }
      await refresh(c.held ? 'expired or invalidated' : 'first request');
      if (usable(c.held)) return spec.grant(c.held);
      throw ApplicationFailure.create({
        type: FailureType.ProviderUnavailable,
        message: 'the provider issued a token with less than minValidity left: lower keeper.minValidity or check its clock',
        nonRetryable: true,
      });
    },
    {
      validator: (req: GetTokenRequest) => {
        if (ending) throw new Error('this keeper is ending (idle): ask again, a new one starts');
        if (req?.inputSha256 && c.inputSha256 && req.inputSha256 !== c.inputSha256)
          throw new Error(
            `keeper ${workflowInfo().workflowId} runs with another input (keeper options or the password reference differ): use the same input, or end it first (temporal workflow terminate)`,
          );
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
    if (now >= idleAt && !refreshing) {
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
      return spec.continueAsNew({ ...c, held: c.held });
    }
    await condition(tooLong, Math.max(1, Math.min(idleAt, due) - now));
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
