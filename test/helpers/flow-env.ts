// What every flow's integration test file starts with: a real dev server, the sandbox, and the
// trustflow worker in this process, sharing the test keyring; plus the unwrapping of failures.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../src/flows/activities.js';
import { startSandbox, type Sandbox, type SandboxManifest } from '../../src/sandbox/index.js';
import { createTrustflowWorker } from '../../src/worker/worker.js';
import { startTestServer, testDataConverter, testWorkflowBundle, type TestServerOptions } from './temporal.js';

export interface FlowTestEnv {
  env: TestWorkflowEnvironment;
  client: Client;
  sandbox: Sandbox;
  tmp: string;
  stop(): Promise<void>;
}

/**
 * @param o.activityDeps the worker's activity dependencies, made once the sandbox runs (e.g. alert
 *   settings for the sandbox's receiver: the worker reads them when it is built, as in production).
 */
export async function startFlowTestEnv(
  taskQueue: string,
  o: { activityDeps?: (sandbox: Sandbox) => ActivityDeps | Promise<ActivityDeps>; server?: TestServerOptions } = {},
): Promise<FlowTestEnv> {
  const tmp = await mkdtemp(join(tmpdir(), `trustflow-${taskQueue}-`));
  const [env, sandbox] = await Promise.all([startTestServer(o.server ?? {}), startSandbox({ dir: join(tmp, 'sandbox') })]);
  const worker = await createTrustflowWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    dataConverter: testDataConverter,
    workflowBundle: await testWorkflowBundle(),
    ...(o.activityDeps ? { activityDeps: await o.activityDeps(sandbox) } : {}),
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

/** The worker environment that sends alerts to the sandbox's receiver, signed with its secret. */
export async function sandboxAlertEnv(manifest: SandboxManifest): Promise<Record<string, string>> {
  return {
    TRUSTFLOW_ALERT_WEBHOOK_URL: manifest.credentials.alertWebhookUrl,
    TRUSTFLOW_ALERT_WEBHOOK_SECRET: (await readFile(manifest.credentials.alertWebhookSecret.slice('file:'.length), 'utf8')).trim(),
  };
}

/** Unwraps WorkflowFailedError → ActivityFailure? → ApplicationFailure. */
export function failureOf(err: unknown): ApplicationFailure {
  assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
  const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
  assert.ok(cause instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(cause)}`);
  return cause;
}
