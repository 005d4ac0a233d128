// `npm run worker`: the trustflow worker alone, against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE,
// polling TRUSTFLOW_TASK_QUEUE. Payloads are encrypted with the codec keys of the environment
// (TRUSTFLOW_CODEC_KEYS / TRUSTFLOW_CODEC_KEY_FILE); without keys it runs only against a server on
// loopback (a dev server), and warns.
//
// Production entry point: `node dist/src/worker/main.js` (no build step; `npm run worker` compiles
// first when the sources changed). SIGINT/SIGTERM shut it down gracefully: it stops polling, lets
// in-flight activities finish for up to TRUSTFLOW_SHUTDOWN_GRACE_SECONDS (10 s; then they are
// cancelled, and a cancelled billed call's retry asks for its result first), logs
// 'trustflow worker: stopped' and exits 0. A second signal during the drain is ignored; if the
// drain has not ended 20 s after the grace time the process exits 1. Start-up failures exit 1, and so
// does a setting that is wrong, before anything connects: e.g. the alert webhook's URL or secret
// (common/alert-settings.ts), each refusal naming its variable and the fix.
// Telemetry (telemetry.ts): TRUSTFLOW_METRICS_ADDRESS serves /metrics; OTEL_EXPORTER_OTLP_ENDPOINT
// exports traces.
import { NativeConnection, type Worker } from '@temporalio/worker';
import { dataConverterFor } from '../codec/data-converter.js';
import { alertSettingsFromEnv, type AlertSettings } from '../common/alert-settings.js';
import { shutdownGraceSecondsFromEnv, temporalConnectionOptions, temporalSettingsFromEnv } from '../common/env.js';
import { createLogger } from '../common/logger.js';
import { signingSettingsFromEnv, type SigningPageSettings } from '../common/signing-page-settings.js';
import { flushTracing, installRuntime, setupTracing, telemetrySettingsFromEnv } from './telemetry.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { createTrustflowWorker } from './worker.js';

const logger = createLogger({ name: 'trustflow-worker' });
let graceSeconds = 10;
let alerts: AlertSettings;
let signingPage: SigningPageSettings | null;
try {
  graceSeconds = shutdownGraceSecondsFromEnv();
  // Read and checked here, once: the alert activities get this object, never process.env at the first alert.
  alerts = alertSettingsFromEnv();
  // The same for the person signer's links (TRUSTFLOW_SIGNING_PAGE_URL / _LINK_KEY): both or neither.
  signingPage = signingSettingsFromEnv();
} catch (err) {
  console.error(`trustflow worker: ${(err as Error).message}`);
  process.exit(1);
}
for (const warning of alerts.warnings) logger.warn({ alerts: alerts.summary }, `trustflow worker: ${warning}`);
const STOP_DEADLINE_MS = (graceSeconds + 20) * 1000;
let stopSignal: NodeJS.Signals | undefined;
let worker: Worker | undefined;

// Alongside the Temporal runtime's own handler (which also shuts running workers down): this one
// covers a signal during start-up, logs, ignores repeated signals and bounds the whole stop.
function onSignal(signal: NodeJS.Signals): void {
  if (stopSignal) {
    logger.warn({ signal }, 'trustflow worker: already stopping');
    return;
  }
  stopSignal = signal;
  logger.info({ signal }, `trustflow worker: stopping; draining in-flight tasks (up to ${graceSeconds} s)`);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  setTimeout(() => {
    logger.error({ signal }, `trustflow worker: did not stop within ${STOP_DEADLINE_MS / 1000} s; exiting`);
    process.exit(1);
  }, STOP_DEADLINE_MS).unref();
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);

let polling = false;

async function main(): Promise<void> {
  const telemetry = telemetrySettingsFromEnv();
  await installRuntime(logger, telemetry);
  const tracing = setupTracing(telemetry);
  const settings = temporalSettingsFromEnv();
  const { dataConverter, encrypted } = dataConverterFor(settings.address);
  if (!encrypted) logger.warn({ address: settings.address }, 'payload encryption is OFF: inputs, results and failures are stored in clear');
  await ensureSearchAttributes(settings.address, settings.namespace);
  const connection = await NativeConnection.connect({ address: settings.address, ...temporalConnectionOptions() });
  // TRUSTFLOW_WORKFLOW_BUNDLE: workflow code bundled at image build time (scripts/bundle-workflows.mjs).
  const bundlePath = process.env.TRUSTFLOW_WORKFLOW_BUNDLE;
  worker = await createTrustflowWorker({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    dataConverter,
    tracing,
    shutdownGraceSeconds: graceSeconds,
    activityDeps: { alerts, signingPage },
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
  });
  if (stopSignal) return; // stopped during start-up: nothing ran; the exit drops the connection
  logger.info(
    {
      ...settings,
      encrypted,
      alerts: alerts.summary,
      signingPage: signingPage?.pageUrl ?? 'off',
      metrics: telemetry.metricsAddress ?? 'off',
      traces: telemetry.otlpEndpoint ?? 'off',
    },
    `trustflow worker: polling task queue '${settings.taskQueue}'`,
  );
  polling = true;
  try {
    await worker.run();
  } finally {
    await flushTracing();
    await connection.close();
  }
}

main().then(
  () => {
    logger.info({ signal: stopSignal }, 'trustflow worker: stopped');
    process.exit(0);
  },
  (err) => {
    logger.error({ err }, polling ? 'trustflow worker failed' : 'trustflow worker failed to start');
    // Also plainly on stderr: the first thing an operator reads when the process exits at once.
    console.error(`trustflow worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
