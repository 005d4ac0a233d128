// The one table of activity timeouts, retry policies and HTTP timeouts, and of the waits workflows
// make themselves. Workflows get their activity proxies bound to it (flows/activity-proxies.ts, checked
// against the activity types at compile time); activities take their HTTP timeout from it; nothing
// else sets a timeout or a retry policy. Pure data: safe to import in workflows.
import type { ActivityOptions, Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';

export interface ActivityPolicy extends ActivityOptions {
  /**
   * One HTTP request's timeout inside the activity. Below startToCloseTimeout, so a hung provider
   * ends in the activity's own "outcome unknown" handling (poll, look up by key, start over), not in
   * an activity timeout that skips it. Local activities (no provider call) have none.
   */
  httpTimeout?: Duration;
}

// Non-retryable failures (4xx, wrong password, contract violations) stop retries whatever the
// policy says: the activities mark them so. These policies govern transient failures only.
const transientHttp: ActivityOptions['retry'] = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 6,
};

export const activityPolicies = {
  /** GET /auth/key: safe to repeat, each call yields a fresh challenge. */
  mptFetchChallenge: { startToCloseTimeout: '15s', httpTimeout: '10s', retry: transientHttp },
  /**
   * Local CPU work: opening a PKCS#12 (PBKDF2, up to ~1.5 s for 100k iterations in node-forge)
   * and one RSA signature. Short timeout so a crashed worker's attempt is retried quickly.
   */
  mptSignChallenge: {
    startToCloseTimeout: '10s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
  },
  /**
   * POST /auth/simpleSignIn: a challenge is single-use, so a retry after an ambiguous failure
   * may be refused as "already used"; the workflow then starts over with a new challenge.
   */
  mptExchangeToken: { startToCloseTimeout: '15s', httpTimeout: '10s', retry: transientHttp },
  /** POST authenticate-by-cert: safe to repeat, each call issues a fresh random value. */
  konturAuthenticate: { startToCloseTimeout: '20s', httpTimeout: '10s', retry: transientHttp },
  /**
   * Decrypt (OpenSSL, ~20-40 ms) + POST approve-cert. approve-cert is single-use: after an ambiguous
   * failure it is never re-posted; the workflow starts again from authenticate-by-cert instead.
   */
  konturDecryptAndApprove: { startToCloseTimeout: '20s', httpTimeout: '10s', retry: { maximumAttempts: 1 } },
  /** POST sessions/refresh invalidates the old pair: not re-sent blindly; failure → full sign-in. */
  konturRefreshSession: { startToCloseTimeout: '15s', httpTimeout: '10s', retry: { maximumAttempts: 1 } },
  /** The same call for a session keeper's held pair: once; on failure the keeper signs in fully. */
  konturRefreshHeldSession: { startToCloseTimeout: '15s', httpTimeout: '10s', retry: { maximumAttempts: 1 } },
  /** GET /vendors (cached) and local checks of the photo and TLS identity; nothing billed. */
  kiscCheckRequest: { startToCloseTimeout: '30s', httpTimeout: '20s', retry: transientHttp },
  // Only while waiting for announced planned works; never fails (news it cannot read count as none,
  // or as the windows the flow says to assume).
  kiscMaintenanceWindows: { startToCloseTimeout: '30s', httpTimeout: '20s', retry: transientHttp },
  /**
   * POST /verify, billed. Safe to retry only because every retry asks GET /verify for the same key
   * first and re-posts with that key. Vendors can take seconds; heartbeats detect a dead worker fast.
   */
  kiscVerify: { startToCloseTimeout: '90s', heartbeatTimeout: '10s', httpTimeout: '30s', retry: transientHttp },
  /** POST /data with the verification's key: not billed as far as is known, so transient errors retry. */
  kiscFetchPersonalData: { startToCloseTimeout: '30s', httpTimeout: '20s', retry: transientHttp },
  /** The transactions report: a read-only GET. */
  kiscTransactions: { startToCloseTimeout: '60s', httpTimeout: '30s', retry: transientHttp },
  /** Visibility queries on our own Temporal namespace. */
  kiscRecordedVerifications: { startToCloseTimeout: '60s', retry: transientHttp },
  /**
   * Cipher ticket steps. 503 (service not started) and 400 (ticket gone) are not retried here: the
   * workflow waits for the service (visible in its status) or starts again with a new ticket.
   * POST /ticket is not idempotent: a retry after a lost answer may leave one ticket behind.
   */
  cipherCreateTicket: { startToCloseTimeout: '30s', httpTimeout: '20s', retry: transientHttp },
  cipherUploadData: { startToCloseTimeout: '60s', httpTimeout: '30s', retry: transientHttp },
  cipherSetOptions: { startToCloseTimeout: '30s', httpTimeout: '20s', retry: transientHttp },
  cipherUploadKeyStore: { startToCloseTimeout: '30s', httpTimeout: '20s', retry: transientHttp },
  cipherCheckKeyStore: { startToCloseTimeout: '60s', httpTimeout: '30s', retry: transientHttp },
  /** Never re-sent on the same ticket: an unknown outcome is resolved by polling the status. */
  cipherStartSigning: { startToCloseTimeout: '30s', httpTimeout: '20s', retry: { maximumAttempts: 1 } },
  /** Read-only polling, bounded by the flow's maxSigningSeconds inside; heartbeats every poll. */
  cipherAwaitSignature: { startToCloseTimeout: '65m', heartbeatTimeout: '15s', httpTimeout: '10s', retry: transientHttp },
  /** Cleanup on every path (in a non-cancellable scope). */
  cipherDeleteTicket: { startToCloseTimeout: '30s', httpTimeout: '20s', retry: transientHttp },
  /** Resolves the shard holders' password references (nothing leaves the activity). */
  kpsisCheckPasswords: { startToCloseTimeout: '15s', retry: { maximumAttempts: 3 } },
  /**
   * POST gencertreq makes a new key on every call: never retried here (a timed-out attempt may have
   * made a key). "Never sent" errors come back as ServiceNotRunning and the workflow tries again.
   */
  kpsisGenerate: { startToCloseTimeout: '5m', httpTimeout: '120s', retry: { maximumAttempts: 1 } },
  kpsisNotifyPending: { startToCloseTimeout: '30s', httpTimeout: '10s', retry: transientHttp },
  kpsisStoreCertificate: { startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } },
  /**
   * A person's CMS checked before an Update accepts it (local CPU: one signature, one chain). The page
   * waits on it, so it is short; a bad CMS is a verdict, not a failure.
   */
  personSignatureCheck: {
    startToCloseTimeout: '10s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3 },
  },
  /** Local: the worker has signing page settings, the CA bundle reads. */
  personSigningPreflight: { startToCloseTimeout: '10s', retry: { maximumAttempts: 2 } },
  /** The signing link (request or reminder) through the alert sink; an undeliverable reminder is a warning. */
  personSigningNotify: {
    startToCloseTimeout: '30s',
    httpTimeout: '10s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  },
  /**
   * One alert to the log and the webhook. Bounded: when the receiver stays down the alert is not
   * marked sent, and the watch's next check delivers it again under the same alertId.
   */
  alertDeliver: {
    startToCloseTimeout: '30s',
    httpTimeout: '10s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  },
  /**
   * `trustflow credentials test-alert`: a person waits for the answer, so a short retry (3 attempts,
   * 1 s then 2 s apart, 5 s each: about 20 s at worst); the last attempt returns the outcome instead
   * of failing.
   */
  alertDeliverTest: {
    startToCloseTimeout: '10s',
    httpTimeout: '5s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 3 },
  },
  /** Reads a credential's files on the worker (PKCS#12 via node-forge or OpenSSL). A wrong password is not retried. */
  credentialInspect: { startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } },
  /** apply's check of one inventory entry; reports problems instead of failing. */
  credentialPreflight: { startToCloseTimeout: '60s', retry: { maximumAttempts: 2 } },
  /**
   * Asks every watch to check (Updates through the worker's client), heartbeating every 10 s. A
   * Cipher container's check may wait minutes for its service, hence the long start-to-close; a
   * dead worker is noticed by the heartbeat within a minute (a retry only repeats checks, which
   * never repeat alerts).
   */
  credentialsRequestChecks: { startToCloseTimeout: '30m', heartbeatTimeout: '1m', retry: { maximumAttempts: 3 } },
  /** Describes a renewal's issuance flow on our own namespace. */
  credentialRenewalStatus: { startToCloseTimeout: '30s', retry: transientHttp },
  /** Renames the <artifactsRoot>/current symlink. */
  credentialPromoteArtifacts: { startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } },
} as const satisfies Record<string, ActivityPolicy>;

export type ActivityName = keyof typeof activityPolicies;

/** The HTTP timeout of `activity` in ms; an activity that calls a provider without one is a bug. */
export function httpTimeoutMs(activity: string): number {
  const policy = (activityPolicies as Record<string, ActivityPolicy>)[activity];
  if (!policy?.httpTimeout) throw new Error(`no httpTimeout for activity ${activity} in the policy table (src/common/policies.ts)`);
  return msToNumber(policy.httpTimeout);
}

/**
 * How long a worker keeps exporting a credential's trustflow_credential_seconds_left without a newer
 * check: three intervals of the check schedule (6 h when the check does not say). Long enough that a
 * worker running every other check keeps its series; short enough that a retired credential's series
 * leave every worker that exported it (the one running the next check drops it at once).
 */
export const credentialGauge = { keptForChecks: 3, defaultCheckEveryMs: 6 * 3_600_000 } as const;

/** The waits workflows make themselves (durable timers), beside the activities' retry policies. */
export const workflowWaits = {
  /** Cipher answers 503 ("service not started"): wait 1 s, 2 s, 4 s … at most 30 s, up to the input's maxServiceWaitSeconds. */
  cipherServiceDown: { firstMs: 1000, maxMs: 30_000 },
  /** KPSIS surely not reached (nothing generated): try again after 2 s, 4 s … at most 30 s, this many times. */
  kpsisUnreachable: { attempts: 6, maxPauseMs: 30_000 },
  /**
   * A token keeper's next sign-in after failed ones (a failed sign-in, or a token with no more than
   * keeper.minValidity left): 5 s, doubling, at most 5 min. Until then callers without a usable
   * token get the last failure at once, and nothing signs in (getToken, invalidate, the refresh loop).
   */
  tokenKeeperRetry: { firstMs: 5_000, maxMs: 300_000 },
  /** KPSIS's wait for the CA: reminderEvery and giveUpAfter come from the input (defaults 1 day, 30 days). */
  /**
   * KISC's announced planned works: the defaults of kiscVerifyIdentity's maxMaintenanceWait (the
   * longest wait; works announced to end later fail the flow at once) and maintenanceRecheckEvery
   * (how often the news are read again while waiting, so a corrected or cancelled notice is seen).
   */
  kiscMaintenance: { maxWaitMs: 86_400_000, recheckEveryMs: 15 * 60_000 },
} as const;

/** The waits of the client helpers (src/client): how they find out, within seconds, that nothing will answer. */
export const clientWaits = {
  /**
   * Is a worker polling this task queue (DescribeTaskQueue)? The server stamps a poller when each
   * long poll starts and ends; a long poll lasts up to a minute (matching.longPollExpirationInterval),
   * so a live, idle worker's stamp can be that old: `liveWithinMs` adds margin for clock skew. The
   * server keeps listing a stopped worker for 5 min (matching.PollerHistoryTTL): older stamps count
   * as no worker. A worker that has just started may not have polled yet: asked again every
   * `retryEveryMs` for `graceMs` before failing. A positive answer is reused for `cacheMs` per
   * (client, queue), so a hot path (getMptToken per request) does not pay a round trip per call.
   */
  workerPoll: { liveWithinMs: 90_000, graceMs: 2_000, retryEveryMs: 250, cacheMs: 15_000 },
  /**
   * A keeper call that has not returned after `firstMs` (a token in hand takes milliseconds; a
   * sign-in takes seconds): the keeper is described and its own task queue checked, then every
   * `everyMs` while the call waits, so a keeper no worker runs fails its callers instead of hanging them.
   */
  keeperQueueCheck: { firstMs: 3_000, everyMs: 10_000 },
  /** After a keeper's transient refusal (continued as new, ending): asked again for this long beyond its signInTimeout. */
  keeperRetryForMs: 30_000,
  /** The wait between those tries: jittered, `firstMs` doubling to `maxMs`, so many callers spread out instead of retrying in step. */
  keeperRetryBackoff: { firstMs: 20, maxMs: 1_000 },
  /**
   * Refused by the server's in-flight Update limit (history.maxInFlightUpdates): asked again, with a
   * jittered backoff, for this long from the first refusal, then reported (ServerRefused, naming the
   * setting). Short: each refusal also aborts the Updates the server had admitted, so long retries
   * by many callers only feed each other's refusals.
   */
  keeperInFlightLimitRetryMs: 10_000,
  /** `end`: how long to wait for the keeper to close after its handlers finished. */
  keeperCloseMs: 15_000,
} as const;

/** The signing server's waits and limits (src/signing-page/): what a person's browser waits for, at most. */
export const signingPageWaits = {
  /**
   * The `personSigning` query: a workflow no worker runs would keep it until the server's own
   * timeout; past this the page is told "unavailable, try again in a minute" (503).
   */
  queryMs: 5_000,
  /** The `submitPersonSignature` Update: the flow checks the signature in an activity (chain, EKU) first. */
  submitMs: 60_000,
  /** A stopping server lets requests in flight finish for this long (a submit's wait and a margin), then closes. */
  stopGraceMs: 65_000,
  /** The API's limit per client address: a token bucket of `burst` requests, refilled at `perMinute`. */
  apiRate: { perMinute: 30, burst: 30 },
} as const;
