// The worker process is killed with SIGKILL while konturSignIn waits on approve-cert and started
// again: the flow completes with exactly one successful approve-cert.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startFlow } from '../../src/client/flows.js';
import { sandboxAdmin } from '../../src/sandbox/index.js';
import { startCrashTestEnv, type CrashTestEnv } from '../helpers/crash-env.js';
import { konturSignIn } from '../../src/flows/index.js';

let t: CrashTestEnv;

before(async () => {
  t = await startCrashTestEnv('kontur-crash-test');
});

after(() => t?.stop());

it('survives SIGKILL of the worker during approve-cert, with exactly one successful approve-cert', { timeout: 120_000 }, async () => {
  const { env, sandbox } = t;
  assert.ok(sandbox.simulators.kontur, 'the Kontur simulator needs OpenSSL + gost-engine');
  const taskQueue = 'kontur-crash-test';
  const url = sandbox.manifest.services.kontur!.baseUrl;
  // Hold the first approve-cert; the simulator drops it unprocessed when the client is gone.
  await sandboxAdmin(url, 'faults', { endpoint: 'POST /auth/{version}/approve-cert', action: 'delay', delayMs: 3000 });

  const first = await t.startWorker();
  const handle = await startFlow(env.client, konturSignIn, {
    workflowId: 'kontur-crash-1',
    input: sandbox.manifest.examples.konturSignIn!,
    taskQueue,
  });
  for (let i = 0; !(await sandboxAdmin(url, 'state')).calls['POST /auth/{version}/approve-cert']; i++) {
    assert.ok(i < 400, 'approve-cert was not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
  await first.kill('SIGKILL');
  assert.equal((await sandboxAdmin(url, 'state')).successfulApprovals, 0);

  const second = await t.startWorker();
  const result = await handle.result();
  assert.ok(result.sid.length > 0);
  const state = await sandboxAdmin(url, 'state');
  assert.equal(state.successfulApprovals, 1, JSON.stringify(state));
  // The interrupted attempt timed out and the flow started again from authenticate-by-cert.
  assert.equal(state.calls['POST /auth/{version}/authenticate-by-cert'], 2);
  await second.kill('SIGTERM');
});
