// The one place that binds every activity to its policy. Workflows take their activities from here,
// ready-proxied with the options of src/common/policies.ts, instead of writing `proxyActivities`
// lines that could pair an activity with another's policy. The compiler checks the table against
// the activity types: an activity without a policy, or a policy without an activity, does not build.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from './activities.js';
import { activityPolicies, type ActivityPolicy } from '../common/policies.js';

type ActivityName = keyof Activities;

// Every activity has a policy…
const policies: Record<ActivityName, ActivityPolicy> = activityPolicies;
// …and every policy an activity.
type UnknownPolicies = Exclude<keyof typeof activityPolicies, ActivityName>;
const everyPolicyHasAnActivity: [UnknownPolicies] extends [never] ? true : UnknownPolicies = true;
void everyPolicyHasAnActivity;

function bind<K extends ActivityName>(name: K): Activities[K] {
  // httpTimeout is for the activity itself (it reads it from the table), not a Temporal option.
  const { httpTimeout: _http, ...options } = policies[name];
  return proxyActivities<Activities>(options)[name];
}

/** Every activity, proxied with its own policy. */
export const activities = Object.fromEntries((Object.keys(activityPolicies) as ActivityName[]).map((name) => [name, bind(name)])) as {
  [K in ActivityName]: Activities[K];
};
