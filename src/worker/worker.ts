// Builds the trustflow worker: workflows, activities, task queue, shutdown behaviour.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { activityErrorBoundary } from './activity-error-boundary.js';
import { createActivities, type ActivityDeps } from '../flows/activities.js';
import { activityRetryCounter, tracingWorkerOptions, type WorkerTracing } from './telemetry.js';

export const workflowsPath = fileURLToPath(new URL('../flows/workflows.js', import.meta.url));
/**
 * Modules evaluated once per worker and shared by every workflow execution (flows/runtime/shared-modules.ts
 * says what and why). Every bundle of the workflow code passes them: the worker's own, the prebuilt
 * one (scripts/bundle-workflows.mjs), the tests' and the bench's.
 */
export const workflowPreloadModules = [fileURLToPath(new URL('../flows/runtime/shared-modules.js', import.meta.url))];

export interface TrustflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** From dataConverterFor / encryptingDataConverter: the same one the clients use. */
  dataConverter: DataConverter;
  activityDeps?: ActivityDeps;
  /** A prebuilt bundle (bundleWorkflowCode) skips webpack at start: tests and production images. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** OpenTelemetry spans for workflows and activities (telemetry.ts); a prebuilt bundle must carry the workflow module. */
  tracing?: WorkerTracing;
  /** How long in-flight activities may finish after shutdown() before they are cancelled (default 10). */
  shutdownGraceSeconds?: number;
}

export function createTrustflowWorker(o: TrustflowWorkerOptions): Promise<Worker> {
  const traced = o.tracing ? tracingWorkerOptions(o.tracing) : undefined;
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    ...(o.workflowBundle
      ? { workflowBundle: o.workflowBundle }
      : { workflowsPath, bundlerOptions: { preloadModules: workflowPreloadModules } }),
    activities: createActivities(o.activityDeps),
    interceptors: {
      // Outermost first: spans and the retry count see the attempt; the one error boundary, innermost,
      // turns every activity error into a typed ApplicationFailure.
      activity: [...(traced?.activityInterceptors ?? []), activityRetryCounter, activityErrorBoundary],
      ...(traced && !o.workflowBundle ? { workflowModules: traced.workflowModules } : {}),
    },
    ...(traced ? { sinks: traced.sinks } : {}),
    dataConverter: o.dataConverter,
    // In-flight activities get this long to finish on SIGINT/SIGTERM before they are cancelled.
    shutdownGraceTime: `${o.shutdownGraceSeconds ?? 10}s`,
  });
}
