// KISC identity-exchange activities. The billed call (POST /verify) is made exactly once per
// idempotency key: the workflow creates the key before the first attempt, and every retry of
// kiscVerify first asks GET /verify for that key's result, re-posting (with the same key) only when
// KISC has none. Photos are read here from their reference and never returned; personal data is
// trimmed here to the requested fields, so nothing else enters history (which the codec encrypts).
//
// This file binds them; they live beside it: verify.activities.ts (kiscVerifyIdentity's steps),
// reconcile.activities.ts (kiscReconcile's two records) and client.activities.ts (what they share).
import type { KiscDeps } from './client.activities.js';
import { kiscCheckRequest, kiscFetchPersonalData, kiscMaintenanceWindows, kiscVerify } from './verify.activities.js';
import { kiscRecordedVerifications, kiscTransactions } from './reconcile.activities.js';
import { resolveSecret as defaultResolveSecret, type SecretResolver } from '../../secrets/resolve.js';

export type { KiscPhotoCheck, KiscVerification } from './verify.activities.js';

export interface KiscActivityDeps {
  resolveSecret?: SecretResolver;
  now?: () => Date;
  /** How long GET /vendors answers are reused (ms). */
  vendorsCacheMs?: number;
}

/** Every KISC activity, by the name workflows call it. */
export function createKiscActivities(deps: KiscActivityDeps = {}) {
  const d: KiscDeps = {
    resolveSecret: deps.resolveSecret ?? defaultResolveSecret,
    now: deps.now ?? (() => new Date()),
    vendorsCacheMs: deps.vendorsCacheMs ?? 10 * 60_000,
    vendorsCache: new Map(),
  };
  function withDeps<I, R>(activity: (d: KiscDeps, input: I) => R): (input: I) => R {
    return (input) => activity(d, input);
  }
  return {
    kiscCheckRequest: withDeps(kiscCheckRequest),
    kiscMaintenanceWindows: withDeps(kiscMaintenanceWindows),
    kiscVerify: withDeps(kiscVerify),
    kiscFetchPersonalData: withDeps(kiscFetchPersonalData),
    kiscTransactions: withDeps(kiscTransactions),
    kiscRecordedVerifications,
  };
}

export type KiscActivities = ReturnType<typeof createKiscActivities>;
