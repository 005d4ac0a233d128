// What every flow's integration test file starts with: a real dev server, the sandbox, and the
// trustflow worker in this process, sharing the test keyring; plus the unwrapping of failures.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createTrustflowWorker } from '../../src/worker/worker.js';
import { startTestServer, testDataConverter, testWorkflowBundle, type TestServerOptions } from './temporal.js';

export interface FlowTestEnv {
  env: TestWorkflowEnvironment;
  client: Client;
  sandbox: Sandbox;
  tmp: string;
  stop(): Promise<void>;
}

export async function startFlowTestEnv(taskQueue: string, server: TestServerOptions = {}): Promise<FlowTestEnv> {
  const tmp = await mkdtemp(join(tmpdir(), `trustflow-${taskQueue}-`));
  const [env, sandbox] = await Promise.all([startTestServer(server), startSandbox({ dir: join(tmp, 'sandbox') })]);
  const worker = await createTrustflowWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    dataConverter: testDataConverter,
    workflowBundle: await testWorkflowBundle(),
  });
  const running = worker.run();
  return {
    env,
    client: env.client,
    sandbox,
    tmp,
    stop: async () => {
      worker.shutdown();
      await running;
      await sandbox.stop();
      await env.teardown();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Unwraps WorkflowFailedError → ActivityFailure? → ApplicationFailure. */
export function failureOf(err: unknown): ApplicationFailure {
  assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
  const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
  assert.ok(cause instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(cause)}`);
  return cause;
}
