// What every worker-crash test starts with: a dev server, the sandbox, and real worker processes
// (the `npm run worker` entry point) that the test kills and restarts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startTestServer, TEST_CODEC_KEYS } from './temporal.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

export interface CrashTestEnv {
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  /** Starts a worker process polling `taskQueue` (with `extraEnv`); stopped (SIGKILL) by `stop` if still running. */
  startWorker(extraEnv?: Record<string, string>): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

/**
 * @param workerEnv extra environment for every worker process, derived from the sandbox once it runs
 *   (e.g. TRUSTFLOW_ALERT_WEBHOOK_URL/SECRET for the sandbox's alert receiver). Default: none.
 */
export async function startCrashTestEnv(
  taskQueue: string,
  workerEnv?: (sandbox: Sandbox) => Record<string, string> | Promise<Record<string, string>>,
): Promise<CrashTestEnv> {
  const tmp = await mkdtemp(join(tmpdir(), `trustflow-${taskQueue}-`));
  const [env, sandbox] = await Promise.all([startTestServer(), startSandbox({ dir: join(tmp, 'sandbox') })]);
  const workers: WorkerProcess[] = [];
  let extraEnv: Record<string, string>;
  try {
    extraEnv = workerEnv ? await workerEnv(sandbox) : {};
  } catch (err) {
    await sandbox.stop();
    await env.teardown();
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const processEnv = {
    ...extraEnv,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_TASK_QUEUE: taskQueue,
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
  };
  return {
    env,
    sandbox,
    startWorker: async (more = {}) => {
      const w = await startWorkerProcess({ ...processEnv, ...more });
      workers.push(w);
      return w;
    },
    stop: async () => {
      for (const w of workers) await w.kill('SIGKILL');
      await sandbox.stop();
      await env.teardown();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
