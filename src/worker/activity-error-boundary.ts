// The one error boundary of the activities, by construction: an activity interceptor the worker
// installs, so no activity maps its own errors and none can forget to.
//
// The error contract:
//  - Code below the activities (providers, crypto, secrets, codec) throws TrustflowError subclasses,
//    each with a stable FailureType, `retryable` and, where the provider said so, `retryAfterMs`. Their
//    messages are written to be shown: paths, references, provider codes, never secret values.
//  - Here every thrown error becomes an ApplicationFailure (common/failures.ts): the type and message
//    carried over, nonRetryable when the error is not retryable, nextRetryDelay from Retry-After.
//  - Anything else (a bug, a library's TypeError) stays retryable but its message is NOT forwarded
//    (it may quote its input): the failure says only its class, `InternalError`.
//  - An activity may throw an ApplicationFailure itself; it passes unchanged.
//  - Cancellation (CancelledFailure, an AbortError from the cancellation signal) passes unchanged, so
//    the SDK reports the activity as cancelled, not failed.
//  - Workflows decide on `type` only (rootApplicationFailure), never on message text.
import { CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { toApplicationFailure } from '../common/failures.js';

export const activityErrorBoundary: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        if (err instanceof CancelledFailure || (err as Error | undefined)?.name === 'AbortError') throw err;
        throw toApplicationFailure(err);
      }
    },
  },
});
