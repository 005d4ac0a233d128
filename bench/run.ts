// `npm run bench`: what trustflow's code costs, as ratios against baselines measured in the same
// run on the same machine. Numbers are printed, never asserted.
//   1. mptSignIn end to end vs a no-op workflow with the same three activity hops (same server)
//   2. getMptToken from a warm token keeper (Update-with-Start of `getToken`) vs a no-op Update through
//      Update-with-Start (USE_EXISTING) on a trivial long-lived workflow (same server, same worker settings);
//      getMptToken as callers get it (coalesce: true, the default) and with one Update per call (coalesce: false)
//   3. the signing step (open PKCS#12 + build CMS) vs one bare RSA-2048 signature
//   4. GOST decryption (decryptCms) vs bare `openssl cms -decrypt` (needs ../shared/vectors)
// Environment:
//   BENCH_FLOWS, BENCH_CONCURRENCY              flows per workflow-latency scenario (40), their concurrency (8)
//   BENCH_TOKEN_CALLS, BENCH_TOKEN_CONCURRENCY  calls per variant of the token-keeper scenario (1000), their concurrency (50)
//   BENCH_ONLY  a comma list of the parts to run: flows (1), token (2), signing (3), gost (4), kz-gost (5); all when unset.
//               E.g. BENCH_ONLY=token node dist/bench/run.js
import { generateKeyPairSync, sign as rsaSign, verify as rsaVerify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { startCipherSign, startKiscVerifyIdentity, startKonturSignIn, startMptSignIn } from '../src/client/flows.js';
import { getMptToken, tokenKeeperId } from '../src/client/token-keepers.js';
import { KEEPER_STATUS_QUERY, type KeeperStatus } from '../src/contracts/token-keeper.js';
import { encryptingDataConverter } from '../src/codec/data-converter.js';
import { newKeyEntry, parseKeyring } from '../src/codec/keyring.js';
import { allSearchAttributeKeys } from '../src/common/search-attributes.js';
import { devServerDynamicConfigArgs, serverDynamicConfig } from '../src/common/server-settings.js';
import { existsSync } from 'node:fs';
import { signCmsRsaSha256, verifyCms } from '../src/crypto/cms.js';
import { generateKzGostKey, KZ_GOST, kzGostPublicKeyOf, kzGostSign, kzGostVerify } from '../src/crypto/kz-gost.js';
import { cmsSignerOf } from '../src/crypto/signer.js';
import { decryptCms } from '../src/crypto/decrypt.js';
import { runGostOpenssl } from '../src/crypto/gost.js';
import { openKeyStore, openPkcs12 } from '../src/crypto/pkcs12.js';
import { sandboxAdmin, startSandbox } from '../src/sandbox/index.js';
import { createTrustflowWorker } from '../src/worker/worker.js';
import { temporalCliPath } from '../test/helpers/temporal.js';
import { repoRoot } from '../test/helpers/paths.js';
import { BASELINE_PING_UPDATE, BASELINE_STOP_SIGNAL } from './baseline-workflows.js';

const N = Number(process.env.BENCH_FLOWS ?? 40);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const TOKEN_CALLS = Number(process.env.BENCH_TOKEN_CALLS ?? 1000);
const TOKEN_CONCURRENCY = Number(process.env.BENCH_TOKEN_CONCURRENCY ?? 50);
const PARTS = ['flows', 'token', 'signing', 'gost', 'kz-gost'] as const;
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

/** Flows from their start to their result; the first failure is thrown once all have ended. */
async function timeFlows(start: (i: number) => Promise<{ result(): Promise<unknown> }>, n: number, concurrency: number) {
  const r = await timeCalls(async (i) => (await start(i)).result(), n, concurrency);
  if (r.failed > 0) throw r.firstError;
  return r;
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
      extraArgs: [...devServerDynamicConfigArgs(), '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF'],
    },
    client: { dataConverter },
  });
  const sandbox = await startSandbox({ dir: join(tmp, 'sandbox') });
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
        logger: new DefaultLogger('WARN'),
      }),
      activities: { noop: async (x: { n: number }) => ({ n: x.n + 1 }) },
      dataConverter,
    });
    const input = sandbox.manifest.examples.mptSignIn;
    const mpt = (tag: string) => (i: number) =>
      startMptSignIn(env.client, { workflowId: `bench-mpt-${tag}-${i}`, input, taskQueue: 'bench-mpt' });
    const base = (tag: string) => (i: number) =>
      env.client.workflow.start('baselineThreeActivities', { workflowId: `bench-base-${tag}-${i}`, taskQueue: 'bench-baseline', args: [] });

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
        ((await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'state')) as { successfulSignIns: number }).successfulSignIns;
      const keeper = env.client.workflow.getHandle(tokenKeeperId('mpt', input));
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

    await Promise.all([
      trustflow.runUntil(async () =>
        baseline.runUntil(async () => {
          if (runs('flows')) {
            await timeFlows(mpt('warm'), 5, 1); // warm-up: bundles loaded, connections open
            await timeFlows(base('warm'), 5, 1);
            console.log(`\nworkflow latency, ${N} flows each, same dev server (SQLite WAL), ms`);
            console.log('                                    median      p95   flows/s');
            for (const c of [1, CONCURRENCY]) {
              const b = await timeFlows(base(`c${c}`), N, c);
              const m = await timeFlows(mpt(`c${c}`), N, c);
              console.log(`baseline (3 no-op activities) c=${String(c).padEnd(2)} ${fmt(b.median)} ${fmt(b.p95)} ${fmt(b.perSecond)}`);
              console.log(`mptSignIn                     c=${String(c).padEnd(2)} ${fmt(m.median)} ${fmt(m.p95)} ${fmt(m.perSecond)}`);
              console.log(
                `  ratio mptSignIn / baseline: median ${(m.median / b.median).toFixed(2)}x, throughput ${(m.perSecond / b.perSecond).toFixed(2)}x`,
              );
            }
            const plain = await timeFlows(
              (i) =>
                env.client.workflow.start('baselineNoSearchAttributes', {
                  workflowId: `bench-plain-${i}`,
                  taskQueue: 'bench-baseline',
                  args: [],
                }),
              N,
              1,
            );
            console.log(`baseline without search-attribute upserts c=1 median ${plain.median.toFixed(1)} ms (cost of the upserts)`);
            if (sandbox.manifest.examples.konturSignIn) {
              const kinput = sandbox.manifest.examples.konturSignIn;
              const two = await timeFlows(
                (i) =>
                  env.client.workflow.start('baselineTwoActivities', {
                    workflowId: `bench-two-${i}`,
                    taskQueue: 'bench-baseline',
                    args: [],
                  }),
                N,
                1,
              );
              const k = await timeFlows(
                (i) => startKonturSignIn(env.client, { workflowId: `bench-kontur-${i}`, input: kinput, taskQueue: 'bench-mpt' }),
                N,
                1,
              );
              console.log(`baseline (2 no-op activities)  c=1  ${fmt(two.median)} ${fmt(two.p95)} ${fmt(two.perSecond)}`);
              console.log(`konturSignIn                  c=1  ${fmt(k.median)} ${fmt(k.p95)} ${fmt(k.perSecond)}`);
              console.log(
                `  ratio konturSignIn / baseline: median ${(k.median / two.median).toFixed(2)}x (GOST decrypt by OpenSSL processes, simulator encrypts with OpenSSL too)`,
              );
            }
            {
              const kisc = sandbox.manifest.examples.kiscVerifyIdentity;
              const three = await timeFlows(base('kisc'), N, 1);
              const v = await timeFlows(
                (i) => startKiscVerifyIdentity(env.client, { workflowId: `bench-kisc-${i}`, input: kisc, taskQueue: 'bench-mpt' }),
                N,
                1,
              );
              console.log(`baseline (3 no-op activities)  c=1  ${fmt(three.median)} ${fmt(three.p95)} ${fmt(three.perSecond)}`);
              console.log(`kiscVerifyIdentity            c=1  ${fmt(v.median)} ${fmt(v.p95)} ${fmt(v.perSecond)}`);
              console.log(
                `  ratio kiscVerifyIdentity / baseline: median ${(v.median / three.median).toFixed(2)}x (mutual TLS to the simulator, photo hashing, JWS with the PKCS#12 signing key)`,
              );
            }
            {
              // cipherSign: eight activities; the simulator's signature is ready after signingMs (0 here).
              await fetch(`${sandbox.simulators.cipher.adminBaseUrl}/__sandbox/config`, {
                method: 'POST',
                body: JSON.stringify({ signingMs: 0 }),
                headers: { 'content-type': 'application/json' },
              });
              const eight = await timeFlows(
                (i) =>
                  env.client.workflow.start('baselineActivities', {
                    workflowId: `bench-eight-${i}`,
                    taskQueue: 'bench-baseline',
                    args: [8],
                  }),
                N,
                1,
              );
              const c = await timeFlows(
                (i) =>
                  startCipherSign(env.client, {
                    workflowId: `bench-cipher-${i}`,
                    input: sandbox.manifest.examples.cipherSign,
                    taskQueue: 'bench-mpt',
                  }),
                N,
                1,
              );
              console.log(`baseline (8 no-op activities)  c=1  ${fmt(eight.median)} ${fmt(eight.p95)} ${fmt(eight.perSecond)}`);
              console.log(`cipherSign                    c=1  ${fmt(c.median)} ${fmt(c.p95)} ${fmt(c.perSecond)}`);
              console.log(
                `  ratio cipherSign / baseline: median ${(c.median / eight.median).toFixed(2)}x (HTTP to the simulator, PKCS#12 opened by the simulator twice, RSA CMS, a 1 s poll interval when not ready at the first check)`,
              );
            }
          }
          if (runs('token')) await tokenScenario();
        }),
      ),
    ]);

    // Signing step alone.
    if (runs('signing')) {
      const results: string[] = [];
      for (const name of ['mpt-legacy', 'mpt-aes']) {
        const k = sandbox.manifest.keys[name]!;
        const der = await readFile(k.p12);
        const password = (await readFile(k.password.slice(5), 'utf8')).trim();
        const key = openPkcs12(der, password, k.p12);
        const reps = 200;
        let t = performance.now();
        for (let i = 0; i < reps; i++) rsaSign('sha256', Buffer.from(`challenge-${i}`), key.privateKey);
        const bare = (performance.now() - t) / reps;
        t = performance.now();
        for (let i = 0; i < reps; i++)
          await signCmsRsaSha256({
            content: Buffer.from(`challenge-${i}`),
            privateKey: key.privateKey,
            certificates: key.certificates,
            detached: false,
          });
        const cms = (performance.now() - t) / reps;
        t = performance.now();
        for (let i = 0; i < 20; i++) openPkcs12(der, password, k.p12);
        const open = (performance.now() - t) / 20;
        results.push(
          `${name.padEnd(11)} bare RSA sign ${bare.toFixed(3)} ms | CMS sign ${cms.toFixed(3)} ms (${(cms / bare).toFixed(1)}x) | open p12 ${open.toFixed(1)} ms (${(open / bare).toFixed(0)}x)`,
        );
      }
      console.log('\nsigning step, per operation (RSA-2048)');
      for (const r of results) console.log(r);
    }

    // GOST decryption (Kontur's EncryptedKey): decryptCms with its safety checks vs bare OpenSSL.
    const v = join(repoRoot, '..', 'shared', 'vectors', 'tc26_cms');
    if (runs('gost') && existsSync(v)) {
      const cms = await readFile(join(v, 'encrypted_keytrans_a231.pem'));
      const pem = await readFile(join(v, 'recipient256_key.pem'));
      const cert = await readFile(join(v, 'recipient256_cert.pem'));
      const reps = 20;
      for (let i = 0; i < 3; i++) await decryptCms({ cms, key: { format: 'pem', pem }, certificate: cert });
      let t = performance.now();
      for (let i = 0; i < reps; i++) await decryptCms({ cms, key: { format: 'pem', pem }, certificate: cert });
      const ours = (performance.now() - t) / reps;
      t = performance.now();
      for (let i = 0; i < reps; i++) {
        await runGostOpenssl([
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
      }
      const bare = (performance.now() - t) / reps;
      console.log(
        `\nGOST decrypt (TC26 a231): decryptCms ${ours.toFixed(1)} ms per call vs bare openssl cms -decrypt ${bare.toFixed(1)} ms (${(ours / bare).toFixed(1)}x; key/cert check + debug_decrypt)`,
      );
    } else if (runs('gost')) console.log('\nGOST decrypt: skipped, ../shared/vectors not found');

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

await main();
