// The HTTP timeout of the running activity, from the policy table (src/common/policies.ts), where a
// unit test keeps each one below its activity's start-to-close timeout.
import { Context } from '@temporalio/activity';
import { httpTimeoutMs } from '../common/policies.js';

export function httpTimeout(): number {
  return httpTimeoutMs(Context.current().info.activityType);
}
