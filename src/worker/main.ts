// `npm run worker`: the trustflow worker alone, against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE,
// polling TRUSTFLOW_TASK_QUEUE. Payloads are encrypted with the codec keys of the environment
// (TRUSTFLOW_CODEC_KEYS / TRUSTFLOW_CODEC_KEY_FILE); without keys it runs only against a local
// server unless TRUSTFLOW_ALLOW_UNENCRYPTED=1. SIGINT/SIGTERM shut it down gracefully.
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFor } from '../codec/data-converter.js';
import { temporalConnectionOptions, temporalSettingsFromEnv } from '../common/env.js';
import { createLogger } from '../common/logger.js';
import { installRuntimeLogger } from './runtime.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { createTrustflowWorker } from './worker.js';

const logger = createLogger({ name: 'trustflow-worker' });

async function main(): Promise<void> {
  installRuntimeLogger(logger);
  const settings = temporalSettingsFromEnv();
  const { dataConverter, encrypted } = dataConverterFor(settings.address);
  if (!encrypted) logger.warn({ address: settings.address }, 'payload encryption is OFF: inputs, results and failures are stored in clear');
  await ensureSearchAttributes(settings.address, settings.namespace);
  const connection = await NativeConnection.connect({ address: settings.address, ...temporalConnectionOptions() });
  try {
    const worker = await createTrustflowWorker({ connection, namespace: settings.namespace, taskQueue: settings.taskQueue, dataConverter });
    logger.info({ ...settings, encrypted }, `trustflow worker: polling task queue '${settings.taskQueue}'`);
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  logger.error({ err }, 'trustflow worker failed to start');
  // Also plainly on stderr: the first thing an operator reads when the process exits at once.
  console.error(`trustflow worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
