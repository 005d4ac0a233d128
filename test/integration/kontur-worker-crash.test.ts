// The worker process is killed with SIGKILL while konturSignIn waits on approve-cert and started
// again: the flow completes with exactly one successful approve-cert.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startKonturSignIn } from '../../src/client/flows.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startTestServer, TEST_CODEC_KEYS } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let tmp: string;
const workers: WorkerProcess[] = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-kcrash-'));
  [env, sandbox] = await Promise.all([startTestServer(), startSandbox({ dir: join(tmp, 'sandbox') })]);
  assert.ok(sandbox.simulators.kontur, 'the Kontur simulator needs OpenSSL + gost-engine');
});

after(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await sandbox?.stop();
  await env?.teardown();
  await rm(tmp, { recursive: true, force: true });
});

it('survives SIGKILL of the worker during approve-cert, with exactly one successful approve-cert', { timeout: 120_000 }, async () => {
  const taskQueue = 'kontur-crash-test';
  const workerEnv = { TEMPORAL_ADDRESS: env.address, TRUSTFLOW_TASK_QUEUE: taskQueue, TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS };
  const url = sandbox.manifest.services.kontur!.baseUrl;
  // Hold the first approve-cert; the simulator drops it unprocessed when the client is gone.
  await sandboxAdmin(url, 'faults', { endpoint: 'POST /auth/{version}/approve-cert', action: 'delay', delayMs: 3000 });

  const first = await startWorkerProcess(workerEnv);
  workers.push(first);
  const handle = await startKonturSignIn(env.client, { workflowId: 'kontur-crash-1', input: sandbox.manifest.examples.konturSignIn!, taskQueue });
  for (let i = 0; !(await sandboxAdmin(url, 'state')).calls['POST /auth/{version}/approve-cert']; i++) {
    assert.ok(i < 400, 'approve-cert was not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
  await first.kill('SIGKILL');
  assert.equal((await sandboxAdmin(url, 'state')).successfulApprovals, 0);

  const second = await startWorkerProcess(workerEnv);
  workers.push(second);
  const result = await handle.result();
  assert.ok(result.sid.length > 0);
  const state = await sandboxAdmin(url, 'state');
  assert.equal(state.successfulApprovals, 1, JSON.stringify(state));
  // The interrupted attempt timed out and the flow started again from authenticate-by-cert.
  assert.equal(state.calls['POST /auth/{version}/authenticate-by-cert'], 2);
  await second.kill('SIGTERM');
});
