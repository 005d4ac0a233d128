// SIGTERM to a worker (the `npm run worker` entry point, as `docker stop` sends it) while KISC's
// billed verification is in flight. Within TRUSTFLOW_SHUTDOWN_GRACE_SECONDS the call finishes on the
// stopping worker and nothing is sent again; past it the call is cancelled, and the retry on the
// next worker asks GET /verify for the result instead of posting again. One billed row either way.
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { startFlow } from '../../src/client/flows.js';
import { sandboxAdmin } from '../../src/sandbox/index.js';
import { startCrashTestEnv, type CrashTestEnv } from '../helpers/crash-env.js';
import { kiscVerifyIdentity } from '../../src/flows/index.js';

const taskQueue = 'graceful-shutdown-test';
let t: CrashTestEnv;
let admin: string;
let n = 0;

before(async () => {
  t = await startCrashTestEnv(taskQueue);
  admin = t.sandbox.simulators.kisc.adminBaseUrl;
});
after(() => t?.stop());
beforeEach(() => sandboxAdmin(admin, 'reset'));

const state = () => sandboxAdmin(admin, 'state');
async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await ok()); i++) {
    assert.ok(i < 600, `${what}: not reached in 15 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('lets a billed call in flight finish within the grace time, then exits 0; nothing is sent twice', { timeout: 120_000 }, async () => {
  // KISC takes 2 s before it processes (and bills) the verification.
  await sandboxAdmin(admin, 'faults', { endpoint: 'POST /verify', action: 'delay', delayMs: 2000 });
  const first = await t.startWorker({ TRUSTFLOW_SHUTDOWN_GRACE_SECONDS: '20' });
  const handle = await startFlow(t.env.client, kiscVerifyIdentity, {
    workflowId: `graceful-${++n}`,
    input: t.sandbox.manifest.examples.kiscVerifyIdentity,
    taskQueue,
  });
  await until('POST /verify', async () => (await state()).calls['POST /verify'] === 1);
  const stoppedAt = Date.now();
  await first.kill('SIGTERM');
  assert.equal(first.child.exitCode, 0, first.output());
  assert.match(first.output(), /stopping; draining in-flight tasks \(up to 20 s\)/);
  assert.ok(Date.now() - stoppedAt < 15_000, 'the worker did not wait out the whole grace time');
  // The stopping worker completed the billed activity itself.
  const events = (await handle.fetchHistory()).events ?? [];
  const verifyScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'kiscVerify');
  const completed = events.find(
    (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(verifyScheduled?.eventId),
  );
  assert.ok(completed, 'kiscVerify completed on the worker that was stopping');
  assert.equal((await state()).billing.length, 1);

  const second = await t.startWorker();
  const result = await handle.result();
  assert.equal(result.outcome, 'verified');
  const s = await state();
  assert.deepEqual(s.billedPerKey, { [result.idempotencyKey]: 1 });
  assert.equal(s.calls['POST /verify'], 1);
  assert.equal(s.calls['GET /verify'], undefined, 'no retry was needed');
  await second.kill('SIGTERM');
});

it('past the grace time cancels the call; the retry recovers the billed result with GET /verify', { timeout: 120_000 }, async () => {
  // KISC bills at once, then holds the answer for 8 s: longer than the 1 s grace time.
  await sandboxAdmin(admin, 'faults', { endpoint: 'POST /verify', action: 'stall', delayMs: 8000 });
  const first = await t.startWorker({ TRUSTFLOW_SHUTDOWN_GRACE_SECONDS: '1' });
  const handle = await startFlow(t.env.client, kiscVerifyIdentity, {
    workflowId: `graceful-${++n}`,
    input: t.sandbox.manifest.examples.kiscVerifyIdentity,
    taskQueue,
  });
  await until('the billed row', async () => (await state()).billing.length === 1);
  await first.kill('SIGTERM');
  assert.equal(first.child.exitCode, 0, first.output());

  const second = await t.startWorker();
  const result = await handle.result();
  assert.equal(result.outcome, 'verified');
  const s = await state();
  assert.deepEqual(s.billedPerKey, { [result.idempotencyKey]: 1 }, JSON.stringify(s.billing));
  assert.equal(s.calls['POST /verify'], 1, 'the billed request was never sent again');
  assert.equal(s.calls['GET /verify'], 1, 'the retry asked for the stored result');
  await second.kill('SIGTERM');
});

it('refuses a grace time that is not whole seconds, naming the variable', async () => {
  await assert.rejects(
    t.startWorker({ TRUSTFLOW_SHUTDOWN_GRACE_SECONDS: '10s' }),
    /TRUSTFLOW_SHUTDOWN_GRACE_SECONDS=10s: expected whole seconds from 0 to 3600/,
  );
});
