// The credential watch's state (what it knows, carried across continue-as-new and removal) and the
// state a run starts from. Types and pure functions: workflow-safe.
import type { TrustflowAlert } from '../../contracts/alert.js';
import type { AlertDeliveryError, CredentialConfig, CredentialStatus, InspectedCertificate } from './credential-watch.contract.js';

export type WatchedCertificate = InspectedCertificate & { tiersSent: string[] };

export interface Renewal {
  attempt: number;
  workflowId: string;
  artifactsDir: string;
  /** The leaf this renewal replaces. */
  forCertificate: string;
  state: 'running' | 'failed' | 'issued';
  failures: number;
  /** After a failure: when the next attempt may start (ms, workflow time). */
  retryAt: number | null;
}

/** Everything a watch knows; carried whole into the next run at continue-as-new. */
export interface WatchState {
  config: CredentialConfig;
  /** kpsis-certificate: the artifacts in use (the entry's, until a renewal replaces them). */
  artifactsDir: string | null;
  certificates: WatchedCertificate[];
  leafId: string | null;
  /** Episodes of certificates no longer held: kept so a file put back does not alert again. */
  closed: WatchedCertificate[];
  unreadable: { episode: number; reason: string; sent: boolean } | null;
  unreadableEpisodes: number;
  acknowledged: { at: string; note: string | null; leafId: string | null } | null;
  renewal: Renewal | null;
  serviceWarnings: string[];
  /** Decided but not yet delivered (the sink was down): sent again at the next check. */
  undelivered: { alert: TrustflowAlert; certificateId: string | null }[];
  /** The last time the sink did not take an alert (kept, with its time, after later successes). */
  lastDeliveryError: AlertDeliveryError | null;
  checks: number;
  alertsSent: number;
  lastCheckAt: string | null;
  lastError: string | null;
  retired: boolean;
}

export interface CredentialWatchInput {
  config: CredentialConfig;
  /** Set by continue-as-new only. */
  state?: WatchState;
  /** The final state of this credential's retired watch, when `apply` adds it back (its `carry`). */
  previous?: WatchState;
  /** Continue-as-new past this many history events (default 2000; tests use fewer). */
  historyLimit?: number;
}

/** What a retired watch returns: its status, and the whole state a watch started later for the same id takes over. */
export type CredentialWatchResult = CredentialStatus & { carry?: WatchState };

export const CLOSED_KEPT = 20;
export const NOT_YET_VALID = 'not-yet-valid';
export const NOT_YET_VALID_PATCH = 'credential-watch-not-yet-valid-alert';

function freshState(config: CredentialConfig): WatchState {
  return {
    config,
    artifactsDir: config.entry.kind === 'kpsis-certificate' ? config.entry.artifactsDir : null,
    certificates: [],
    leafId: null,
    closed: [],
    unreadable: null,
    unreadableEpisodes: 0,
    acknowledged: null,
    renewal: null,
    serviceWarnings: [],
    undelivered: [],
    lastDeliveryError: null,
    checks: 0,
    alertsSent: 0,
    lastCheckAt: null,
    lastError: null,
    retired: false,
  };
}

/**
 * The state a run starts from: carried by continue-as-new, or taken over from a retired watch of the
 * same id (everything it knew and sent, under the entry as applied now), or fresh. States written by
 * older versions get the fields added since.
 */
export function initialState(input: CredentialWatchInput): WatchState {
  if (input.state) return { ...freshState(input.config), ...input.state };
  const prev = input.previous;
  if (!prev || prev.config?.entry?.id !== input.config.entry.id) return freshState(input.config);
  const s: WatchState = { ...freshState(input.config), ...prev, config: input.config, retired: false };
  // As for reconfigure: the entry now names other artifacts than it did when retired: they win.
  const before = prev.config.entry;
  const now = input.config.entry;
  if (now.kind !== 'kpsis-certificate') s.artifactsDir = null;
  else if (before.kind !== 'kpsis-certificate' || before.artifactsDir !== now.artifactsDir) s.artifactsDir = now.artifactsDir;
  return s;
}
