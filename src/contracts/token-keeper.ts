// Public contract of the token keepers: one long-lived workflow per (provider, stand, participant) that
// holds the current IS MPT token / Kontur session and hands it to every caller.
//   mptTokenKeeper       input: mptSignIn's input + keeper options; refreshes by a new mptSignIn
//   konturSessionKeeper  input: konturSignIn's input + keeper options; refreshes with the held
//                        refresh token first, a full konturSignIn when the pair is spent
// Callers use the Update `getToken` through Update-with-Start (the first caller starts the keeper), and
// `invalidate` with the SHA-256 of a token the provider refused (401). Ids: workflowIds.tokenKeeper.
// The token lives in the keeper's history (Update results, carried state): through the codec only.
// Pure (zod only): workflow-safe.
import { z } from 'zod';
import { DurationSchema, strictObject } from './fields.js';
import { KonturSignInInputSchema } from './kontur-sign-in.js';
import { MptSignInInputSchema } from './mpt-sign-in.js';

export const MPT_TOKEN_KEEPER = 'mptTokenKeeper';
export const KONTUR_SESSION_KEEPER = 'konturSessionKeeper';
export const GET_TOKEN_UPDATE = 'getToken';
export const INVALIDATE_UPDATE = 'invalidate';
export const KEEPER_STATUS_QUERY = 'keeperStatus';

/** How a keeper refreshes, idles and waits. Every field has a default. */
export const KeeperOptionsSchema = strictObject({
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
});
export type KeeperOptions = z.output<typeof KeeperOptionsSchema>;

export const MptTokenKeeperInputSchema = strictObject({ signIn: MptSignInInputSchema, keeper: KeeperOptionsSchema.prefault({}) });
export type MptTokenKeeperInput = z.input<typeof MptTokenKeeperInputSchema>;

/** The keeper signs in itself: an input `session` to refresh makes no sense here. */
export const KonturSessionKeeperInputSchema = strictObject({
  signIn: KonturSignInInputSchema.refine((s) => s.session === undefined, {
    message: 'leave session out: the keeper holds and refreshes its own session',
    path: ['session'],
  }),
  keeper: KeeperOptionsSchema.prefault({}),
});
export type KonturSessionKeeperInput = z.input<typeof KonturSessionKeeperInputSchema>;

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
  lastRequestAt: string | null;
  requests: number;
  runs: number;
}
