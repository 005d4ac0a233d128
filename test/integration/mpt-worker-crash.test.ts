// The worker process is killed with SIGKILL right after the challenge step of mptSignIn and started
// again: the flow must complete, and the stand must have issued exactly one token.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startFlow } from '../../src/client/flows.js';
import { sandboxAdmin } from '../../src/sandbox/index.js';
import { startCrashTestEnv, type CrashTestEnv } from '../helpers/crash-env.js';
import { mptSignIn } from '../../src/flows/index.js';

let t: CrashTestEnv;

before(async () => {
  t = await startCrashTestEnv('mpt-crash-test');
});

after(() => t?.stop());

it('survives SIGKILL of the worker after the challenge step, with exactly one successful simpleSignIn', { timeout: 120_000 }, async () => {
  const { env, sandbox } = t;
  const taskQueue = 'mpt-crash-test';
  const mptUrl = sandbox.manifest.services.ismpt!.baseUrl;
  // Hold the first exchange open long enough that the kill lands before the stand processes it.
  await sandboxAdmin(mptUrl, 'faults', { endpoint: 'POST /auth/simpleSignIn', action: 'delay', delayMs: 3000 });

  const first = await t.startWorker();
  const handle = await startFlow(env.client, mptSignIn, {
    workflowId: 'crash-test-1',
    input: sandbox.manifest.examples.mptSignIn,
    taskQueue,
  });

  // Wait until the history records the challenge activity as completed, then kill at once.
  for (let i = 0; ; i++) {
    const history = await handle.fetchHistory();
    if (history.events?.some((e) => e.activityTaskCompletedEventAttributes)) break;
    assert.ok(i < 400, 'the challenge step did not complete');
    await new Promise((r) => setTimeout(r, 25));
  }
  await first.kill('SIGKILL');
  assert.equal(first.child.signalCode, 'SIGKILL');
  assert.equal((await sandboxAdmin(mptUrl, 'state')).successfulSignIns, 0, 'no token issued before the crash');

  const second = await t.startWorker();
  const result = await handle.result();
  assert.ok(result.token.length > 0);

  const state = await sandboxAdmin(mptUrl, 'state');
  assert.equal(state.successfulSignIns, 1, `successful simpleSignIns: ${JSON.stringify(state)}`);
  assert.equal(state.calls['GET /auth/key'], 1, 'the challenge fetched before the crash was reused');
  await second.kill('SIGTERM');
});
