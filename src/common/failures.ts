// The one place that turns trustflow errors into Temporal failures, applied to every activity by the
// worker's interceptor (worker/activity-error-boundary.ts, where the error contract is written down);
// everything retry-related is decided by the error's own `retryable`/`retryAfterMs`, which the HTTP
// classifier (providers/http.ts) set.
import { ApplicationFailure } from '@temporalio/common';
import { TrustflowError } from './errors.js';

export function toApplicationFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof TrustflowError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type,
      nonRetryable: !err.retryable,
      ...(err.retryAfterMs !== undefined && err.retryable ? { nextRetryDelay: err.retryAfterMs } : {}),
    });
  }
  // Unknown errors keep Temporal's default (retryable) behaviour, but we never forward their
  // message blindly: it may quote a secret (a library echoing its input). Only the class name goes.
  const name = err instanceof Error ? err.name : typeof err;
  return ApplicationFailure.create({ message: `unexpected ${name} in activity`, type: 'InternalError' });
}
