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
