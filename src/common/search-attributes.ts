// Search attributes every flow sets, so operators can filter flows in the Web UI.
// Values are never secrets or PII: flow and provider names, step names, outcomes.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const searchAttributes = {
  flow: defineSearchAttributeKey('TrustflowFlow', SearchAttributeType.KEYWORD),
  provider: defineSearchAttributeKey('TrustflowProvider', SearchAttributeType.KEYWORD),
  step: defineSearchAttributeKey('TrustflowStep', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('TrustflowOutcome', SearchAttributeType.KEYWORD),
} as const;

export const allSearchAttributeKeys = Object.values(searchAttributes);
