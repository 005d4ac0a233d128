// The provider-outage drill (issue 18): each provider down for DRILL_OUTAGE_SECONDS (300) while one
// of its flows is in flight, all four at once, on a dev server, the sandbox in its own process and
// one worker. Prints, per flow, how it ended (completed, or the failure type), after how long, how
// many requests the outage refused, and the provider-side counts that must not double. CI runs the
// same scenarios with 6 s outages (test/integration/provider-outages.test.ts).
//   node dist/bench/outage-drill.js            (after `npm test` or `npm run build`)
//   DRILL_OUTAGE_SECONDS=300  DRILL_MODE=unavailable|reset (503 answers, or connections closed)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { encryptingDataConverter } from '../src/codec/data-converter.js';
import { newKeyEntry, parseKeyring } from '../src/codec/keyring.js';
import { startFlow } from '../src/client/flows.js';
import { sandboxAdmin } from '../src/sandbox/index.js';
import { createTrustflowWorker } from '../src/worker/worker.js';
import { startSandboxProcess, startScriptServer } from './sandbox-process.js';
import { cipherSign, kiscVerifyIdentity, konturSignIn, mptSignIn } from '../src/flows/index.js';

const SECONDS = Number(process.env.DRILL_OUTAGE_SECONDS ?? 300);
const MODE = (process.env.DRILL_MODE ?? 'unavailable') as 'unavailable' | 'reset';
if (!(SECONDS >= 0) || !['unavailable', 'reset'].includes(MODE)) throw new Error('DRILL_OUTAGE_SECONDS ≥ 0, DRILL_MODE unavailable|reset');

Runtime.install({ logger: new DefaultLogger('ERROR') }); // the retries' warnings would drown the table
const tmp = await mkdtemp(join(tmpdir(), 'trustflow-drill-'));
const dataConverter = encryptingDataConverter(parseKeyring(newKeyEntry('drill'), 'drill'));
const env = await startScriptServer(dataConverter);
const sandbox = await startSandboxProcess(join(tmp, 'sandbox'));
const taskQueue = 'outage-drill';
const worker = await createTrustflowWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, dataConverter });
const running = worker.run();
try {
  const ex = sandbox.manifest.examples;
  const client = env.client;
  await sandboxAdmin(sandbox.admin('cipher'), 'config', { signingMs: 0 });
  const scenarios: [string, string, string, () => Promise<WorkflowHandle>][] = [
    [
      'mptSignIn',
      'ismpt',
      'GET /auth/key',
      () => startFlow(client, mptSignIn, { workflowId: 'drill-mpt', input: ex.mptSignIn, taskQueue }),
    ],
    [
      'kiscVerifyIdentity',
      'kisc',
      'GET /vendors',
      () => startFlow(client, kiscVerifyIdentity, { workflowId: 'drill-kisc', input: ex.kiscVerifyIdentity, taskQueue }),
    ],
    [
      'cipherSign',
      'cipher',
      'POST /ticket/{uuid}/data',
      () => startFlow(client, cipherSign, { workflowId: 'drill-cipher', input: ex.cipherSign, taskQueue }),
    ],
  ];
  if (ex.konturSignIn)
    scenarios.push([
      'konturSignIn',
      'kontur',
      'POST /auth/{version}/authenticate-by-cert',
      () => startFlow(client, konturSignIn, { workflowId: 'drill-kontur', input: ex.konturSignIn!, taskQueue }),
    ]);
  console.log(`each provider down for ${SECONDS} s (${MODE}) from its flow's first call on; all at once`);
  const rows = await Promise.all(
    scenarios.map(async ([flow, provider, endpoint, start]) => {
      const admin = sandbox.admin(provider);
      await sandboxAdmin(admin, 'faults', { endpoint, action: 'delay', delayMs: 300 });
      const started = Date.now();
      const handle = await start();
      while (!((await sandboxAdmin(admin, 'state')).calls?.[endpoint] >= 1)) await new Promise((r) => setTimeout(r, 20));
      await sandboxAdmin(admin, 'outage', { seconds: SECONDS, mode: MODE });
      const outcome = await handle.result().then(
        () => 'completed',
        (err: unknown) => {
          const cause = (err as { cause?: { cause?: { type?: string }; type?: string } }).cause;
          return `failed: ${cause?.type ?? cause?.cause?.type ?? String(err)}`;
        },
      );
      const s = await sandboxAdmin(admin, 'state');
      const counts =
        provider === 'kisc'
          ? `billed rows ${s.billing.length}`
          : provider === 'ismpt'
            ? `sign-ins ${s.successfulSignIns}`
            : provider === 'cipher'
              ? `open tickets ${s.openTickets}`
              : `sessions ${s.activeSessions}`;
      return { flow, outcome, seconds: (Date.now() - started) / 1000, refused: s.outage.refused as number, counts };
    }),
  );
  console.log('flow                 outcome                              after s   refused   provider side when the flow ended');
  for (const r of rows)
    console.log(
      `${r.flow.padEnd(20)} ${r.outcome.padEnd(36)} ${r.seconds.toFixed(1).padStart(7)}   ${String(r.refused).padStart(7)}   ${r.counts}`,
    );
  // A Cipher ticket a flow could not delete goes to cipherTicketCleanup: it must be gone soon after
  // the outage ends (its backoff is at most 30 s).
  const cipher = sandbox.admin('cipher');
  const outageEnds = Date.parse((await sandboxAdmin(cipher, 'state')).outage.until as string);
  let open = (await sandboxAdmin(cipher, 'state')).openTickets as number;
  while (open > 0 && Date.now() < outageEnds + 90_000) {
    await new Promise((r) => setTimeout(r, 1000));
    open = (await sandboxAdmin(cipher, 'state')).openTickets as number;
  }
  console.log(`Cipher tickets still open ${Math.max(0, (Date.now() - outageEnds) / 1000).toFixed(0)} s after its outage ended: ${open}`);
} finally {
  worker.shutdown();
  await running;
  await sandbox.stop();
  await env.teardown();
  await rm(tmp, { recursive: true, force: true });
}
