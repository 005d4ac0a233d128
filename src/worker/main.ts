// `npm run worker`: the trustflow worker alone, against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE,
// polling TRUSTFLOW_TASK_QUEUE. SIGINT/SIGTERM shut it down gracefully.
import { NativeConnection } from '@temporalio/worker';
import { temporalSettingsFromEnv } from '../common/env.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { createTrustflowWorker } from './worker.js';

async function main(): Promise<void> {
  const settings = temporalSettingsFromEnv();
  await ensureSearchAttributes(settings.address, settings.namespace);
  const connection = await NativeConnection.connect({ address: settings.address });
  try {
    const worker = await createTrustflowWorker({ connection, namespace: settings.namespace, taskQueue: settings.taskQueue });
    console.log(
      `trustflow worker: polling task queue '${settings.taskQueue}' in namespace '${settings.namespace}' at ${settings.address}`,
    );
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(`trustflow worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
