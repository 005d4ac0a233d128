// `npm start`: the whole system on one machine. Starts an embedded Temporal dev server (unless
// TEMPORAL_ADDRESS is set), the sandbox, the signing page, the worker; runs one demo of each flow;
// starts a sign-in a person signs on the signing page (NCALayer: the sandbox's) and prints its link;
// prints the results and the Web UI link; keeps running for the UI until Ctrl-C, then stops
// everything it started. `npm start -- --exit-after-demo` stops after the demo (for scripts and CI),
// and plays the person itself first, through the signing page's API.
//
// SIGINT/SIGTERM (Ctrl-C, docker stop, systemctl stop): stops everything this process started, in
// reverse order (the worker drains in-flight tasks first, up to TRUSTFLOW_SHUTDOWN_GRACE_SECONDS, 10
// by default; the dev server goes last), then exits 0, or 1 if the demo failed or something could not
// be stopped. A second signal during the stop is ignored; 20 s after the grace time the process exits 1
// regardless. The dev
// server also stops when this process is killed (SIGKILL): see dev-server.ts / watchdog.ts.
//   TRUSTFLOW_DEV_SERVER_PORT (7233), TRUSTFLOW_DEV_UI_PORT (8233)  the embedded dev server's ports
//   TRUSTFLOW_STATE_DIR (.trustflow), TRUSTFLOW_SANDBOX_DIR (.sandbox)  where state is kept
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import pino from 'pino';
import { existsSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { wrap } from '../client/cli/command.js';
import { renderTable } from '../client/cli/io.js';
import { connectClient } from '../client/connection.js';
import { applyInventory, listCredentials, loadInventoryFile } from '../client/credentials.js';
import { getMptToken, tokenKeeperId } from '../client/token-keepers.js';
import { scheduleIds } from '../contracts/workflow-ids.js';
import { dataConverterFor } from '../codec/data-converter.js';
import { keyringFromEnv, writeKeyringFile, type Keyring } from '../codec/keyring.js';
import { AesGcmPayloadCodec } from '../codec/payload-codec.js';
import { CodecServer, DEFAULT_UI_ORIGINS } from '../codec/server.js';
import { alertSettingsFromEnv, type AlertSettings } from '../common/alert-settings.js';
import { shutdownGraceSecondsFromEnv, temporalConnectionOptions, temporalSettingsFromEnv, type TemporalSettings } from '../common/env.js';
import { createLogger, type Logger } from '../common/logger.js';
import { linkKeyFromSecret } from '../common/signing-link.js';
import type { SigningPageSettings } from '../common/signing-page-settings.js';
import { buildSigningPage } from '../signing-page/page-bundle.js';
import { createSigningServer } from '../signing-page/server.js';
import { temporalSigningBackend } from '../signing-page/temporal-backend.js';
import { demoStamp, describePersonResult, flowDemos, signAsThePerson, startPersonSignIn, type Demo } from './flow-demos.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../sandbox/index.js';
import { installRuntime, setupTracing, telemetrySettingsFromEnv, type TelemetrySettings, type WorkerTracing } from '../worker/telemetry.js';
import { createServer as createNetServer } from 'node:net';
import { ensureSearchAttributes } from '../worker/search-attributes.js';
import { createTrustflowWorker } from '../worker/worker.js';
import { startDevServer, type DevServer } from './dev-server.js';

const { values } = parseArgs({ options: { 'exit-after-demo': { type: 'boolean', default: false } } });
const stateDir = resolve(process.env.TRUSTFLOW_STATE_DIR ?? '.trustflow');
const devServerPort = Number(process.env.TRUSTFLOW_DEV_SERVER_PORT ?? 7233);
const devUiPort = Number(process.env.TRUSTFLOW_DEV_UI_PORT ?? 8233);
const cleanups: (() => Promise<void>)[] = [];
const graceSeconds = shutdownGraceSecondsFromEnv(); // validated before anything starts

/** Whether host:port can be bound now (the demo's default metrics port may be taken by another process). */
function addressFree(address: string): Promise<boolean> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', () => resolve(false));
    probe.listen(Number(address.slice(i + 1)), address.slice(0, i), () => probe.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  const { logger, logDestination } = await openDemoLog();
  const telemetry = await demoTelemetry();
  await installRuntime(logger, telemetry);
  const tracing = setupTracing(telemetry);
  const settings = temporalSettingsFromEnv();
  const codecServer = await startCodecServer(await demoKeyring(), logger);
  const temporal = await startTemporal(settings, codecServer.url);
  settings.address = temporal.address;
  await ensureSearchAttributes(settings.address, settings.namespace);

  if (stopping) return;
  const sandbox = await startDemoSandbox(logDestination);
  const alerts = await demoAlerts(sandbox);
  const client = await connectClient(settings);
  cleanups.unshift(() => client.connection.close());
  const signingPage = await startDemoSigningPage(client, sandbox, logDestination);
  const worker = await createDemoWorker(settings, tracing, alerts, signingPage);
  if (stopping) return;
  runWorker(worker, settings, telemetry);

  const stamp = demoStamp();
  const demos = flowDemos(client, sandbox, settings.taskQueue, stamp);
  const rows = await runFlowDemos(demos);
  if (stopping) return; // a signal: no table, no exit code from demos cut short
  printFlowResults(rows);
  const keeperSucceeded = await tokenKeeperDemo(client, sandbox, settings.taskQueue);
  const credentialsSucceeded = await credentialsDemo(client, sandbox, settings.taskQueue);
  const personWorkflowId = `demo-mpt-person-sign-in-${stamp}`;
  const personSucceeded = await personSignInDemo(client, sandbox, settings.taskQueue, signingPage, personWorkflowId);
  printWebUiLinks(codecServer.url, temporal.uiUrl, settings.namespace, [
    ...demos.filter((x) => !x.skipped).map((d) => [d.flow, d.workflowId]),
    ['mptSignIn (person)', personWorkflowId],
  ]);

  if (rows.some((r) => r[2] === 'FAILED') || !keeperSucceeded || !credentialsSucceeded || !personSucceeded) process.exitCode = 1;
  if (values['exit-after-demo']) return shutdown();
  say('\nEverything keeps running for the Web UI; Ctrl-C stops it all.');
}

/**
 * The demo prints its own progress; the worker's and the sandbox's log records (JSON lines: the
 * alerts it sends, the simulators' requests) go to a file beside the state, named once here.
 */
async function openDemoLog(): Promise<{ logger: Logger; logDestination: pino.DestinationStream }> {
  await mkdir(stateDir, { recursive: true });
  const logFile = join(stateDir, 'demo.log');
  const logDestination = pino.destination({ dest: logFile, append: true, sync: true });
  const logger = createLogger({ name: 'trustflow-demo', level: process.env.TRUSTFLOW_LOG_LEVEL ?? 'warn', destination: logDestination });
  say(`logs of the worker and the sandbox: ${logFile}`);
  return { logger, logDestination };
}

/** npm start serves the worker's metrics by default (TRUSTFLOW_METRICS_ADDRESS= turns them off), where the address is free. */
async function demoTelemetry(): Promise<TelemetrySettings> {
  const telemetry = telemetrySettingsFromEnv({ TRUSTFLOW_METRICS_ADDRESS: '127.0.0.1:9464', ...process.env });
  if (telemetry.metricsAddress && !(await addressFree(telemetry.metricsAddress))) {
    say(`metrics: ${telemetry.metricsAddress} is in use; the demo worker serves no /metrics (set TRUSTFLOW_METRICS_ADDRESS)`);
    delete telemetry.metricsAddress;
  }
  return telemetry;
}

/** Payload encryption from the first run: a development keyring unless one is configured. */
async function demoKeyring(): Promise<Keyring> {
  if (!keyringFromEnv()) {
    const keyFile = resolve(stateDir, 'codec-keys');
    if (!existsSync(keyFile)) {
      await writeKeyringFile(keyFile, `dev-${new Date().toISOString().slice(0, 10)}`);
      say(`created a development codec keyring at ${keyFile} (0600; not for production)`);
    }
    process.env.TRUSTFLOW_CODEC_KEY_FILE = keyFile;
  }
  return keyringFromEnv()!;
}

/** The codec server the Web UI decodes payloads through. */
async function startCodecServer(keyring: Keyring, logger: Logger): Promise<CodecServer> {
  const codecServer = new CodecServer({
    codec: new AesGcmPayloadCodec(keyring),
    port: Number(process.env.TRUSTFLOW_CODEC_PORT ?? 8234),
    corsOrigins: [...DEFAULT_UI_ORIGINS, `http://127.0.0.1:${devUiPort}`, `http://localhost:${devUiPort}`],
    logger: logger.child({ component: 'codec-server' }),
  });
  try {
    await codecServer.listen();
  } catch (err) {
    throw new Error(`codec server: cannot listen (${(err as NodeJS.ErrnoException).code}); set TRUSTFLOW_CODEC_PORT to a free port`, {
      cause: err,
    });
  }
  cleanups.unshift(() => codecServer.close());
  say(`codec server ${codecServer.url} (active key '${keyring.activeKeyId}')`);
  return codecServer;
}

/** The embedded Temporal dev server, unless TEMPORAL_ADDRESS names one: the address to use, and its Web UI. */
async function startTemporal(settings: TemporalSettings, codecServerUrl: string): Promise<{ address: string; uiUrl: string }> {
  const uiUrl = process.env.TRUSTFLOW_UI_URL ?? 'http://127.0.0.1:8233';
  if (process.env.TEMPORAL_ADDRESS) return { address: settings.address, uiUrl };
  const cliPath = process.env.TEMPORAL_CLI_PATH;
  if (!cliPath) throw new Error('TEMPORAL_CLI_PATH is not set: run through `npm start`, which finds or builds the Temporal CLI');
  say('starting the embedded Temporal dev server...');
  const server: DevServer = await startDevServer({
    cliPath,
    port: devServerPort,
    uiPort: devUiPort,
    dbFile: resolve(stateDir, 'temporal-dev.db'),
    namespace: settings.namespace,
    uiCodecEndpoint: codecServerUrl,
  });
  cleanups.unshift(server.stop);
  return { address: server.address, uiUrl: server.uiUrl };
}

async function startDemoSandbox(logDestination: pino.DestinationStream): Promise<Sandbox> {
  const sandbox = await startSandbox({
    dir: resolve(process.env.TRUSTFLOW_SANDBOX_DIR ?? '.sandbox'),
    logger: createLogger({ name: 'trustflow-sandbox', destination: logDestination }),
  });
  cleanups.unshift(sandbox.stop);
  say(`sandbox running; manifest ${sandbox.manifestPath}`);
  return sandbox;
}

/**
 * Alerts (credential watches, KPSIS reminders) go to the sandbox's receiver unless a webhook is
 * configured; either way checked here, as the worker does at start.
 */
async function demoAlerts(sandbox: Sandbox): Promise<AlertSettings> {
  return alertSettingsFromEnv(
    process.env.TRUSTFLOW_ALERT_WEBHOOK_URL
      ? process.env
      : {
          ...process.env,
          TRUSTFLOW_ALERT_WEBHOOK_URL: sandbox.manifest.credentials.alertWebhookUrl,
          TRUSTFLOW_ALERT_WEBHOOK_SECRET: (
            await readFile(sandbox.manifest.credentials.alertWebhookSecret.slice('file:'.length), 'utf8')
          ).trim(),
        },
  );
}

/**
 * The signing page, in this process on loopback (plain http: browsers let an http://127.0.0.1 page
 * reach NCALayer at ws://127.0.0.1), finding the sandbox's NCALayer; links sealed with a key made for
 * this run. Its request log goes to the demo's log file.
 */
async function startDemoSigningPage(
  client: Client,
  sandbox: Sandbox,
  logDestination: pino.DestinationStream,
): Promise<SigningPageSettings> {
  const linkKey = linkKeyFromSecret(randomBytes(32).toString('hex'));
  const server = createSigningServer({
    backend: temporalSigningBackend(client),
    linkKey,
    listen: { host: '127.0.0.1', port: 0 },
    ncalayerUrl: sandbox.manifest.ncalayer.url,
    page: await buildSigningPage(),
    logger: createLogger({ name: 'trustflow-signing', destination: logDestination }),
  });
  await server.start();
  cleanups.unshift(() => server.stop());
  say(`signing page ${server.url} (NCALayer: the sandbox's, ${sandbox.manifest.ncalayer.url})`);
  return { pageUrl: server.url, linkKey };
}

async function createDemoWorker(
  settings: TemporalSettings,
  tracing: WorkerTracing,
  alerts: AlertSettings,
  signingPage: SigningPageSettings,
): Promise<Worker> {
  const { dataConverter } = dataConverterFor(settings.address);
  const connection = await NativeConnection.connect({ address: settings.address, ...temporalConnectionOptions() });
  cleanups.unshift(() => connection.close());
  return createTrustflowWorker({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    dataConverter,
    tracing,
    shutdownGraceSeconds: graceSeconds,
    activityDeps: { alerts, signingPage },
  });
}

/** Runs the worker until the stop (which drains it). */
function runWorker(worker: Worker, settings: TemporalSettings, telemetry: TelemetrySettings): void {
  const running = worker.run();
  cleanups.unshift(async () => {
    // The Temporal runtime's own signal handler may have started the shutdown already.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  say(`worker polling '${settings.taskQueue}' at ${settings.address}`);
  if (telemetry.metricsAddress) say(`worker metrics at http://${telemetry.metricsAddress}/metrics`);
}

/** Runs the demos one after the other (until a stop): a row [flow, workflow id, outcome, time, result] each. */
async function runFlowDemos(demos: Demo[]): Promise<string[][]> {
  const rows: string[][] = [];
  for (const d of demos) {
    if (stopping) break;
    if (d.skipped) {
      rows.push([d.flow, '-', 'skipped', '-', d.skipped]);
      continue;
    }
    const t0 = performance.now();
    try {
      const detail = await d.run(d.workflowId);
      rows.push([d.flow, d.workflowId, 'succeeded', `${Math.round(performance.now() - t0)} ms`, detail]);
    } catch (err) {
      rows.push([d.flow, d.workflowId, 'FAILED', `${Math.round(performance.now() - t0)} ms`, (err as Error).message]);
    }
  }
  return rows;
}

function printFlowResults(rows: string[][]): void {
  printTable(
    ['flow', 'outcome', 'time', 'result'],
    rows.map(([flow, , outcome, time, result]) => [flow!, outcome!, time!, result!]),
  );
}

/**
 * A token keeper: 100 callers at once, one sign-in. Its own copy of the example's key (so the
 * example's own keeper is left for you to try), then the IS MPT simulator's counters start from zero.
 * False when it failed (and said so).
 */
async function tokenKeeperDemo(client: Client, sandbox: Sandbox, taskQueue: string): Promise<boolean> {
  try {
    const example = sandbox.manifest.examples.mptSignIn;
    const path = join(sandbox.dir, 'keys', 'demo-keeper.p12');
    await copyFile(example.signer.path, path);
    const input = { ...example, signer: { ...example.signer, path } };
    const signIns = async () => (await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'state')).successfulSignIns as number;
    const before = await signIns();
    const t0 = performance.now();
    const grants = await Promise.all(Array.from({ length: 100 }, () => getMptToken(client, { input, taskQueue, coalesce: false })));
    say(
      `\ntoken keeper ${tokenKeeperId('ismpt', input)}: 100 concurrent getMptToken → ${new Set(grants.map((g) => g.token)).size} token, ` +
        `${(await signIns()) - before} sign-in at IS MPT, ${Math.round(performance.now() - t0)} ms`,
    );
    await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'reset');
    say('IS MPT simulator counters reset; try:');
    say(`  jq .examples.mptSignIn ${sandbox.manifestPath} > mpt.json`);
    say('  npx trustflow token ismpt --input mpt.json');
    say(`  curl ${sandbox.simulators.ismpt.adminBaseUrl}/__sandbox/state`);
    return true;
  } catch (err) {
    say(`token keeper: FAILED: ${(err as Error).message}`);
    return false;
  }
}

/** The credential lifecycle: the sandbox's example inventory, applied as an operator would. False when it failed (and said so). */
async function credentialsDemo(client: Client, sandbox: Sandbox, taskQueue: string): Promise<boolean> {
  try {
    const inventoryPath = sandbox.manifest.credentials.inventory;
    const report = await applyInventory(client, await loadInventoryFile(inventoryPath), { taskQueue });
    say(
      `\ncredentials: applied ${inventoryPath} (${report.created.length} created, ${report.updated.length} updated, ${report.unchanged.length} unchanged); ` +
        `schedule ${scheduleIds.credentialsCheck} checks them every hour`,
    );
    printTable(
      ['credential', 'kind', 'state', 'notAfter', 'daysLeft'],
      (await listCredentials(client)).map((c) => [
        c.id,
        c.kind,
        c.state,
        c.notAfter ?? '-',
        c.daysLeft === null ? '-' : String(c.daysLeft),
      ]),
    );
    say(`alerts received by the sandbox: ${sandbox.simulators.alerts.adminBaseUrl}/__sandbox/state`);
    say('a certificate that expires in 5 minutes:');
    say(`  curl -s -X POST ${sandbox.manifest.credentials.issueUrl} -d '{"validFor":"5m"}' | jq -r .certificate`);
    return true;
  } catch (err) {
    say(`credentials: FAILED: ${(err as Error).message}`);
    return false;
  }
}

/**
 * A sign-in a person signs: the flow waits for the director (30 min), its link is printed for the
 * user to open. With --exit-after-demo the demo plays the person instead (the page's API, the
 * sandbox's NCALayer) and prints the outcome like the other flows'. False when it failed (and said so).
 */
async function personSignInDemo(
  client: Client,
  sandbox: Sandbox,
  taskQueue: string,
  signingPage: SigningPageSettings,
  workflowId: string,
): Promise<boolean> {
  const flow = 'mptSignIn (person)';
  const t0 = performance.now();
  const row = (outcome: string, result: string) => [flow, outcome, `${Math.round(performance.now() - t0)} ms`, result];
  const admin = sandbox.manifest.ncalayer.admin;
  say(`\nA person signs: ${workflowId} (mptSignIn, signer.kind 'person') waits for the director.`);
  try {
    const started = await startPersonSignIn(client, sandbox, { workflowId, taskQueue, signingPage, deadline: '30m' });
    if (values['exit-after-demo']) {
      say(
        "--exit-after-demo plays the director without a browser: the signing page's API as the page calls it, " +
          'and the sandbox NCALayer signs.',
      );
      const signer = await signAsThePerson(started.link.link);
      const result = await started.handle.result();
      printTable(['flow', 'outcome', 'time', 'result'], [row('succeeded', describePersonResult(result))]);
      say(`the flow accepted the signature of IIN …${signer.iinLast4 ?? '?'} (certificate ${signer.serialNumber}); the link is used up`);
      return true;
    }
    say('Open this link in your browser and press the button; the sandbox NCALayer signs as the director:');
    console.log(`  ${started.link.link}`);
    say(
      `It is good until ${started.link.expiresAt}; meanwhile the Web UI shows "waiting for the director to sign". ` +
        'Before you press the button, switch the sandbox NCALayer: the person cancels, signs with ' +
        "another person's key, NCALayer is not running; and back to signing as the director:",
    );
    say(`  curl -s -X POST ${admin}/__sandbox/config -d '{"behaviour":"cancel"}'`);
    say(`  curl -s -X POST ${admin}/__sandbox/config -d '{"key":"wrong-person"}'`);
    say(`  curl -s -X POST ${admin}/__sandbox/config -d '{"behaviour":"absent"}'`);
    say(`  curl -s -X POST ${admin}/__sandbox/reset`);
    return true;
  } catch (err) {
    printTable(['flow', 'outcome', 'time', 'result'], [row('FAILED', (err as Error).message)]);
    return false;
  }
}

/** Where to see each flow's run in the Web UI: [flow, workflow id] rows. */
function printWebUiLinks(codecServerUrl: string, uiUrl: string, namespace: string, runs: string[][]): void {
  say(`\nWeb UI (decoded through the codec server ${codecServerUrl}):`);
  say(`  ${uiUrl}/namespaces/${namespace}/workflows/<workflow id>`);
  printTable(['flow', 'workflow id'], runs);
}

/** A table that fits 100 columns (the last column is shortened with …; the full text is in the Web UI). */
function printTable(head: string[], rows: string[][]): void {
  console.log(`\n${renderTable(head, rows)}`);
}

/** A line of the demo's own output, wrapped at 100 columns. */
function say(text: string): void {
  for (const line of text.split('\n')) console.log(wrap(line, '    ').join('\n'));
}

let stopping = false;
let stopFailed = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Calls under way when their connection closes can fail late, even from a gRPC retry timer (an
  // uncaught 'Channel has been shut down'): expected now, and no reason to skip the rest of the stop.
  process.on('uncaughtException', (err) => console.error(`trustflow start: while stopping: ${err.message}`));
  // Cleanups registered while this runs (a step that was under way) are picked up too.
  while (cleanups.length > 0) {
    const c = cleanups.shift()!;
    try {
      await c();
    } catch (err) {
      stopFailed = true;
      console.error(`trustflow start: while stopping: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    console.log(`${signal}: already stopping`);
    return;
  }
  console.log(`\n${signal}: stopping...`);
  setTimeout(
    () => {
      console.error(`trustflow start: did not stop within ${graceSeconds + 20} s; exiting`);
      process.exit(1);
    },
    (graceSeconds + 20) * 1000,
  ).unref();
  void shutdown().then(() => {
    console.log('everything stopped');
    process.exit(stopFailed ? 1 : (process.exitCode ?? 0));
  });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);

main().catch(async (err) => {
  if (stopping) return; // a step cut short by the stop
  console.error(`trustflow start: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
  await shutdown();
  process.exit(1);
});
