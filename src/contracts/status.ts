// What the `status` query of every flow returns. Step names and outcomes only: no secrets, no PII.
/**
 * not_matched: a verification ended normally with a negative answer (KISC similarity below the threshold).
 * timed_out: a durable wait ended without its event (KPSIS: no certificate within giveUpAfter).
 */
export type FlowOutcome = 'running' | 'succeeded' | 'not_matched' | 'timed_out' | 'failed';

export interface FlowStatus<Step extends string = string> {
  flow: string;
  step: Step;
  outcome: FlowOutcome;
  /** 1-based attempt of the flow's inner loop (e.g. which challenge), where it has one. */
  attempt: number;
  /** Failure type and message when outcome is 'failed' (messages are secret-free by construction). */
  error?: { type: string; message: string };
  /** Workflow time of the last step change, ISO 8601. */
  updatedAt: string;
  /** What the flow is waiting for right now, when it is not its own step (e.g. a provider's service that is down). */
  note?: string;
  /** Warnings to act on (e.g. a key that expires in under 14 days), in the provider's words. */
  warnings?: string[];
}

export const STATUS_QUERY_NAME = 'status';
