// Baseline for the benchmark: the same shape as mptSignIn (three activities in sequence, a status
// query, search-attribute upserts) with activities that do nothing. What mptSignIn costs beyond
// this is our code: HTTP to the sandbox, PKCS#12, CMS, validation.
import { proxyActivities } from '@temporalio/workflow';
import { FlowTracker } from '../src/workflows/flow-status.js';

export interface NoopActivities {
  noop(input: { n: number }): Promise<{ n: number }>;
}
const BASELINE = { workflowType: 'baseline', provider: 'none' };
const { noop } = proxyActivities<NoopActivities>({ startToCloseTimeout: '10s' });

export async function baselineThreeActivities(): Promise<number> {
  const tracker = new FlowTracker<'a' | 'b' | 'c' | 'done'>(BASELINE, 'a');
  let r = await noop({ n: 1 });
  tracker.step('b');
  r = await noop(r);
  tracker.step('c');
  r = await noop(r);
  tracker.succeeded('done');
  return r.n;
}

/** The same three activities without search-attribute upserts, to show what the upserts cost. */
export async function baselineNoSearchAttributes(): Promise<number> {
  let r = await noop({ n: 1 });
  r = await noop(r);
  r = await noop(r);
  return r.n;
}

/** The shape of konturSignIn: two activities in sequence, with status tracking. */
export async function baselineTwoActivities(): Promise<number> {
  const tracker = new FlowTracker<'a' | 'b' | 'done'>(BASELINE, 'a');
  let r = await noop({ n: 1 });
  tracker.step('b');
  r = await noop(r);
  tracker.succeeded('done');
  return r.n;
}

/** N no-op activities in sequence, with status tracking: the shape of longer flows (cipherSign: 8). */
export async function baselineActivities(count: number): Promise<number> {
  const tracker = new FlowTracker<string>(BASELINE, 'step-1');
  let r = { n: 1 };
  for (let i = 1; i <= count; i++) {
    if (i > 1) tracker.step(`step-${i}`);
    r = await noop(r);
  }
  tracker.succeeded('done');
  return r.n;
}
