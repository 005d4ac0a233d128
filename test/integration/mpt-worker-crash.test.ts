// The worker process is killed with SIGKILL right after the challenge step of mptSignIn and started
// again: the flow must complete, and the stand must have issued exactly one token.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startMptSignIn } from '../../src/client/flows.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startTestServer, TEST_CODEC_KEYS } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let tmp: string;
const workers: WorkerProcess[] = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-crash-'));
  [env, sandbox] = await Promise.all([startTestServer(), startSandbox({ dir: join(tmp, 'sandbox') })]);
});

after(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await sandbox?.stop();
  await env?.teardown();
  await rm(tmp, { recursive: true, force: true });
});

it('survives SIGKILL of the worker after the challenge step, with exactly one successful simpleSignIn', { timeout: 120_000 }, async () => {
  const taskQueue = 'mpt-crash-test';
  const workerEnv = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', TRUSTFLOW_TASK_QUEUE: taskQueue, TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS };
  const mptUrl = sandbox.manifest.services.ismpt!.baseUrl;
  // Hold the first exchange open long enough that the kill lands before the stand processes it.
  await sandboxAdmin(mptUrl, 'faults', { endpoint: 'POST /auth/simpleSignIn', action: 'delay', delayMs: 3000 });

  const first = await startWorkerProcess(workerEnv);
  workers.push(first);
  const handle = await startMptSignIn(env.client, { workflowId: 'crash-test-1', input: sandbox.manifest.examples.mptSignIn, taskQueue });

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

  const second = await startWorkerProcess(workerEnv);
  workers.push(second);
  const result = await handle.result();
  assert.ok(result.token.length > 0);

  const state = await sandboxAdmin(mptUrl, 'state');
  assert.equal(state.successfulSignIns, 1, `successful simpleSignIns: ${JSON.stringify(state)}`);
  assert.equal(state.calls['GET /auth/key'], 1, 'the challenge fetched before the crash was reused');
  await second.kill('SIGTERM');
});
