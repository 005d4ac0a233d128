// Public contract of the token keepers: one long-lived workflow per (provider, stand, participant) that
// holds the current IS MPT token / Kontur session and hands it to every caller.
//   mptTokenKeeper       input: mptSignIn's input + keeper options; refreshes by a new mptSignIn
//   konturSessionKeeper  input: konturSignIn's input + keeper options; refreshes with the held
//                        refresh token first, a full konturSignIn when the pair is spent
// Callers use the Update `getToken` through Update-with-Start (the first caller starts the keeper),
// `invalidate` with the SHA-256 of a token the provider refused (401), and `end` to close a keeper
// (e.g. one started with a wrong input) without waiting for it to idle. Ids: workflowIds.tokenKeeper.
// The token lives in the keeper's history (Update results, carried state): through the codec only.
// Pure (zod only): workflow-safe.
import { z } from 'zod';
import { DurationSchema, strictObject } from '../../contracts/fields.js';
import { KonturSignInInputSchema } from '../kontur/kontur-sign-in.contract.js';
import { MptSignInInputSchema } from '../ismpt/mpt-sign-in.contract.js';

export const MPT_TOKEN_KEEPER = 'mptTokenKeeper';
export const KONTUR_SESSION_KEEPER = 'konturSessionKeeper';
export const GET_TOKEN_UPDATE = 'getToken';
export const INVALIDATE_UPDATE = 'invalidate';
export const KEEPER_STATUS_QUERY = 'keeperStatus';
export const END_KEEPER_UPDATE = 'end';

/** The most a keeper may demand left on a token it hands out: more is a unit slip ('30000m'), not a wish. */
export const MAX_MIN_VALIDITY_MS = 24 * 3600_000;

const keeperOptionsShape = {
  /** Refresh at this fraction of the token's life (default 2/3)… */
  refreshAt: z
    .number()
    .gt(0)
    .lt(1)
    .default(2 / 3),
  /** …up to this fraction of the life earlier, fixed per token (default 5%). */
  refreshJitter: z.number().min(0).max(0.2).default(0.05),
  /** A token with less than this left is never handed out (default 30s). */
  minValidity: DurationSchema.default(30_000),
  /** The keeper ends when nobody asked for a token this long (default 1h). */
  idleAfter: DurationSchema.default(3_600_000),
  /** One sign-in's bound; a caller without a valid token gets a failure after at most this (default 60s). */
  signInTimeout: DurationSchema.default(60_000),
  /** Continue-as-new past this many history events (default 2000). */
  historyLimit: z.number().int().min(50).max(40_000).default(2000),
  /**
   * Person signers only: how long before the token's expiry the signing link goes out (default 2h).
   * The old token is served until it expires; then callers are told the keeper waits for the person.
   */
  signAhead: DurationSchema.optional(),
};

/** How a keeper refreshes, idles and waits. Every field has a default. */
export const KeeperOptionsSchema = strictObject({
  ...keeperOptionsShape,
  minValidity: DurationSchema.refine((ms) => ms <= MAX_MIN_VALIDITY_MS, {
    message: 'must be at most 1d: a keeper hands out a token only while this much of its life is left',
  }).default(30_000),
});
export type KeeperOptions = z.output<typeof KeeperOptionsSchema>;

/**
 * keeper.minValidity must be below the token's lifetime where the input says it (IS MPT's
 * defaultTokenTtlSeconds, Kontur's sessionTtlSeconds): otherwise no token could ever be handed out,
 * and every call would sign in. A token whose lifetime turns out shorter is refused at run time.
 */
function minValidityBelowLifetime(lifetimeField: string) {
  return (v: { keeper: KeeperOptions; signIn: Record<string, unknown> }, ctx: z.core.$RefinementCtx) => {
    const lifetimeMs = (v.signIn[lifetimeField] as number) * 1000;
    if (v.keeper.minValidity >= lifetimeMs)
      ctx.addIssue({
        code: 'custom',
        path: ['keeper', 'minValidity'],
        message: `must be below the token's lifetime (signIn.${lifetimeField}: ${lifetimeMs / 1000} s), or no token could ever be handed out; the default is 30s`,
      });
  };
}

export const MptTokenKeeperInputSchema = strictObject({
  signIn: MptSignInInputSchema,
  keeper: KeeperOptionsSchema.prefault({}),
})
  .superRefine(minValidityBelowLifetime('defaultTokenTtlSeconds'))
  .superRefine((v, ctx) => {
    const signer = v.signIn.signer;
    const person = signer.kind === 'person';
    // The keeper's id names the participant: for a person that is the caller's key for them, never their IIN.
    if (signer.kind === 'person' && !signer.notify?.recipient)
      ctx.addIssue({
        code: 'custom',
        path: ['signIn', 'signer', 'notify', 'recipient'],
        message: "is required for a keeper whose signer is a person: your own key for the person (e.g. 'seller-1042'); it names the keeper",
      });
    if (!person && v.keeper.signAhead !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['keeper', 'signAhead'],
        message: 'is for person signers only: leave it out (key files refresh at keeper.refreshAt)',
      });
  });
export type MptTokenKeeperInput = z.input<typeof MptTokenKeeperInputSchema>;

/** The keeper signs in itself: an input `session` to refresh makes no sense here. */
const konturSignInOfKeeper = KonturSignInInputSchema.refine((s) => s.session === undefined, {
  message: 'leave session out: the keeper holds and refreshes its own session',
  path: ['session'],
});
export const KonturSessionKeeperInputSchema = strictObject({
  signIn: konturSignInOfKeeper,
  keeper: KeeperOptionsSchema.prefault({}),
}).superRefine(minValidityBelowLifetime('sessionTtlSeconds'));
export type KonturSessionKeeperInput = z.input<typeof KonturSessionKeeperInputSchema>;

/**
 * The inputs as keepers started before the lifetime rules read them (no bound on minValidity):
 * only for replaying those keepers as they ran (KEEPER_RULES_PATCH in flows/keepers/token-keeper.ts).
 */
export const keeperInputSchemasBeforeRules = {
  mpt: strictObject({ signIn: MptSignInInputSchema, keeper: strictObject(keeperOptionsShape).prefault({}) }),
  kontur: strictObject({ signIn: konturSignInOfKeeper, keeper: strictObject(keeperOptionsShape).prefault({}) }),
};

/** What `getToken` returns from an IS MPT keeper. `token` is secret: through the codec only. */
export interface MptTokenGrant {
  token: string;
  expiresAt: string;
  obtainedAt: string;
  /** SHA-256 (hex) of the token: what `invalidate` takes. */
  tokenSha256: string;
}

/**
 * What `getToken` returns from a Kontur keeper: the session id. The refresh token stays in the keeper:
 * a caller that refreshed would spend the pair under every other caller.
 */
export interface KonturSessionGrant {
  sid: string;
  expiresAt: string;
  obtainedAt: string;
  /** SHA-256 (hex) of the sid: what `invalidate` takes. */
  tokenSha256: string;
}

export interface InvalidateResult {
  /** true: it was the current token, and a new one is held now; false: ignored (why). */
  renewed: boolean;
  reason: string;
}

/** The Update `end`: the keeper stops handing out tokens, cancels a sign-in under way, and closes. */
export interface EndKeeperRequest {
  /** Why (kept in the keeper's status and told to waiting callers): no secret, at most 200 characters. */
  reason?: string;
}

/** What `end` answers once the keeper's other handlers have finished (it closes right after). */
export interface EndKeeperResult {
  /** The keeper's status as it ends. */
  status: KeeperStatus;
  /** A sign-in was under way and was cancelled (its child workflow ends cancelled, nothing orphaned). */
  signInCancelled: boolean;
  /** Callers that were waiting for that sign-in: they got a KeeperEnded failure. */
  waitingCallersFailed: number;
}

export type KeeperState = 'empty' | 'valid' | 'refreshing' | 'expired' | 'ending';

/** The keeper's status query: no secret. */
export interface KeeperStatus {
  provider: 'ismpt' | 'kontur';
  state: KeeperState;
  expiresAt: string | null;
  obtainedAt: string | null;
  /** When the next proactive refresh is due. */
  refreshAt: string | null;
  lastRefreshAt: string | null;
  /** Refreshes that produced a token (full sign-ins and Kontur refreshes). */
  refreshes: number;
  /** Full sign-ins among them. */
  signIns: number;
  lastError: string | null;
  /** The failure type of the last failed refresh (e.g. SecretUnavailable, InvalidInput). */
  lastErrorType?: string | null;
  /** After how many failed refreshes in a row, and when the next one may sign in (backoff). */
  failures?: number;
  nextRetryAt?: string | null;
  /** Why the keeper was ended (`end`), when it was. */
  endReason?: string | null;
  lastRequestAt: string | null;
  requests: number;
  runs: number;
}
