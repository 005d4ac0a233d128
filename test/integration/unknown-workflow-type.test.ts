// A workflow type the worker does not offer (a typo in `--type`): the workflow fails at once,
// non-retryable, saying what was asked for, what is offered and what was probably meant — instead of
// a workflow task that fails and is retried forever with the reason only in the worker log.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { AesGcmPayloadCodec } from '../../src/codec/payload-codec.js';
import { CodecServer } from '../../src/codec/server.js';
import { FailureType } from '../../src/common/errors.js';
import { createLogger } from '../../src/common/logger.js';
import { createTrustflowWorker } from '../../src/worker/worker.js';
import { failureOf, startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { temporalCliPath, testDataConverter, testKeyring, testWorkflowBundle } from '../helpers/temporal.js';

const taskQueue = 'unknown-workflow-type-test';
let t: FlowTestEnv;
let client: Client;
let n = 0;
const wfId = (name: string) => `test-unknown-type-${name}-${++n}`;

before(async () => {
  t = await startFlowTestEnv(taskQueue);
  ({ client } = t);
});

after(() => t?.stop());

async function failedStart(type: string, workflowId: string, queue = taskQueue) {
  const started = Date.now();
  const handle = await client.workflow.start(type, { taskQueue: queue, workflowId, args: [{}] });
  const err = await handle.result().then(
    () => assert.fail(`${type} should have failed`),
    (e: unknown) => e,
  );
  const ms = Date.now() - started;
  assert.ok(ms < 10_000, `failed after ${ms} ms`);
  return { handle, failure: failureOf(err) };
}

// Without the default export the workflow task is retried forever: each test fails instead of hanging.
const within = { timeout: 15_000 };

describe('a workflow type the worker does not offer', () => {
  it('fails at once, non-retryable, naming the type, the offered types and the one probably meant', within, async () => {
    const workflowId = wfId('typo');
    const { handle, failure } = await failedStart('mptSignin', workflowId);
    assert.equal(failure.type, FailureType.UnknownWorkflowType);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /'mptSignin'/);
    assert.match(failure.message, /did you mean 'mptSignIn'\?/);
    assert.match(failure.message, new RegExp(`task queue '${taskQueue}'`));
    for (const offered of [
      'mptSignIn',
      'konturSignIn',
      'kiscVerifyIdentity',
      'kiscReconcile',
      'cipherSign',
      'cipherInspectKeyStore',
      'kpsisIssueCertificate',
    ]) {
      assert.ok(failure.message.includes(`'${offered}'`), `offers ${offered}: ${failure.message}`);
    }
    assert.ok(!failure.message.includes("'default'") && !/unknownWorkflowType/.test(failure.message), failure.message);

    const d = await handle.describe();
    assert.equal(d.status.name, 'FAILED');
    // One workflow task, no retried task failures: the workflow itself failed.
    const events = (await handle.fetchHistory()).events ?? [];
    assert.equal(events.filter((e) => e.workflowTaskFailedEventAttributes).length, 0);
    assert.equal(events.filter((e) => e.workflowTaskStartedEventAttributes).length, 1);
  });

  it('offers no suggestion when nothing is close', within, async () => {
    const { failure } = await failedStart('issueEverything', wfId('far'));
    assert.equal(failure.type, FailureType.UnknownWorkflowType);
    assert.match(failure.message, /'issueEverything'/);
    assert.doesNotMatch(failure.message, /did you mean/);
    assert.match(failure.message, /'kiscVerifyIdentity'/);
  });

  it('fails even under a retry policy, and the offered types keep working', within, async () => {
    const handle = await client.workflow.start('KISCVERIFYIDENTITY', {
      taskQueue,
      workflowId: wfId('retry'),
      args: [{}],
      retry: { maximumAttempts: 5, initialInterval: '1s' },
    });
    const failure = failureOf(await handle.result().catch((e: unknown) => e));
    assert.match(failure.message, /did you mean 'kiscVerifyIdentity'\?/);
    assert.equal((await handle.describe()).status.name, 'FAILED');
    const latest = await client.workflow.getHandle(handle.workflowId).describe();
    assert.equal(latest.runId, handle.firstExecutionRunId, 'no retried run');
    // A known type with an invalid input still reaches its own workflow (not the default).
    const known = await client.workflow.start('mptSignIn', { taskQueue, workflowId: wfId('known'), args: [{}] });
    const invalid = failureOf(await known.result().catch((e: unknown) => e));
    assert.equal(invalid.type, FailureType.InvalidInput);
  });
});

// The stored failure as in production: the bundle carries the failure converter
// (encodeCommonAttributes), so the message is encrypted and the temporal CLI needs --codec-endpoint
// and a view that shows the failure's encoded attributes.
describe('reading the reason with the temporal CLI (the failure message is encrypted)', () => {
  const run = promisify(execFile);
  const cliQueue = 'unknown-workflow-type-cli-test';
  const codec = new CodecServer({
    codec: new AesGcmPayloadCodec(testKeyring),
    port: 0,
    corsOrigins: [],
    logger: createLogger({ name: 'codec', level: 'warn' }),
  });
  const cli = (...args: string[]) =>
    run(temporalCliPath(), [...args, '--address', t.env.address]).catch((e: { stdout?: string; stderr?: string }) => ({
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? String(e),
    }));
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  before(async () => {
    await codec.listen();
    worker = await createTrustflowWorker({
      connection: t.env.nativeConnection,
      namespace: 'default',
      taskQueue: cliQueue,
      dataConverter: testDataConverter,
      workflowBundle: await testWorkflowBundle(),
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await codec.close();
  });

  it(
    '`workflow show --detailed` and `workflow result -o json` with --codec-endpoint print it; the plain text output does not',
    within,
    async () => {
      const workflowId = wfId('cli');
      const { failure } = await failedStart('mptSignin', workflowId, cliQueue);
      assert.equal(failure.type, FailureType.UnknownWorkflowType);
      assert.match(failure.message, /did you mean 'mptSignIn'/, 'the client decodes it');

      const plain = await cli('workflow', 'result', '--workflow-id', workflowId, '--codec-endpoint', codec.url);
      assert.match(plain.stdout, /Message: Encoded failure/);
      assert.doesNotMatch(plain.stdout, /did you mean/);

      const detailed = await cli('workflow', 'show', '--workflow-id', workflowId, '--detailed', '--codec-endpoint', codec.url);
      assert.match(
        detailed.stdout,
        /failure\.encodedAttributes\.message: unknown workflow type 'mptSignin' \(did you mean 'mptSignIn'\?\)/,
        detailed.stdout + detailed.stderr,
      );
      assert.match(detailed.stdout, /failure\.applicationFailureInfo\.type: UnknownWorkflowType/);

      const json = await cli('workflow', 'result', '--workflow-id', workflowId, '--codec-endpoint', codec.url, '-o', 'json');
      const stored = JSON.parse(json.stdout).closeEvent.workflowExecutionFailedEventAttributes.failure;
      assert.equal(stored.message, 'Encoded failure');
      assert.match(stored.encodedAttributes.message, /did you mean 'mptSignIn'/);

      const noCodec = await cli('workflow', 'show', '--workflow-id', workflowId, '--detailed');
      assert.match(noCodec.stdout, /failure\.message: Encoded failure/);
      assert.doesNotMatch(noCodec.stdout, /did you mean/, 'without the codec the message stays encrypted');
    },
  );
});
