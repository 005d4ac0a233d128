// The load run (issue 18): LOAD_FLOWS (1000) mixed flows through the sandbox, first on one worker
// process, then on two, LOAD_CONCURRENCY (40) in flight. Checks that every flow completed, none was
// lost or ran twice (each id has exactly one completed run; KISC billed each verification once, IS
// MPT counted one sign-in per flow, Cipher has no open ticket, Kontur one session per flow), and
// samples the workers' memory (VmRSS) every 250 ms. A script, not a test: it takes minutes.
//   node dist/bench/load.js           (after `npm test` or `npm run build`)
//   LOAD_FLOWS=1000 LOAD_CONCURRENCY=40
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { encryptingDataConverter } from '../src/codec/data-converter.js';
import { newKeyEntry, parseKeyring } from '../src/codec/keyring.js';
import { startFlow } from '../src/client/flows.js';
import { sandboxAdmin } from '../src/sandbox/index.js';
import { startWorkerProcess, type WorkerProcess } from '../test/helpers/worker-process.js';
import { startSandboxProcess, startScriptServer } from './sandbox-process.js';
import { cipherSign, kiscVerifyIdentity, konturSignIn, mptSignIn } from '../src/flows/index.js';

const FLOWS = Number(process.env.LOAD_FLOWS ?? 1000);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 40);

Runtime.install({ logger: new DefaultLogger('WARN') });
const tmp = await mkdtemp(join(tmpdir(), 'trustflow-load-'));
const keys = newKeyEntry('load');
const dataConverter = encryptingDataConverter(parseKeyring(keys, 'load'));
const env = await startScriptServer(dataConverter);
const sandbox = await startSandboxProcess(join(tmp, 'sandbox'));
const ex = sandbox.manifest.examples;
const client = env.client;
await sandboxAdmin(sandbox.admin('cipher'), 'config', { signingMs: 0 });

/** VmRSS of a process in MiB (Linux). */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

type Kind = 'mptSignIn' | 'kiscVerifyIdentity' | 'cipherSign' | 'konturSignIn';
const starters: Record<Kind, (id: string, taskQueue: string) => Promise<WorkflowHandle>> = {
  mptSignIn: (workflowId, taskQueue) => startFlow(client, mptSignIn, { workflowId, input: ex.mptSignIn, taskQueue }),
  kiscVerifyIdentity: (workflowId, taskQueue) =>
    startFlow(client, kiscVerifyIdentity, { workflowId, input: ex.kiscVerifyIdentity, taskQueue }),
  cipherSign: (workflowId, taskQueue) => startFlow(client, cipherSign, { workflowId, input: ex.cipherSign, taskQueue }),
  konturSignIn: (workflowId, taskQueue) => startFlow(client, konturSignIn, { workflowId, input: ex.konturSignIn!, taskQueue }),
};
// Kontur holds one pending challenge per certificate and the sandbox has one: its flows run one at a
// time, in a lane of their own, beside the others.
const kinds: Kind[] = ['mptSignIn', 'kiscVerifyIdentity', 'cipherSign', ...(ex.konturSignIn ? (['konturSignIn'] as const) : [])];

async function phase(name: string, workerCount: number): Promise<void> {
  for (const s of ['ismpt', 'kisc', 'cipher', 'kontur']) if (sandbox.manifest.services[s]) await sandboxAdmin(sandbox.admin(s), 'reset');
  await sandboxAdmin(sandbox.admin('cipher'), 'config', { signingMs: 0 });
  const taskQueue = `load-${workerCount}`;
  const workers: WorkerProcess[] = [];
  for (let i = 0; i < workerCount; i++)
    workers.push(
      await startWorkerProcess({
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: 'default',
        TRUSTFLOW_TASK_QUEUE: taskQueue,
        TRUSTFLOW_CODEC_KEYS: keys,
      }),
    );
  const peak = workers.map(() => 0);
  const first = await Promise.all(workers.map((w) => rssMiB(w.child.pid!)));
  const sampler = setInterval(() => {
    workers.forEach((w, i) => void rssMiB(w.child.pid!).then((m) => (peak[i] = Math.max(peak[i]!, m))));
  }, 250);

  const plan = Array.from({ length: FLOWS }, (_, i) => ({ kind: kinds[i % kinds.length]!, id: `${taskQueue}-${i}` }));
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  const count = new Map<Kind, number>();
  const run = async (p: (typeof plan)[number]) => {
    const t0 = performance.now();
    try {
      await (await starters[p.kind](p.id, taskQueue)).result();
      latencies.push(performance.now() - t0);
      count.set(p.kind, (count.get(p.kind) ?? 0) + 1);
    } catch (err) {
      const cause = (err as { cause?: { cause?: { type?: string }; type?: string; message?: string } }).cause;
      const type = `${p.kind}: ${cause?.type ?? cause?.cause?.type ?? (err as Error).message}`;
      failures.set(type, (failures.get(type) ?? 0) + 1);
    }
  };
  const lane = async (items: typeof plan) => {
    for (const p of items) await run(p);
  };
  const started = performance.now();
  const pool = plan.filter((p) => p.kind !== 'konturSignIn');
  let next = 0;
  await Promise.all([
    lane(plan.filter((p) => p.kind === 'konturSignIn')),
    ...Array.from({ length: CONCURRENCY }, async () => {
      while (next < pool.length) await run(pool[next++]!);
    }),
  ]);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const last = await Promise.all(workers.map((w) => rssMiB(w.child.pid!)));

  // None lost or run twice: every id has exactly one run, completed.
  let runsOk = 0;
  const problems: string[] = [];
  for (const p of plan) {
    let runs = 0;
    for await (const w of client.workflow.list({ query: `WorkflowId = '${p.id}'` })) {
      runs++;
      if (w.status.name !== 'COMPLETED') problems.push(`${p.id}: ${w.status.name}`);
    }
    if (runs === 1) runsOk++;
    else problems.push(`${p.id}: ${runs} runs`);
  }
  const kisc = await sandboxAdmin(sandbox.admin('kisc'), 'state');
  const billedTwice = Object.values(kisc.billedPerKey as Record<string, number>).filter((c) => c !== 1).length;
  const mpt = await sandboxAdmin(sandbox.admin('ismpt'), 'state');
  const cipher = await sandboxAdmin(sandbox.admin('cipher'), 'state');
  const kontur = ex.konturSignIn ? await sandboxAdmin(sandbox.admin('kontur'), 'state') : undefined;
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? NaN;

  console.log(
    `\n${name}: ${FLOWS} flows (${kinds.join(', ')}; Kontur one at a time), ${CONCURRENCY} in flight, ${workerCount} worker process(es)`,
  );
  console.log(
    `  completed ${latencies.length}/${FLOWS} in ${seconds.toFixed(1)} s = ${(latencies.length / seconds).toFixed(1)} flows/s; latency p50 ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms, max ${q(1).toFixed(0)} ms`,
  );
  console.log(`  failed: ${failures.size ? [...failures].map(([k, v]) => `${k} ×${v}`).join('; ') : 'none'}`);
  console.log(
    `  ids with exactly one completed run: ${runsOk}/${FLOWS}${problems.length ? `; first problems: ${problems.slice(0, 5).join(', ')}` : ''}`,
  );
  console.log(
    `  provider side: KISC billed rows ${kisc.billing.length} for ${count.get('kiscVerifyIdentity') ?? 0} verifications (keys billed more than once: ${billedTwice}); ` +
      `IS MPT sign-ins ${mpt.successfulSignIns} for ${count.get('mptSignIn') ?? 0} flows; Cipher open tickets ${cipher.openTickets}` +
      (kontur ? `; Kontur sessions ${kontur.activeSessions} for ${count.get('konturSignIn') ?? 0} flows` : ''),
  );
  workers.forEach((_, i) =>
    console.log(
      `  worker ${i + 1} VmRSS: ${first[i]!.toFixed(0)} MiB at start, peak ${peak[i]!.toFixed(0)} MiB, ${last[i]!.toFixed(0)} MiB at the end`,
    ),
  );
  for (const w of workers) await w.kill('SIGTERM');
}

try {
  await phase('one worker', 1);
  await phase('two workers', 2);
} finally {
  await sandbox.stop();
  await env.teardown();
  await rm(tmp, { recursive: true, force: true });
}
