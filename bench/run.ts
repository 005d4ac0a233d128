// `npm run bench`: what trustflow's code costs, as ratios against baselines measured in the same
// run on the same machine. Numbers are printed, never asserted.
//   1. mptSignIn end to end vs a no-op workflow with the same three activity hops (same server)
//   2. the signing step (open PKCS#12 + build CMS) vs one bare RSA-2048 signature
import { sign as rsaSign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { startCipherSign, startKiscVerifyIdentity, startKonturSignIn, startMptSignIn } from '../src/client/flows.js';
import { encryptingDataConverter } from '../src/codec/data-converter.js';
import { newKeyEntry, parseKeyring } from '../src/codec/keyring.js';
import { allSearchAttributeKeys } from '../src/common/search-attributes.js';
import { existsSync } from 'node:fs';
import { signCmsRsaSha256 } from '../src/crypto/cms.js';
import { decryptCms } from '../src/crypto/decrypt.js';
import { runGostOpenssl } from '../src/crypto/gost.js';
import { openPkcs12 } from '../src/crypto/pkcs12.js';
import { startSandbox } from '../src/sandbox/index.js';
import { createTrustflowWorker } from '../src/worker/worker.js';
import { temporalCliPath } from '../test/helpers/temporal.js';
import { repoRoot } from '../test/helpers/paths.js';

const N = Number(process.env.BENCH_FLOWS ?? 40);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p95: q(0.95) };
};
const fmt = (n: number) => n.toFixed(1).padStart(8);

async function timeFlows(start: (i: number) => Promise<{ result(): Promise<unknown> }>, n: number, concurrency: number) {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        await (await start(i)).result();
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { ...stats(latencies), perSecond: (n * 1000) / (performance.now() - t0) };
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
      extraArgs: ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF'],
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

    await Promise.all([
      trustflow.runUntil(async () =>
        baseline.runUntil(async () => {
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
                env.client.workflow.start('baselineTwoActivities', { workflowId: `bench-two-${i}`, taskQueue: 'bench-baseline', args: [] }),
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
                env.client.workflow.start('baselineActivities', { workflowId: `bench-eight-${i}`, taskQueue: 'bench-baseline', args: [8] }),
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
        }),
      ),
    ]);

    // Signing step alone.
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

    // GOST decryption (Kontur's EncryptedKey): decryptCms with its safety checks vs bare OpenSSL.
    const v = join(repoRoot, '..', 'shared', 'vectors', 'tc26_cms');
    if (existsSync(v)) {
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
    } else console.log('\nGOST decrypt: skipped, ../shared/vectors not found');
  } finally {
    await sandbox.stop();
    await env.teardown();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
