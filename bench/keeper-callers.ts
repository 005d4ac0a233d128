// Several processes of non-coalesced token-keeper callers against one keeper (issue 26, item 8):
// KEEPER_PROCESSES (5) caller processes, each with KEEPER_CONCURRENCY (20) getMptToken calls in flight
// (`coalesce: false`: one Update per call) for KEEPER_SECONDS (20), against a dev server started
// either with trustflow's server settings or as a plain `temporal server start-dev` (the default of
// 10 Updates in flight per workflow). Prints, per server: calls, failures by message, latency
// quantiles, and IS MPT sign-ins. A script, not a test: it takes a minute or two.
//   node dist/bench/keeper-callers.js                 both servers
//   KEEPER_SERVER=plain|settings node dist/bench/keeper-callers.js
//   KEEPER_PROCESSES=5 KEEPER_CONCURRENCY=20 KEEPER_SECONDS=20
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectClient } from '../src/client/connection.js';
import { getMptToken } from '../src/client/token-keepers.js';
import { encryptingDataConverter } from '../src/codec/data-converter.js';
import { newKeyEntry, parseKeyring } from '../src/codec/keyring.js';
import { allSearchAttributeKeys } from '../src/common/search-attributes.js';
import { devServerDynamicConfigArgs } from '../src/common/server-settings.js';
import type { MptSignInInput } from '../src/flows/ismpt/mpt-sign-in.contract.js';
import { sandboxAdmin } from '../src/sandbox/index.js';
import { temporalCliPath } from '../test/helpers/temporal.js';
import { startWorkerProcess } from '../test/helpers/worker-process.js';
import { startSandboxProcess } from './sandbox-process.js';

const PROCESSES = Number(process.env.KEEPER_PROCESSES ?? 5);
const CONCURRENCY = Number(process.env.KEEPER_CONCURRENCY ?? 20);
const SECONDS = Number(process.env.KEEPER_SECONDS ?? 20);

interface CallerReport {
  calls: number;
  failures: Record<string, number>;
  latenciesMs: number[];
}

if (process.argv[2] === 'caller') {
  // One caller process: its own client, CONCURRENCY loops of getMptToken until the deadline.
  const input = JSON.parse(process.env.KEEPER_INPUT!) as MptSignInInput;
  const taskQueue = process.env.TRUSTFLOW_TASK_QUEUE!;
  const client = await connectClient();
  const report: CallerReport = { calls: 0, failures: {}, latenciesMs: [] };
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const t0 = performance.now();
        try {
          await getMptToken(client, { input, taskQueue, coalesce: false });
          report.latenciesMs.push(performance.now() - t0);
        } catch (err) {
          const text = `${(err as Error).name}: ${(err as Error).message}`.slice(0, 200);
          report.failures[text] = (report.failures[text] ?? 0) + 1;
        }
        report.calls++;
      }
    }),
  );
  process.send!(report);
  await client.connection.close();
  process.exit(0);
}

Runtime.install({ logger: new DefaultLogger('WARN') });

async function run(server: 'plain' | 'settings'): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'trustflow-keeper-callers-'));
  const keys = newKeyEntry('keeper-callers');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      ip: '127.0.0.1',
      searchAttributes: allSearchAttributeKeys,
      // 'plain': what the "By hand" command (now in docs/commands.md) used to start (no dynamic config).
      extraArgs: server === 'settings' ? devServerDynamicConfigArgs() : [],
    },
    client: { dataConverter: encryptingDataConverter(parseKeyring(keys, 'keeper-callers')) },
  });
  const sandbox = await startSandboxProcess(join(tmp, 'sandbox'));
  const taskQueue = 'keeper-callers';
  const common = {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_TASK_QUEUE: taskQueue,
    TRUSTFLOW_CODEC_KEYS: keys,
  };
  const worker = await startWorkerProcess(common);
  try {
    const input = sandbox.manifest.examples.mptSignIn;
    const t0 = performance.now();
    const reports = await Promise.all(
      Array.from(
        { length: PROCESSES },
        () =>
          new Promise<CallerReport>((resolve, reject) => {
            const child = fork(fileURLToPath(import.meta.url), ['caller'], {
              env: { ...process.env, ...common, KEEPER_INPUT: JSON.stringify(input) },
            });
            child.once('message', (m) => resolve(m as CallerReport));
            child.once('exit', (code) => code !== 0 && reject(new Error(`caller exited ${code}`)));
          }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    const calls = reports.reduce((n, r) => n + r.calls, 0);
    const failures: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
    const failed = Object.values(failures).reduce((n, v) => n + v, 0);
    const sorted = reports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const q = (f: number) => (sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? NaN).toFixed(0);
    const mpt = await sandboxAdmin(sandbox.admin('ismpt'), 'state');
    console.log(
      `\n${server === 'plain' ? 'plain `temporal server start-dev` (10 Updates in flight per workflow)' : 'server settings (src/common/server-settings.ts)'}: ` +
        `${PROCESSES} processes × ${CONCURRENCY} non-coalesced callers for ${SECONDS} s`,
    );
    console.log(
      `  calls ${calls} in ${seconds.toFixed(1)} s (${(calls / seconds).toFixed(0)}/s), succeeded ${calls - failed}, failed ${failed}; ` +
        `latency p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms; IS MPT sign-ins ${mpt.successfulSignIns}`,
    );
    for (const [k, v] of Object.entries(failures)) console.log(`  failure ×${v}: ${k}`);
  } finally {
    await worker.kill('SIGTERM');
    await sandbox.stop();
    await env.teardown();
    await rm(tmp, { recursive: true, force: true });
  }
}

const which = process.env.KEEPER_SERVER;
if (which !== 'settings') await run('plain');
if (which !== 'plain') await run('settings');
