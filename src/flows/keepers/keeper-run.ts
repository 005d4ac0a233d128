// One run of a token keeper (token-keeper.ts wires it to its handlers): what it holds and counts,
// the one refresh, the handlers' bodies and the run loop. Workflow code: deterministic, every wait
// a durable timer or condition.
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  metricMeter,
  patched,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../../common/errors.js';
import { workflowWaits } from '../../common/policies.js';
import { searchAttributes } from '../../common/search-attributes.js';
import type {
  EndKeeperRequest,
  EndKeeperResult,
  InvalidateResult,
  KeeperOptions,
  KeeperState,
  KeeperStatus,
} from './token-keeper.contract.js';
import { sha256Hex, typedFailure, type GetTokenRequest, type Held, type KeeperCarried, type KeeperSpec } from './token-keeper.js';

/** Marks keepers whose run loop wakes when a handler's refresh brings a new token (see run()). */
export const KEEPER_WAKE_ON_NEW_TOKEN_PATCH = 'trustflow-keeper-wake-on-new-token';

/** signAhead's default: the link goes out 2 h before the person's token expires. */
const PERSON_SIGN_AHEAD_MS = 2 * 3_600_000;

/** What a run starts from: the carried state, with defaults for a first run and fields added since. */
function carriedState<T>(carried: KeeperCarried<T>): Required<KeeperCarried<T>> {
  return {
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
}

/** A new token callers could never be handed (no more than minValidity left): a failed refresh. */
function tooShort<T>(h: Held<T>, o: KeeperOptions): ApplicationFailure | undefined {
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
}

export class KeeperRun<T, G> {
  private readonly o: KeeperOptions;
  private readonly c: Required<KeeperCarried<T>>;
  private refreshing: Promise<void> | null = null;
  /** Workflow time the refresh under way started (a person keeper says since when it waits). */
  private refreshStartedAt = 0;
  /** The scope of the refresh under way: `end` cancels it. */
  private refreshScope: CancellationScope | null = null;
  private ending = false;
  /** Set by `end`: why the keeper was ended. */
  private endReason: string | null = null;
  /** getToken handlers waiting for a refresh. */
  private waiting = 0;
  private published: KeeperState | undefined;
  // trustflow_token_keeper_*: not emitted during replay, so each refresh and request counts once.
  private readonly metrics = {
    refreshes: metricMeter.createCounter('trustflow_token_keeper_refreshes', 'refreshes', 'Token keeper refreshes by outcome'),
    requests: metricMeter.createCounter('trustflow_token_keeper_requests', 'requests', 'getToken Updates received'),
  };

  /** `rules`: started under KEEPER_RULES_PATCH (lifetime and backoff rules); older keepers replay without. */
  constructor(
    private readonly spec: KeeperSpec<T, G>,
    carried: KeeperCarried<T>,
    private readonly rules: boolean,
  ) {
    this.o = spec.options;
    this.c = carriedState(carried);
  }

  private usable(h: Held<T> | null): h is Held<T> {
    return h !== null && !h.invalid && h.expiresAtMs - Date.now() > this.o.minValidity;
  }

  private refreshPointMs(h: Held<T>): number {
    const life = h.expiresAtMs - h.obtainedAtMs;
    // A person needs time to sign: the link goes out signAhead before expiry (at once for a shorter token).
    // Never in the first half of the token's life: a signAhead longer than the lifetime would ask again at once.
    if (this.spec.person) return Math.max(h.obtainedAtMs + life / 2, h.expiresAtMs - (this.o.signAhead ?? PERSON_SIGN_AHEAD_MS));
    const unit = parseInt(h.sha256.slice(0, 8), 16) / 2 ** 32;
    return h.obtainedAtMs + life * this.o.refreshAt - life * this.o.refreshJitter * unit;
  }

  private stateOf(): KeeperState {
    const { c } = this;
    return this.ending ? 'ending' : this.refreshing ? 'refreshing' : c.held === null ? 'empty' : this.usable(c.held) ? 'valid' : 'expired';
  }

  publish(): void {
    const state = this.stateOf();
    if (state === this.published) return;
    this.published = state;
    upsertSearchAttributes([
      { key: searchAttributes.flow, value: this.spec.flow },
      { key: searchAttributes.provider, value: this.spec.provider },
      { key: searchAttributes.step, value: state },
    ]);
  }

  status(): KeeperStatus {
    const { c } = this;
    return {
      provider: this.spec.provider,
      state: this.stateOf(),
      expiresAt: c.held ? new Date(c.held.expiresAtMs).toISOString() : null,
      obtainedAt: c.held ? new Date(c.held.obtainedAtMs).toISOString() : null,
      refreshAt: c.held ? new Date(this.refreshPointMs(c.held)).toISOString() : null,
      lastRefreshAt: c.lastRefreshAt,
      refreshes: c.refreshes,
      signIns: c.signIns,
      lastError: c.lastError,
      lastErrorType: c.lastErrorType,
      failures: c.failures,
      nextRetryAt: c.nextRetryAt === null ? null : new Date(c.nextRetryAt).toISOString(),
      endReason: this.endReason,
      lastRequestAt: new Date(c.lastRequestAt).toISOString(),
      requests: c.requests,
      runs: c.runs,
    };
  }

  /** While a failed refresh waits for its retry time: the last failure, again, at once. */
  private backingOff(): boolean {
    return !this.refreshing && this.c.nextRetryAt !== null && Date.now() < this.c.nextRetryAt;
  }

  private backoffFailure(): ApplicationFailure {
    return ApplicationFailure.create({
      type: this.c.lastErrorType ?? FailureType.ProviderUnavailable,
      message: `no valid token: the last sign-in failed (${this.c.lastError}); the next attempt is after ${new Date(this.c.nextRetryAt!).toISOString()}`,
      nonRetryable: true,
    });
  }

  /** The one refresh: started if none runs, joined otherwise. Rejects with a typed failure. */
  private refresh(why: string): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (this.rules && this.backingOff()) return Promise.reject(this.backoffFailure());
    this.refreshStartedAt = Date.now();
    this.refreshing = this.refreshOnce(why);
    this.publish(); // 'refreshing', for the Web UI
    return this.refreshing;
  }

  private async refreshOnce(why: string): Promise<void> {
    const { c, spec } = this;
    let failure: ApplicationFailure;
    try {
      const scope = new CancellationScope();
      this.refreshScope = scope;
      const r = await scope.run(() => spec.obtain(c.held, ++c.seq));
      const held: Held<T> = {
        value: r.value,
        expiresAtMs: Date.parse(r.expiresAt),
        obtainedAtMs: Date.parse(r.obtainedAt),
        sha256: sha256Hex(spec.secretOf(r.value)),
        invalid: false,
      };
      const short = this.rules ? tooShort(held, this.o) : undefined;
      if (!short) {
        this.hold(held, r.signIn);
        log.info('token refreshed', { why, expiresAt: r.expiresAt, signIn: r.signIn });
        return;
      }
      if (r.signIn) c.signIns += 1;
      failure = short;
    } catch (err) {
      failure =
        this.endReason !== null && isCancellation(err)
          ? ApplicationFailure.create({
              type: FailureType.KeeperEnded,
              message: `keeper ${workflowInfo().workflowId} was ended (${this.endReason}) during its sign-in: ask again, a new keeper starts`,
              nonRetryable: true,
            })
          : typedFailure(err, this.o.signInTimeout);
    } finally {
      this.refreshScope = null;
      this.refreshing = null;
      this.publish();
    }
    if (failure.type !== FailureType.KeeperEnded) this.recordFailure(failure, why);
    throw failure;
  }

  private hold(held: Held<T>, signIn: boolean): void {
    const { c } = this;
    c.held = held;
    // A token a person signed for is not thrown away because callers were told to wait meanwhile.
    if (this.spec.person) c.lastRequestAt = Math.max(c.lastRequestAt, Date.now());
    c.refreshes += 1;
    this.metrics.refreshes.add(1, { provider: this.spec.provider, outcome: 'succeeded' });
    if (signIn) c.signIns += 1;
    c.lastRefreshAt = new Date().toISOString();
    c.lastError = null;
    c.lastErrorType = null;
    c.failures = 0;
    c.nextRetryAt = null;
  }

  /** A failed refresh: counted, and nothing signs in again before the retry time (5 s doubling, at most 5 min). */
  private recordFailure(failure: ApplicationFailure, why: string): void {
    const { c } = this;
    c.lastError = failure.message;
    c.lastErrorType = failure.type ?? null;
    c.failures += 1;
    this.metrics.refreshes.add(1, { provider: this.spec.provider, outcome: 'failed' });
    const retry = workflowWaits.tokenKeeperRetry;
    c.nextRetryAt = Date.now() + Math.min(retry.firstMs * 2 ** (c.failures - 1), retry.maxMs);
    log.warn('token refresh failed', { why, reason: failure.message, nextRetryAt: new Date(c.nextRetryAt).toISOString() });
  }

  /** The `getToken` Update: a usable token at once, else the one refresh in flight. */
  async getToken(_req: GetTokenRequest): Promise<unknown> {
    const { c, spec } = this;
    c.requests += 1;
    this.metrics.requests.add(1, { provider: spec.provider });
    c.lastRequestAt = Date.now();
    if (this.usable(c.held)) return spec.grant(c.held);
    if (!this.rules && this.backingOff()) throw this.backoffFailure();
    if (spec.person) {
      // Nobody waits on a person with an open call: the sign-in starts (the link goes out) and the caller is told.
      if (this.backingOff()) throw this.backoffFailure();
      this.refresh(c.held ? 'expired or invalidated' : 'first request').catch(() => undefined);
      throw this.waitingForPerson();
    }
    this.waiting += 1;
    try {
      await this.refresh(c.held ? 'expired or invalidated' : 'first request');
    } finally {
      this.waiting -= 1;
    }
    if (this.usable(c.held)) return spec.grant(c.held);
    throw ApplicationFailure.create({
      type: FailureType.ProviderUnavailable,
      message: 'the provider issued a token with less than minValidity left: lower keeper.minValidity or check its clock',
      nonRetryable: true,
    });
  }

  /** "No valid token: waiting for <role> to sign since …", for callers of a person keeper. */
  private waitingForPerson(): ApplicationFailure {
    const since = new Date(this.refreshStartedAt || Date.now()).toISOString();
    return ApplicationFailure.create({
      type: FailureType.WaitingForSigner,
      message: `no valid token: keeper ${workflowInfo().workflowId} is waiting for the ${this.spec.person!.role} to sign since ${since} (the signing link went out through the alert sink); ask again later`,
      nonRetryable: true,
    });
  }

  validateGetToken(req: GetTokenRequest): void {
    if (this.ending)
      throw new Error(
        this.endReason === null
          ? 'this keeper is ending (idle): ask again, a new one starts'
          : `this keeper is ending (ended: ${this.endReason}): ask again, a new one starts`,
      );
    if (req?.inputSha256 && this.c.inputSha256 && req.inputSha256 !== this.c.inputSha256)
      throw new Error(
        `keeper ${workflowInfo().workflowId} runs with another input (keeper options or the password reference differ): use the same input, ` +
          `or replace the keeper with yours: trustflow token reset ${this.spec.provider} --input FILE (resetTokenKeeper)`,
      );
    // Refused in the validator, so the calls made while a person has not signed yet leave no history.
    if (this.spec.person && this.refreshing && !this.usable(this.c.held)) throw this.waitingForPerson();
  }

  /** The `end` Update: refuses new callers, cancels a sign-in under way, answers once the others finished. */
  async end(req: EndKeeperRequest): Promise<EndKeeperResult> {
    const first = this.endReason === null;
    const signInCancelled = first && this.refreshScope !== null;
    const waitingCallersFailed = signInCancelled ? this.waiting : 0;
    if (first) {
      this.endReason = req?.reason || 'ended on request';
      this.ending = true;
      this.refreshScope?.cancel();
      log.info('keeper ending on request', { reason: this.endReason, signInCancelled });
      this.publish();
    }
    await condition(() => this.refreshing === null && this.waiting === 0);
    return { status: this.status(), signInCancelled, waitingCallersFailed };
  }

  /** The `invalidate` Update: only the current token's hash starts a refresh, once. */
  async invalidate(tokenSha256: string): Promise<InvalidateResult> {
    const { c } = this;
    if (!c.held) return { renewed: false, reason: 'no token is held' };
    if (c.held.sha256 !== tokenSha256) return { renewed: false, reason: 'not the current token: it was replaced already' };
    c.held.invalid = true;
    if (this.spec.person) {
      // The new token needs the person: the caller is not held for hours; the link goes out now.
      this.refresh('invalidated by a caller').catch(() => undefined);
      return {
        renewed: false,
        reason: `the token is marked invalid; the keeper is waiting for the ${this.spec.person.role} to sign for a new one`,
      };
    }
    await this.refresh('invalidated by a caller');
    return { renewed: true, reason: 'the reported token was the current one: a new one is held now' };
  }

  /** Refreshes at the refresh point, ends when idle or ended, continues as new past historyLimit. */
  async run(): Promise<KeeperStatus> {
    const { c, o } = this;
    // A token a handler obtained (the first request's) moves the refresh point: wake for it. Keepers
    // started before this replay as they ran (they woke at the idle time, or when a caller refreshed).
    const wakeOnNewToken = patched(KEEPER_WAKE_ON_NEW_TOKEN_PATCH);
    for (;;) {
      const now = Date.now();
      const idleAt = c.lastRequestAt + o.idleAfter;
      const due = c.held ? Math.max(c.held.invalid ? now : this.refreshPointMs(c.held), c.nextRetryAt ?? 0) : Infinity;
      if ((this.endReason !== null || now >= idleAt) && !this.refreshing) {
        this.ending = true;
        this.publish();
        await condition(allHandlersFinished);
        return this.status();
      }
      if (now >= due && !this.refreshing) {
        await this.refresh('refresh point').catch(() => undefined); // the old token is served meanwhile; retried after a backoff
        continue;
      }
      const tooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > o.historyLimit;
      if (tooLong()) {
        await condition(() => this.refreshing === null && allHandlersFinished());
        if (this.endReason !== null) continue;
        return this.spec.continueAsNew({ ...c, held: c.held });
      }
      // Woken by `end` only once no refresh runs (it ends at the top then): a wake-up that is already
      // true would spin this loop without ever yielding.
      if (this.spec.person && this.refreshing) {
        // A person's sign-in takes as long as they take: wait for it (or an end, or a full history), no timers.
        await condition(() => !this.refreshing || tooLong() || this.endReason !== null);
        continue;
      }
      const heldAtWait = c.held;
      await condition(
        () => tooLong() || (this.endReason !== null && !this.refreshing) || (wakeOnNewToken && c.held !== heldAtWait && !this.refreshing),
        Math.max(1, Math.min(idleAt, due) - now),
      );
    }
  }
}
