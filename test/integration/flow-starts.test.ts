// What startFlow refuses before anything starts, on a real dev server: a task queue no worker polls
// (the caller would wait for ever, and a workflow would be left behind), a workflow id or an input
// the server would refuse, and, when the server refuses anyway, its own reason in a typed error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { startFlow, startFlowByName } from '../../src/client/flows.js';
import { serverRefusal, ServerRefusedError } from '../../src/client/server-errors.js';
import { assertWorkerPolling, NoWorkerError } from '../../src/client/worker-check.js';
import { FailureType, InvalidInputError } from '../../src/common/errors.js';
import { MAX_INPUT_BYTES, MAX_WORKFLOW_ID_BYTES } from '../../src/contracts/limits.js';
import { mptSignIn } from '../../src/flows/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { workflowExists } from '../helpers/history.js';

const taskQueue = 'flow-starts-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;

before(async () => {
  t = await startFlowTestEnv(taskQueue);
  ({ client, sandbox } = t);
});

after(() => t?.stop());

describe('a worker must poll the task queue', () => {
  it(
    'startFlow on a queue no worker polls: NoWorker within seconds, naming queue, namespace and address; nothing started',
    { timeout: 30_000 },
    async () => {
      const workflowId = 'flow-starts-no-worker';
      const t0 = Date.now();
      await assert.rejects(
        startFlow(client, mptSignIn, { workflowId, input: sandbox.manifest.examples.mptSignIn, taskQueue: 'trustfow' }),
        (err: unknown) => {
          assert.ok(err instanceof NoWorkerError, String(err));
          assert.equal(err.type, FailureType.NoWorker);
          assert.equal(err.taskQueue, 'trustfow');
          assert.equal(err.namespace, 'default');
          assert.match(
            err.message,
            /task queue 'trustfow' in namespace 'default' at 127\.0\.0\.1:\d+: no worker polls it, so nothing was started/,
          );
          assert.match(err.message, /Start a worker on it .*TRUSTFLOW_TASK_QUEUE/);
          return true;
        },
      );
      assert.ok(Date.now() - t0 < 10_000, `within seconds: ${Date.now() - t0} ms`);
      assert.equal(await workflowExists(client, workflowId), false, 'no workflow left behind');
      const onQueue = [];
      for await (const w of client.workflow.list({ query: `TaskQueue = 'trustfow'` })) onQueue.push(w.workflowId);
      assert.deepEqual(onQueue, []);
    },
  );

  it('assertWorkerPolling passes for the queue the worker polls, and answers from its cache after that', async () => {
    await assertWorkerPolling(client, taskQueue);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) await assertWorkerPolling(client, taskQueue);
    assert.ok(performance.now() - t0 < 1000, 'a cached answer costs no round trip');
    await assert.rejects(assertWorkerPolling(client, 'flow-starts-nobody'), NoWorkerError);
  });
});

describe('limits checked before the server sees them', () => {
  it('a workflow id over the server limit: InvalidInput saying so, nothing started', async () => {
    const workflowId = `order-${'x'.repeat(MAX_WORKFLOW_ID_BYTES)}`;
    await assert.rejects(
      startFlow(client, mptSignIn, { workflowId, input: sandbox.manifest.examples.mptSignIn, taskQueue }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInputError, String(err));
        assert.match(err.message, /the workflow id is 1006 bytes long, over the server's limit of 1000 \(limit\.maxIDLength\)/);
        return true;
      },
    );
    // Multi-byte characters count as the server counts them, in UTF-8 bytes.
    await assert.rejects(
      startFlow(client, mptSignIn, { workflowId: 'заказ-'.repeat(100), input: sandbox.manifest.examples.mptSignIn, taskQueue }),
      /the workflow id is 1100 bytes long/,
    );
  });

  it('an oversized input: InvalidInput naming the field, nothing started', async () => {
    const workflowId = 'flow-starts-oversized';
    const ex = sandbox.manifest.examples.mptSignIn;
    const huge = { ...ex, signer: { ...ex.signer, path: `/${'k'.repeat(MAX_INPUT_BYTES * 3)}.p12` } };
    await assert.rejects(startFlowByName(client, 'mpt-sign-in', { workflowId, input: huge, taskQueue }), (err: unknown) => {
      assert.ok(err instanceof InvalidInputError, String(err));
      assert.match(err.message, /signer\.path: must be at most 4096 characters/);
      return true;
    });
    const codes = { ...ex, challengeRejectedCodes: Array.from({ length: 60 }, (_, i) => `code-${i}`) };
    await assert.rejects(startFlowByName(client, 'mpt-sign-in', { workflowId, input: codes, taskQueue }), /challengeRejectedCodes/);
    assert.equal(await workflowExists(client, workflowId), false);
  });

  it('an input over the size limit from a caller without the helpers (another SDK): the worker refuses it first, InvalidInput', async () => {
    const ex = sandbox.manifest.examples.mptSignIn;
    // Started as a Go or Python service would: by name, no edge checks. The size is checked before
    // the schema (which would refuse the unknown key too), so the message is the size's.
    const handle = await client.workflow.start('mptSignIn', {
      taskQueue,
      workflowId: 'flow-starts-raw-oversized',
      args: [{ ...ex, padding: 'x'.repeat(MAX_INPUT_BYTES) }],
    });
    await assert.rejects(handle.result(), (err: unknown) => {
      const cause = (err as { cause?: { type?: string; message?: string } }).cause;
      assert.equal(cause?.type, FailureType.InvalidInput);
      assert.match(
        cause?.message ?? '',
        new RegExp(`the mptSignIn input is \\d+ bytes as JSON, over the limit of ${MAX_INPUT_BYTES} bytes`),
      );
      return true;
    });
  });

  it("a refusal the edge cannot foresee keeps the server's reason, typed", async () => {
    // The SDK's own start, past the helpers' checks: the server's words come back through serverRefusal.
    const err = await client.workflow
      .start(mptSignIn, { workflowId: 'x'.repeat(MAX_WORKFLOW_ID_BYTES + 1), taskQueue, args: [sandbox.manifest.examples.mptSignIn] })
      .then(
        () => assert.fail('the server took a too-long id'),
        (e: unknown) => e,
      );
    assert.equal((err as Error).message, 'Failed to start Workflow', 'what the SDK says by itself');
    const refused = serverRefusal(err, "start mptSignIn 'x…'");
    assert.ok(refused instanceof ServerRefusedError);
    assert.equal(refused.type, FailureType.InvalidInput);
    assert.match(
      refused.message,
      /the Temporal server refused to start mptSignIn 'x…': WorkflowId length exceeds limit\. \(gRPC INVALID_ARGUMENT\)/,
    );
  });
});
