// The worker process is killed with SIGKILL after KISC billed the verification but before the
// answer arrived (the simulator bills, then holds the response), and started again: the new
// attempt asks GET /verify for the key, gets the stored result, and never posts again. One row.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startFlow } from '../../src/client/flows.js';
import { sandboxAdmin } from '../../src/sandbox/index.js';
import { startCrashTestEnv, type CrashTestEnv } from '../helpers/crash-env.js';
import { kiscVerifyIdentity } from '../../src/flows/index.js';

let t: CrashTestEnv;

before(async () => {
  t = await startCrashTestEnv('kisc-crash-test');
});

after(() => t?.stop());

it('survives SIGKILL of the worker while KISC holds a billed verification, with exactly one billed row', { timeout: 120_000 }, async () => {
  const { env, sandbox } = t;
  const taskQueue = 'kisc-crash-test';
  const admin = sandbox.simulators.kisc.adminBaseUrl;
  await sandboxAdmin(admin, 'faults', { endpoint: 'POST /verify', action: 'stall', delayMs: 30_000 });

  const first = await t.startWorker();
  const handle = await startFlow(env.client, kiscVerifyIdentity, {
    workflowId: 'kisc-crash-1',
    input: sandbox.manifest.examples.kiscVerifyIdentity,
    taskQueue,
  });
  for (let i = 0; (await sandboxAdmin(admin, 'state')).billing.length === 0; i++) {
    assert.ok(i < 600, 'POST /verify was not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
  await first.kill('SIGKILL');

  const second = await t.startWorker();
  const result = await handle.result();
  assert.equal(result.outcome, 'verified');
  const state = await sandboxAdmin(admin, 'state');
  assert.deepEqual(state.billedPerKey, { [result.idempotencyKey]: 1 }, JSON.stringify(state.billing));
  assert.equal(state.calls['POST /verify'], 1, 'the billed request was never sent again');
  assert.equal(state.calls['GET /verify'], 1, 'the retry asked for the stored result');
  assert.equal(state.dataCalls[result.idempotencyKey], 1);
  await second.kill('SIGTERM');
});
