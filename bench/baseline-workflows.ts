// Baseline for the benchmark: the same shape as mptSignIn (three activities in sequence, a status
// query, search-attribute upserts) with activities that do nothing. What mptSignIn costs beyond
// this is our code: HTTP to the sandbox, PKCS#12, CMS, validation.
// baselineUpdateTarget is the baseline of the token keepers: a long-lived workflow answering a no-op
// Update, reached the same way (Update-with-Start, USE_EXISTING).
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { FlowTracker } from '../src/flows/runtime/flow-status.js';

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

export const BASELINE_PING_UPDATE = 'baselinePing';
export const BASELINE_STOP_SIGNAL = 'baselineStop';
const pingUpdate = defineUpdate<string, [unknown]>(BASELINE_PING_UPDATE);
const stopSignal = defineSignal(BASELINE_STOP_SIGNAL);

/**
 * The shape of a token keeper without its work: a long-lived workflow whose Update returns a constant
 * at once. Runs until the signal `baselineStop`; returns how many Updates it answered (over all its
 * runs). Continues as new only when the server suggests it (2000 Updates per run at most).
 */
export async function baselineUpdateTarget(answeredBefore = 0): Promise<number> {
  let answered = answeredBefore;
  let stop = false;
  setHandler(pingUpdate, () => {
    answered += 1;
    return 'pong';
  });
  setHandler(stopSignal, () => {
    stop = true;
  });
  await condition(() => stop || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  if (!stop) await continueAsNew<typeof baselineUpdateTarget>(answered);
  return answered;
}
