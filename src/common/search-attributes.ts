// Search attributes every flow sets, so operators can filter flows in the Web UI.
// Values are never secrets or PII: flow and provider names, step names, outcomes.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const searchAttributes = {
  flow: defineSearchAttributeKey('TrustflowFlow', SearchAttributeType.KEYWORD),
  provider: defineSearchAttributeKey('TrustflowProvider', SearchAttributeType.KEYWORD),
  step: defineSearchAttributeKey('TrustflowStep', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('TrustflowOutcome', SearchAttributeType.KEYWORD),
  /**
   * KISC: the verification's x-idempotency-key (a random UUID, not PII), set before the billed call,
   * and the time its result arrived. kiscReconcile compares these with KISC's transactions report.
   */
  kiscIdempotencyKey: defineSearchAttributeKey('KiscIdempotencyKey', SearchAttributeType.KEYWORD),
  kiscBilledAt: defineSearchAttributeKey('KiscBilledAt', SearchAttributeType.DATETIME),
  /** Whole days until the signing key's certificate expires (Cipher flows): `KeyExpiresInDays < 14`. */
  keyExpiresInDays: defineSearchAttributeKey('KeyExpiresInDays', SearchAttributeType.INT),
  /** Credential watches: `TrustflowCredentialState = 'expiring'`, `TrustflowCredentialNotAfter < '2027-01-01T00:00:00Z'`. */
  credentialState: defineSearchAttributeKey('TrustflowCredentialState', SearchAttributeType.KEYWORD),
  credentialKind: defineSearchAttributeKey('TrustflowCredentialKind', SearchAttributeType.KEYWORD),
  /** The earliest notAfter of the credential's certificates (its chain included). */
  credentialNotAfter: defineSearchAttributeKey('TrustflowCredentialNotAfter', SearchAttributeType.DATETIME),
} as const;

export const allSearchAttributeKeys = Object.values(searchAttributes);

/** What each search attribute holds, for callers and operators (contract/contract.json, docs). */
// Every key above has its line here (test/unit/contract-files.test.ts checks it).
export const searchAttributeMeanings: Readonly<Record<string, string>> = {
  TrustflowFlow: "The flow's workflow type (mptSignIn, ...), set by every trustflow workflow.",
  TrustflowProvider: 'The service the flow talks to: ismpt, kontur, kisc, cipher, kpsis.',
  TrustflowStep: "The flow's current step (the `status` query's step): e.g. TrustflowStep = 'waiting_for_signature'.",
  TrustflowOutcome: 'running, then succeeded, failed, not_matched (KISC) or timed_out (KPSIS).',
  KiscIdempotencyKey: "KISC: the verification's x-idempotency-key (a random UUID), set before the billed call.",
  KiscBilledAt: "KISC: when the verification's result arrived (the billed moment).",
  KeyExpiresInDays: "Cipher flows: whole days until the signing key's certificate expires (KeyExpiresInDays < 14).",
  TrustflowCredentialState: "Credential watches: the credential's state, e.g. 'expiring'.",
  TrustflowCredentialKind:
    "Credential watches: the credential's kind (pkcs12, mtls, certificate, cipher-container, kpsis-certificate, cryptopro-container).",
  TrustflowCredentialNotAfter: "Credential watches: the earliest notAfter of the credential's certificates (its chain included).",
};
