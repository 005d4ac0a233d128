// Builds the trustflow worker: workflows, activities, task queue, shutdown behaviour.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { activityErrorBoundary } from '../activities/error-boundary.js';
import { createActivities, type ActivityDeps } from '../activities/index.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.js', import.meta.url));

export interface TrustflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** From dataConverterFor / encryptingDataConverter: the same one the clients use. */
  dataConverter: DataConverter;
  activityDeps?: ActivityDeps;
  /** A prebuilt bundle (bundleWorkflowCode) skips webpack at start: tests and production images. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function createTrustflowWorker(o: TrustflowWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath }),
    activities: createActivities(o.activityDeps),
    // The one error boundary: every activity error becomes a typed ApplicationFailure here.
    interceptors: { activity: [activityErrorBoundary] },
    dataConverter: o.dataConverter,
    // In-flight activities get this long to finish on SIGINT/SIGTERM before they are cancelled.
    shutdownGraceTime: '10s',
  });
}
