// `npm run bench`: what trustflow's code costs, as ratios against baselines measured in the same
// run on the same machine. Numbers are printed, never asserted. One table holds every flow and crypto
// operation at concurrency 1 and BENCH_CONCURRENCY, then the worker process's peak RSS (the sandbox
// simulators run in a process of their own, as providers do). Then, each in its own section:
//   token     getMptToken from a warm token keeper (Update-with-Start of `getToken`) vs a no-op Update
//             through Update-with-Start (USE_EXISTING) on a trivial long-lived workflow
//   kz-gost   Kazakh GOST signatures per operation against RSA-2048
// Baselines: each flow against a no-op workflow with as many activities as the flow's own history
// shows (counted from a warm-up run), same server, same worker settings, same encrypting data
// converter; each crypto operation against the bare primitive (one RSA signature, one `openssl cms
// -decrypt` process).
// Environment:
//   BENCH_FLOWS, BENCH_CONCURRENCY              runs per table row (40), the higher concurrency (8)
//   BENCH_TOKEN_CALLS, BENCH_TOKEN_CONCURRENCY  calls per variant of the token-keeper scenario (1000), their concurrency (50)
//   BENCH_ONLY  a comma list of the parts to run: flows, crypto, token, kz-gost; all when unset.
//               E.g. BENCH_ONLY=flows,crypto node dist/bench/run.js
//   BENCH_DEV_SERVER_DEFAULTS=1  start the dev server without devServerLatencyConfig (the "before" of issue 17)
//   TRUSTFLOW_KEY_CACHE_SECONDS=0  turns the worker's key cache off (the rows marked "warm" then open every time)
import { generateKeyPairSync, sign as rsaSign, verify as rsaVerify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { startFlow } from '../src/client/flows.js';
import { getMptToken, tokenKeeperId } from '../src/client/token-keepers.js';
import { assertWorkerPolling } from '../src/client/worker-check.js';
import { KEEPER_STATUS_QUERY, type KeeperStatus } from '../src/flows/keepers/token-keeper.contract.js';
import { encryptingDataConverter } from '../src/codec/data-converter.js';
import { newKeyEntry, parseKeyring } from '../src/codec/keyring.js';
import { allSearchAttributeKeys } from '../src/common/search-attributes.js';
import { devServerDynamicConfigArgs, serverDynamicConfig } from '../src/common/server-settings.js';
import { existsSync } from 'node:fs';
import { verifyCms } from '../src/crypto/cms/verify.js';
import { generateKzGostKey, KZ_GOST, kzGostPublicKeyOf, kzGostSign, kzGostVerify } from '../src/crypto/gost/kz-gost.js';
import { cmsSignerOf, openSigner } from '../src/crypto/keys/signer.js';
import { keyCache } from '../src/crypto/keys/key-cache.js';
import { resolveSecret } from '../src/secrets/resolve.js';
import { decryptCms } from '../src/crypto/cms/decrypt.js';
import { openDecryptionKey } from '../src/crypto/keys/decryption-key.js';
import { runGostOpenssl } from '../src/crypto/openssl-gost-engine.js';
import { openKeyStore, openPkcs12 } from '../src/crypto/keys/pkcs12.js';
import { sandboxAdmin } from '../src/sandbox/index.js';
import { startSandboxProcess } from './sandbox-process.js';
import { createTrustflowWorker, workflowPreloadModules } from '../src/worker/worker.js';
import { temporalCliPath } from '../test/helpers/temporal.js';
import { repoRoot } from '../test/helpers/paths.js';
import { BASELINE_PING_UPDATE, BASELINE_STOP_SIGNAL } from './baseline-workflows.js';
import { cipherSign, kiscVerifyIdentity, konturSignIn, mptSignIn } from '../src/flows/index.js';

const N = Number(process.env.BENCH_FLOWS ?? 40);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const TOKEN_CALLS = Number(process.env.BENCH_TOKEN_CALLS ?? 1000);
const TOKEN_CONCURRENCY = Number(process.env.BENCH_TOKEN_CONCURRENCY ?? 50);
const PARTS = ['flows', 'crypto', 'token', 'kz-gost'] as const;
const ONLY = process.env.BENCH_ONLY?.split(',').map((p) => p.trim());
const unknownPart = ONLY?.find((p) => !(PARTS as readonly string[]).includes(p));
if (unknownPart !== undefined) throw new Error(`BENCH_ONLY: unknown part '${unknownPart}' (parts: ${PARTS.join(', ')})`);
const runs = (part: (typeof PARTS)[number]) => !ONLY || ONLY.includes(part);

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { median: q(0.5), p95: q(0.95), p99: q(0.99) };
};
const fmt = (n: number) => n.toFixed(1).padStart(8);

/**
 * n calls, `concurrency` at a time: latency of each successful call, and successful calls per second
 * over the whole batch. A failed call is counted (failed, firstError), not timed.
 */
async function timeCalls(call: (i: number) => Promise<unknown>, n: number, concurrency: number) {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: unknown;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        try {
          await call(i);
          latencies.push(performance.now() - s);
        } catch (err) {
          failed += 1;
          firstError ??= err;
        }
      }
    }),
  );
  return { ...stats(latencies), perSecond: (latencies.length * 1000) / (performance.now() - t0), failed, firstError };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const tmp = await mkdtemp(join(tmpdir(), 'trustflow-bench-'));
  // Both sides encrypt, as in production, so the ratio is about our flow code.
  const dataConverter = encryptingDataConverter(parseKeyring(newKeyEntry('bench'), 'bench'));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      ip: '127.0.0.1',
      searchAttributes: allSearchAttributeKeys,
      // The server settings production gets too (src/common/server-settings.ts), then the bench's own.
      extraArgs: [
        ...devServerDynamicConfigArgs({ latency: process.env.BENCH_DEV_SERVER_DEFAULTS !== '1' }),
        '--sqlite-pragma',
        'journal_mode=WAL',
        '--sqlite-pragma',
        'synchronous=OFF',
      ],
    },
    client: { dataConverter },
  });
  const sandbox = await startSandboxProcess(join(tmp, 'sandbox'));
  try {
    const trustflow = await createTrustflowWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: 'bench-mpt',
      dataConverter,
    });
    const baseline = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-baseline',
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('./baseline-workflows.js', import.meta.url)),
        // The baseline shares trustflow's flow tracking (and so zod): bundled as the worker bundles ours.
        preloadModules: workflowPreloadModules,
        logger: new DefaultLogger('WARN'),
      }),
      activities: { noop: async (x: { n: number }) => ({ n: x.n + 1 }) },
      dataConverter,
    });
    const input = sandbox.manifest.examples.mptSignIn;
    // getMptToken from a warm keeper: an Update-with-Start of `getToken` (USE_EXISTING) answered from
    // the keeper's memory, vs the same call shape on a workflow whose Update returns a constant. Each
    // side is warmed by one call (it starts the workflow; the keeper's also signs in). The keeper's
    // history grows by each Update and it continues as new past its historyLimit: that is measured too.
    // getMptToken as callers get it (coalesce: true, the default: concurrent calls of this process share
    // one Update), and with coalesce: false (one Update per call, the baseline's shape).
    const tokenScenario = async () => {
      const targetId = 'bench-update-target';
      const ping = (i: number) =>
        env.client.workflow.executeUpdateWithStart(BASELINE_PING_UPDATE, {
          args: [{ n: i }],
          startWorkflowOperation: new WithStartWorkflowOperation('baselineUpdateTarget', {
            workflowId: targetId,
            taskQueue: 'bench-baseline',
            args: [],
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          }),
        });
      const token = (coalesce: boolean) => () => getMptToken(env.client, { input, taskQueue: 'bench-mpt', coalesce });
      const signIns = async () =>
        ((await sandboxAdmin(sandbox.admin('ismpt'), 'state')) as { successfulSignIns: number }).successfulSignIns;
      const keeper = env.client.workflow.getHandle(tokenKeeperId('ismpt', input));
      const keeperStatus = () => keeper.query<KeeperStatus>(KEEPER_STATUS_QUERY);
      const target = env.client.workflow.getHandle(targetId);

      const baseWarm = await timeCalls(ping, 1, 1);
      const b = await timeCalls(ping, TOKEN_CALLS, TOKEN_CONCURRENCY);
      const targetEvents = (await target.describe()).historyLength;
      const signInsBefore = await signIns();
      const keeperWarm = await timeCalls(token(true), 1, 1);
      const s0 = await keeperStatus();
      const k = await timeCalls(token(true), TOKEN_CALLS, TOKEN_CONCURRENCY);
      const s1 = await keeperStatus();
      const u = await timeCalls(token(false), TOKEN_CALLS, TOKEN_CONCURRENCY);
      const s2 = await keeperStatus();
      // What the worker-poll check adds to a call, one at a time: getMptToken as callers get it (the
      // check answered from its cache), the check alone from its cache, and the check's DescribeTaskQueue
      // round trip (a fresh client per call has no cache).
      const one = await timeCalls(token(false), TOKEN_CALLS, 1);
      const cached = await timeCalls(() => assertWorkerPolling(env.client, 'bench-mpt'), TOKEN_CALLS, 1);
      const uncached = await timeCalls(
        () => assertWorkerPolling(new Client({ connection: env.client.connection, namespace: 'default' }), 'bench-mpt'),
        TOKEN_CALLS,
        1,
      );
      const signInsDuring = (await signIns()) - signInsBefore;
      // Both end here: the workers shut down with nothing of this scenario left running.
      await target.signal(BASELINE_STOP_SIGNAL);
      const answered = await target.result();
      await keeper.terminate('benchmark done');

      const c = `c=${TOKEN_CONCURRENCY}`.padEnd(5);
      const line = (name: string, r: Awaited<ReturnType<typeof timeCalls>>) =>
        console.log(
          `${name.padEnd(39)} ${c} ${fmt(r.median)} ${fmt(r.p99)} ${fmt(r.perSecond)}${r.failed ? `   ${r.failed} FAILED, first: ${(r.firstError as Error)?.message ?? String(r.firstError)}` : ''}`,
        );
      const ratios = (name: string, r: Awaited<ReturnType<typeof timeCalls>>) =>
        console.log(
          `  ratio ${name} / baseline: p50 ${(r.median / b.median).toFixed(2)}x, p99 ${(r.p99 / b.p99).toFixed(2)}x, throughput ${(r.perSecond / b.perSecond).toFixed(2)}x`,
        );
      console.log(
        `\ngetMptToken from a warm keeper, ${TOKEN_CALLS} calls each, same dev server (history.maxInFlightUpdates ${serverDynamicConfig['history.maxInFlightUpdates']}) and worker settings, ms`,
      );
      console.log('                                                p50      p99   calls/s');
      line('baseline (no-op Update-with-Start)', b);
      line('getMptToken (coalesce: true, default)', k);
      line('getMptToken (coalesce: false)', u);
      ratios('getMptToken', k);
      ratios('getMptToken coalesce: false', u);
      console.log(
        `  one call at a time: getMptToken (coalesce: false) p50 ${one.median.toFixed(2)} ms; its worker-poll check from the cache ` +
          `p50 ${(cached.median * 1000).toFixed(1)} µs; uncached (DescribeTaskQueue) p50 ${uncached.median.toFixed(2)} ms, p99 ${uncached.p99.toFixed(2)} ms`,
      );
      console.log(
        `  Updates received: baseline ${answered - 1}, keeper ${s1.requests - s0.requests} (default) and ${s2.requests - s1.requests} (coalesce: false) for ${TOKEN_CALLS} calls each`,
      );
      console.log(
        `  warm-up call (starts the workflow): baseline ${baseWarm.median.toFixed(1)} ms, keeper ${keeperWarm.median.toFixed(1)} ms (signs in: a child mptSignIn)`,
      );
      console.log(`  provider sign-ins counted by the IS MPT sandbox, warm-up call + all calls above: ${signInsDuring} (expected 1)`);
      console.log(
        `  keeper: runs ${s2.runs} (it continues as new past historyLimit, 2000 events), ${s2.signIns} sign-ins; baseline target: ${targetEvents} history events in its current run`,
      );
    };

    const rows: Row[] = [];
    await trustflow.runUntil(async () =>
      baseline.runUntil(async () => {
        if (runs('flows')) rows.push(...(await flowRows(env.client, sandbox)));
        if (runs('token')) await tokenScenario();
      }),
    );
    if (runs('crypto')) rows.push(...(await cryptoRows(sandbox)));
    if (rows.length > 0) printTable(rows);

    if (runs('kz-gost')) await kzGostScenario();
  } finally {
    await sandbox.stop();
    await env.teardown();
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Kazakh GOST signatures (pure TypeScript on @noble/curves) against RSA-2048 (Node's native OpenSSL),
 * per operation in the same run; then whole CMS signatures with the GOSTKNCA test key vs RSA.
 */
async function kzGostScenario(): Promise<void> {
  const perOp = (reps: number, op: (i: number) => unknown) => {
    for (let i = 0; i < Math.min(5, reps); i++) op(i);
    const t = performance.now();
    for (let i = 0; i < reps; i++) op(i);
    return (performance.now() - t) / reps;
  };
  const message = (i: number) => Buffer.from(`challenge-${i}-${'x'.repeat(40)}`);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaSig = rsaSign('sha256', message(0), rsa.privateKey);
  const rsaSignMs = perOp(200, (i) => rsaSign('sha256', message(i), rsa.privateKey));
  const rsaVerifyMs = perOp(500, () => rsaVerify('sha256', message(0), rsa.publicKey, rsaSig));
  const rows: [string, number, number][] = [['RSA-2048 (Node, native)', rsaSignMs, rsaVerifyMs]];
  for (const alg of Object.values(KZ_GOST)) {
    const key = generateKzGostKey(alg);
    const pub = kzGostPublicKeyOf(key);
    const sig = kzGostSign(key, message(0));
    const reps = alg.size === 32 ? 100 : 40;
    rows.push([alg.name, perOp(reps, (i) => kzGostSign(key, message(i))), perOp(reps, () => kzGostVerify(pub, message(0), sig))]);
  }
  console.log('\nKazakh GOST vs RSA-2048, per operation (ratio to RSA-2048 in this run)');
  console.log(`${'algorithm'.padEnd(40)}  sign ms   (x RSA)  verify ms   (x RSA)`);
  for (const [name, sign, verify] of rows)
    console.log(
      `${name.padEnd(40)} ${sign.toFixed(3).padStart(8)} ${`(${(sign / rsaSignMs).toFixed(1)}x)`.padStart(9)} ${verify.toFixed(3).padStart(10)} ${`(${(verify / rsaVerifyMs).toFixed(1)}x)`.padStart(9)}`,
    );
  const p12 = join(repoRoot, '..', 'shared', 'vectors', 'nca', 'GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12');
  if (!existsSync(p12)) return console.log('CMS with the GOSTKNCA key: skipped, ../shared/vectors not found');
  const gost = cmsSignerOf(openKeyStore(await readFile(p12), 'Qwerty12', p12), p12);
  const rsaP12 = join(repoRoot, '..', 'shared', 'vectors', 'nca', 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12');
  const rsaCms = cmsSignerOf(openKeyStore(await readFile(rsaP12), 'Qwerty12', rsaP12), rsaP12);
  const cmsMs = async (signer: typeof gost, reps: number) => {
    await signer.signCms(message(0), { detached: false });
    const t = performance.now();
    for (let i = 0; i < reps; i++) await signer.signCms(message(i), { detached: false });
    return (performance.now() - t) / reps;
  };
  const [rsaCmsMs, gostCmsMs] = [await cmsMs(rsaCms, 100), await cmsMs(gost, 100)];
  const gostCms = await gost.signCms(message(0), { detached: false });
  let t = performance.now();
  for (let i = 0; i < 50; i++) await verifyCms(gostCms);
  const gostCmsVerifyMs = (performance.now() - t) / 50;
  const rsaCmsDer = await rsaCms.signCms(message(0), { detached: false });
  t = performance.now();
  for (let i = 0; i < 50; i++) await verifyCms(rsaCmsDer);
  const rsaCmsVerifyMs = (performance.now() - t) / 50;
  console.log(
    `CMS attached, NCA test keys: sign GOST 2004 ${gostCmsMs.toFixed(2)} ms vs RSA-2048 ${rsaCmsMs.toFixed(2)} ms (${(gostCmsMs / rsaCmsMs).toFixed(1)}x); verify ${gostCmsVerifyMs.toFixed(2)} ms vs ${rsaCmsVerifyMs.toFixed(2)} ms (${(gostCmsVerifyMs / rsaCmsVerifyMs).toFixed(1)}x)`,
  );
}

/** One line of the table: trustflow's operation against its baseline, measured back to back. */
interface Row {
  what: string;
  baseline: string;
  concurrency: number;
  base: Awaited<ReturnType<typeof timeCalls>>;
  ours: Awaited<ReturnType<typeof timeCalls>>;
}

type Sandbox = Awaited<ReturnType<typeof startSandboxProcess>>;

/**
 * The simulators in their own process (`npm run sandbox`), as providers are: their CPU and memory are
 * not the worker's, so the peak RSS printed is the worker's (with this bench's client).
 */
/** Both sides at concurrency 1 and CONCURRENCY, each side's N runs back to back. */
async function measure(
  what: string,
  baselineName: string,
  base: (i: number) => Promise<unknown>,
  ours: (i: number) => Promise<unknown>,
  n = N,
  concurrencies = [1, CONCURRENCY],
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const concurrency of concurrencies) {
    const b = await timeCalls(base, n, concurrency);
    const o = await timeCalls(ours, n, concurrency);
    for (const r of [b, o]) if (r.failed > 0) throw r.firstError;
    rows.push({ what, baseline: baselineName, concurrency, base: b, ours: o });
  }
  return rows;
}

/**
 * Every flow the sandbox can run without a person in the loop, against a no-op workflow with as many
 * activities as the flow's own warm-up run scheduled (read from its history).
 */
async function flowRows(client: TestWorkflowEnvironment['client'], sandbox: Sandbox): Promise<Row[]> {
  // cipherSign: the simulator's signature is ready at once (signingMs 0), so no poll interval is waited.
  await fetch(`${sandbox.admin('cipher')}/__sandbox/config`, {
    method: 'POST',
    body: JSON.stringify({ signingMs: 0 }),
    headers: { 'content-type': 'application/json' },
  });
  const ex = sandbox.manifest.examples;
  type Starter = (workflowId: string) => Promise<WorkflowHandle>;
  // Kontur keeps one pending challenge per certificate (a new authenticate-by-cert replaces it), and
  // the sandbox has one Kontur certificate: its sign-ins are measured one at a time.
  const oneAtATime = new Set(['konturSignIn']);
  const flows: [string, Starter][] = [
    ['mptSignIn', (workflowId) => startFlow(client, mptSignIn, { workflowId, input: ex.mptSignIn, taskQueue: 'bench-mpt' })],
  ];
  const kontur = ex.konturSignIn;
  if (kontur)
    flows.push(['konturSignIn', (workflowId) => startFlow(client, konturSignIn, { workflowId, input: kontur, taskQueue: 'bench-mpt' })]);
  flows.push(
    [
      'kiscVerifyIdentity',
      (workflowId) => startFlow(client, kiscVerifyIdentity, { workflowId, input: ex.kiscVerifyIdentity, taskQueue: 'bench-mpt' }),
    ],
    ['cipherSign', (workflowId) => startFlow(client, cipherSign, { workflowId, input: ex.cipherSign, taskQueue: 'bench-mpt' })],
  );
  const rows: Row[] = [];
  const breakdowns: string[] = [];
  const segmentLines: string[] = [];
  let unique = 0; // workflow ids are never reused: a KISC id's second start returns the recorded result
  for (const [name, start] of flows) {
    // Warm-up (bundles, connections, the key cache), then the flow's shape from its own history.
    let last: WorkflowHandle | undefined;
    for (let i = 0; i < 3; i++) {
      last = await start(`bench-${name}-warm-${i}`);
      await last.result();
    }
    const events = (await last!.fetchHistory()).events ?? [];
    const activities = events.filter((e) => e.activityTaskScheduledEventAttributes).length;
    const timers = events.filter((e) => e.timerStartedEventAttributes).length;
    const baselineFlow = async () =>
      (
        await client.workflow.start('baselineActivities', {
          workflowId: `bench-base-${name}-${unique++}`,
          taskQueue: 'bench-baseline',
          args: [activities],
        })
      ).result();
    const flow = async () => (await start(`bench-${name}-${unique++}`)).result();
    breakdowns.push(`${name}: ${stepTimes(events)}`);
    // Where a run's time goes, flow against baseline: 15 sequential runs each, medians per segment.
    const histories = async (run: (i: number) => Promise<string>) => {
      const ids: string[] = [];
      for (let i = 0; i < 15; i++) ids.push(await run(i));
      return Promise.all(ids.map(async (id) => (await client.workflow.getHandle(id).fetchHistory()).events ?? []));
    };
    const baseSegments = medianSegments(
      await histories(async () => {
        const id = `bench-base-${name}-${unique++}`;
        await (
          await client.workflow.start('baselineActivities', { workflowId: id, taskQueue: 'bench-baseline', args: [activities] })
        ).result();
        return id;
      }),
    );
    const flowSegments = medianSegments(
      await histories(async () => {
        const id = `bench-${name}-${unique++}`;
        await (await start(id)).result();
        return id;
      }),
    );
    segmentLines.push(`  ${name.padEnd(19)} ${SEGMENTS.map((k) => `${fmtMs(flowSegments[k])} |${fmtMs(baseSegments[k])}`).join('  ')}`);
    rows.push(
      ...(await measure(
        name,
        `${activities} no-op activities${timers ? ` (the flow also ran ${timers} timer(s))` : ''}`,
        baselineFlow,
        flow,
        N,
        oneAtATime.has(name) ? [1] : [1, CONCURRENCY],
      )),
    );
  }
  console.log('\nwhere a warm-up run of each flow spent its time (from its history): activity start→close ms, then ms between steps');
  for (const line of breakdowns) console.log(`  ${line}`);
  console.log('\nper run, from 15 sequential histories each: median ms of each segment summed over the run, flow | its no-op baseline');
  console.log(`  ${''.padEnd(19)} ${SEGMENTS.map((k) => k.padStart(15)).join('  ')}`);
  for (const line of segmentLines) console.log(line);
  console.log(
    '  WFT queue: workflow task scheduled → picked up; WFT worker: picked up → completed (our workflow code + the SDK);\n' +
      '  activity queue / run: scheduled → picked up → completed (the activity body + its completion call);\n' +
      '  server: the rest of first → last event (the server acting on completions); total: first → last event',
  );
  return rows;
}

const SEGMENTS = ['WFT queue', 'WFT worker', 'activity queue', 'activity run', 'server', 'total'] as const;
type Segments = Record<(typeof SEGMENTS)[number], number>;
const fmtMs = (ms: number) => ms.toFixed(1).padStart(6);

/** One run's history cut into segments (SEGMENTS), each summed over the run. */
function segmentsOf(events: temporal.api.history.v1.IHistoryEvent[]): Segments {
  const at = new Map(events.map((e) => [String(e.eventId), millis(e.eventTime)]));
  const out: Segments = { 'WFT queue': 0, 'WFT worker': 0, 'activity queue': 0, 'activity run': 0, server: 0, total: 0 };
  for (const e of events) {
    const t = millis(e.eventTime);
    const wftStarted = e.workflowTaskStartedEventAttributes;
    if (wftStarted) out['WFT queue'] += t - at.get(String(wftStarted.scheduledEventId))!;
    const wftDone = e.workflowTaskCompletedEventAttributes;
    if (wftDone) out['WFT worker'] += t - at.get(String(wftDone.startedEventId))!;
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const started = at.get(String(done.startedEventId))!;
      out['activity queue'] += started - at.get(String(done.scheduledEventId))!;
      out['activity run'] += t - started;
    }
  }
  out.total = millis(events.at(-1)?.eventTime) - millis(events[0]?.eventTime);
  out.server = out.total - out['WFT queue'] - out['WFT worker'] - out['activity queue'] - out['activity run'];
  return out;
}

function medianSegments(runs: temporal.api.history.v1.IHistoryEvent[][]): Segments {
  const all = runs.map(segmentsOf);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return Object.fromEntries(SEGMENTS.map((k) => [k, median(all.map((r) => r[k]))])) as Segments;
}

/** The crypto steps of the flows against the bare primitive, with the key cache warm and cold. */
async function cryptoRows(sandbox: Sandbox): Promise<Row[]> {
  const rows: Row[] = [];
  const k = sandbox.manifest.keys['mpt-aes']!;
  const spec = { kind: 'pkcs12' as const, path: k.p12, password: k.password };
  const bareKey = openPkcs12(await readFile(k.p12), await resolveSecret(k.password), k.p12).privateKey;
  const bareRsa = (i: number) =>
    new Promise<Buffer>((resolve, reject) =>
      rsaSign('sha256', Buffer.from(`challenge-${i}`), bareKey, (err, sig) => (err ? reject(err) : resolve(sig))),
    );
  const cms = async (i: number) => (await openSigner(spec, resolveSecret)).signCms(Buffer.from(`challenge-${i}`), { detached: false });
  await cms(0);
  rows.push(...(await measure('CMS sign, RSA-2048 p12 (AES), warm', 'one RSA-2048 signature', bareRsa, cms, 200)));
  rows.push(
    ...(await measure(
      'CMS sign, RSA-2048 p12 (AES), cold',
      'one RSA-2048 signature',
      bareRsa,
      async (i) => {
        keyCache.clear();
        return cms(i);
      },
      40,
    )),
  );

  const v = join(repoRoot, '..', 'shared', 'vectors', 'tc26_cms');
  if (existsSync(v)) {
    const message = await readFile(join(v, 'encrypted_keytrans_a231.pem'));
    const pem = await readFile(join(v, 'recipient256_key.pem'));
    const certificate = await readFile(join(v, 'recipient256_cert.pem'));
    const bare = () =>
      runGostOpenssl([
        'cms',
        '-decrypt',
        '-binary',
        '-inform',
        'PEM',
        '-in',
        join(v, 'encrypted_keytrans_a231.pem'),
        '-recip',
        join(v, 'recipient256_cert.pem'),
        '-inkey',
        join(v, 'recipient256_key.pem'),
      ]);
    const ours = () => decryptCms({ cms: message, key: { format: 'pem', pem }, certificate });
    await ours();
    rows.push(...(await measure('decryptCms GOST 2012-256 (TC26 A.2.3.1), warm', 'one openssl cms -decrypt process', bare, ours)));
    rows.push(
      ...(await measure('decryptCms GOST 2012-256, cold', 'one openssl cms -decrypt process', bare, async () => {
        keyCache.clear();
        return ours();
      })),
    );
  } else console.log('\nGOST decryption rows: skipped, ../shared/vectors not found');

  // Kontur's shape: GOST 28147-89 key transport to a CryptoPro-A key, which decryptCms does in-process.
  const kontur = await mkdtemp(join(tmpdir(), 'trustflow-bench-gost89-'));
  try {
    const [keyPath, certPath, messagePath] = ['key.pem', 'cert.pem', 'message.der'].map((f) => join(kontur, f)) as [string, string, string];
    await runGostOpenssl(['genpkey', '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:A', '-out', keyPath]);
    await runGostOpenssl(['req', '-new', '-x509', '-key', keyPath, '-md_gost12_256', '-days', '2', '-subj', '/CN=bench', '-out', certPath]);
    await runGostOpenssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-out', messagePath, '-gost89', certPath], {
      stdin: Buffer.alloc(40, 7),
    });
    const der = await readFile(messagePath);
    const [pem, certificate] = await Promise.all([readFile(keyPath), readFile(certPath)]);
    const bare = () =>
      runGostOpenssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', messagePath, '-recip', certPath, '-inkey', keyPath]);
    const ours = () => decryptCms({ cms: der, key: { format: 'pem', pem }, certificate });
    await ours();
    rows.push(...(await measure('decryptCms GOST 28147-89 key transport (Kontur), warm', 'one openssl cms -decrypt process', bare, ours)));
  } finally {
    await rm(kontur, { recursive: true, force: true });
  }

  // Keys as CryptoPro CSP holds them: the container read in-process (CPKDF + unmasking + checks) and its key used.
  const cp = join(repoRoot, '..', 'shared', 'vectors', 'cryptopro');
  const konturP12 = sandbox.manifest.konturKeys?.['kontur-512'];
  if (existsSync(cp) && konturP12?.format === 'pkcs12') {
    const container = join(cp, 'cryptopro-corefx', 'containers', 'G2012256.001');
    const certificate = await readFile(join(cp, 'cryptopro-corefx', 'expected', 'G2012256.001.secondary.cert.pem'));
    const pem = await readFile(join(cp, 'cryptopro-corefx', 'expected', 'G2012256.001.secondary.key.pem'));
    const message = (
      await runGostOpenssl(
        [
          'cms',
          '-encrypt',
          '-binary',
          '-outform',
          'DER',
          '-gost89',
          join(cp, 'cryptopro-corefx', 'expected', 'G2012256.001.secondary.cert.pem'),
        ],
        {
          stdin: Buffer.alloc(40, 7),
        },
      )
    ).stdout;
    const fromPem = () => decryptCms({ cms: message, key: { format: 'pem', pem }, certificate });
    const fromContainer = async () => {
      const opened = await openDecryptionKey({ kind: 'cryptopro', path: container }, resolveSecret);
      return decryptCms({ cms: message, key: opened.key, certificate: opened.certificate });
    };
    await fromContainer();
    rows.push(
      ...(await measure('decryptCms, key from a CryptoPro container, warm', 'the same key as plain PEM, warm', fromPem, fromContainer)),
    );
    rows.push(
      ...(await measure(
        'decryptCms, key from a CryptoPro container, cold',
        'the same key as plain PEM, cold',
        async () => {
          keyCache.clear();
          return fromPem();
        },
        async () => {
          keyCache.clear();
          return fromContainer();
        },
        40,
      )),
    );
    // A password makes CryptoPro's KDF run 2000 rounds (twice: the password check, then the key).
    process.env.BENCH_CONTAINER_PASSWORD = '1';
    const p12Password = await resolveSecret(konturP12.password);
    rows.push(
      ...(await measure(
        'open a CryptoPro container with a password (g2012256.000)',
        'openssl pkcs12 -nocerts of a GOST PBE PKCS#12',
        () => runGostOpenssl(['pkcs12', '-nocerts', '-nodes', '-passin', 'env:P', '-in', konturP12.key], { env: { P: p12Password } }),
        async () => {
          keyCache.clear();
          return openDecryptionKey(
            { kind: 'cryptopro', path: join(cp, 'get-cpcert', 'g2012256.000'), password: 'env:BENCH_CONTAINER_PASSWORD' },
            resolveSecret,
          );
        },
        40,
      )),
    );
  } else console.log('\nCryptoPro container rows: skipped, ../shared/vectors/cryptopro or the sandbox GOST PKCS#12 not found');

  const nca = join(repoRoot, '..', 'shared', 'vectors', 'nca');
  if (existsSync(nca)) {
    process.env.BENCH_NCA_PASSWORD = 'Qwerty12';
    const signer = (file: string) => ({ kind: 'pkcs12' as const, path: join(nca, file), password: 'env:BENCH_NCA_PASSWORD' });
    const gost = signer('GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12');
    const rsa = signer('RSA256_8426360556902ce4ac33977836f873e1dc190976.p12');
    const sign = (s: typeof gost) => async (i: number) =>
      (await openSigner(s, resolveSecret)).signCms(Buffer.from(`challenge-${i}`), { detached: false });
    await sign(gost)(0);
    await sign(rsa)(0);
    rows.push(
      ...(await measure(
        'CMS sign, GOST 34.310-2004 (NCA test key), warm',
        'the same CMS with the NCA RSA-2048 key',
        sign(rsa),
        sign(gost),
      )),
    );
  } else console.log('\nGOST CMS rows: skipped, ../shared/vectors not found');
  return rows;
}

const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/** Per activity of one run: its type and start→close ms; and the rest of the run (server, workflow tasks). */
function stepTimes(events: temporal.api.history.v1.IHistoryEvent[]): string {
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  const parts: string[] = [];
  let inActivities = 0;
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes;
    if (!done) continue;
    const scheduled = byId.get(String(done.scheduledEventId));
    const started = byId.get(String(done.startedEventId));
    const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name;
    const ms = millis(e.eventTime) - millis(started?.eventTime);
    inActivities += ms;
    parts.push(`${type} ${ms.toFixed(1)}`);
  }
  const total = millis(events.at(-1)?.eventTime) - millis(events[0]?.eventTime);
  return `${parts.join(', ')}; outside activities ${(total - inActivities).toFixed(1)} of ${total.toFixed(1)}`;
}

function printTable(rows: Row[]): void {
  const ms = (n: number) => n.toFixed(1).padStart(8);
  console.log(`\nTrustflow vs its baseline, same run; p50 in ms; ratios ours / baseline (throughput: ours / baseline, higher is better)`);
  console.log(
    `${'operation'.padEnd(48)} ${'c'.padStart(2)} ${'base p50'.padStart(8)} ${'ours p50'.padStart(8)} ${'ours p95'.padStart(8)}  p50 ratio  throughput  baseline`,
  );
  for (const r of rows)
    console.log(
      `${r.what.padEnd(48)} ${String(r.concurrency).padStart(2)} ${ms(r.base.median)} ${ms(r.ours.median)} ${ms(r.ours.p95)} ${`${(r.ours.median / r.base.median).toFixed(2)}x`.padStart(10)} ${`${(r.ours.perSecond / r.base.perSecond).toFixed(2)}x`.padStart(11)}  ${r.baseline}`,
    );
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(
    `peak RSS of the worker's process (the bench client shares it; the simulators run in their own): ${rss.toFixed(0)} MiB; key cache: ${JSON.stringify(keyCache.stats())}`,
  );
}

await main();
