// The worker process is killed with SIGKILL after KISC billed the verification but before the
// answer arrived (the simulator bills, then holds the response), and started again: the new
// attempt asks GET /verify for the key, gets the stored result, and never posts again. One row.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startKiscVerifyIdentity } from '../../src/client/flows.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startTestServer, TEST_CODEC_KEYS } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let tmp: string;
const workers: WorkerProcess[] = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-kisccrash-'));
  [env, sandbox] = await Promise.all([startTestServer(), startSandbox({ dir: join(tmp, 'sandbox') })]);
});

after(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await sandbox?.stop();
  await env?.teardown();
  await rm(tmp, { recursive: true, force: true });
});

it('survives SIGKILL of the worker while KISC holds a billed verification, with exactly one billed row', { timeout: 120_000 }, async () => {
  const taskQueue = 'kisc-crash-test';
  const workerEnv = { TEMPORAL_ADDRESS: env.address, TRUSTFLOW_TASK_QUEUE: taskQueue, TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS };
  const admin = sandbox.simulators.kisc.adminBaseUrl;
  await sandboxAdmin(admin, 'faults', { endpoint: 'POST /verify', action: 'stall', delayMs: 30_000 });

  const first = await startWorkerProcess(workerEnv);
  workers.push(first);
  const handle = await startKiscVerifyIdentity(env.client, { workflowId: 'kisc-crash-1', input: sandbox.manifest.examples.kiscVerifyIdentity, taskQueue });
  for (let i = 0; (await sandboxAdmin(admin, 'state')).billing.length === 0; i++) {
    assert.ok(i < 600, 'POST /verify was not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
  await first.kill('SIGKILL');

  const second = await startWorkerProcess(workerEnv);
  workers.push(second);
  const result = await handle.result();
  assert.equal(result.outcome, 'verified');
  const state = await sandboxAdmin(admin, 'state');
  assert.deepEqual(state.billedPerKey, { [result.idempotencyKey]: 1 }, JSON.stringify(state.billing));
  assert.equal(state.calls['POST /verify'], 1, 'the billed request was never sent again');
  assert.equal(state.calls['GET /verify'], 1, 'the retry asked for the stored result');
  assert.equal(state.dataCalls[result.idempotencyKey], 1);
  await second.kill('SIGTERM');
});
