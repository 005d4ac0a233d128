// Records the histories the replay test replays: `npm run build && node dist/test/replay/record.js [mpt] [kontur] [kisc]`
// (no argument: all of them; name groups to add new histories without re-recording the older ones).
// Unencrypted on purpose (replayable without a key): they hold only throwaway sandbox values.
// Keep the histories of older versions when adding new ones: replaying them is the point.
// Run it when a workflow changes on purpose (with patching for running flows), and commit the files.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { executeKiscReconcile, executeKiscVerifyIdentity, executeKonturSignIn, executeMptSignIn, startMptSignIn } from '../../src/client/flows.js';
import { sandboxAdmin, startSandbox } from '../../src/sandbox/index.js';
import { createTrustflowWorker } from '../../src/worker/worker.js';
import { repoRoot } from '../helpers/paths.js';
import { startTestServer, temporalCliPath, testWorkflowBundle } from '../helpers/temporal.js';

const taskQueue = 'record';
const tmp = await mkdtemp(join(tmpdir(), 'trustflow-record-'));
const env = await startTestServer({ encrypted: false }); // replayable without a key
const sandbox = await startSandbox({ dir: join(tmp, 'sandbox') });
const worker = await createTrustflowWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, dataConverter: {}, workflowBundle: await testWorkflowBundle() });
const url = sandbox.manifest.services.ismpt!.baseUrl;
const input = sandbox.manifest.examples.mptSignIn;
const groups = process.argv.slice(2);
const want = (group: string) => groups.length === 0 || groups.includes(group);

await worker.runUntil(async () => {
  const save = async (name: string, workflowId: string, type = 'mptSignIn') => {
    // The CLI's JSON is the format Temporal documents for replay files (also what the Web UI downloads).
    const json = execFileSync(temporalCliPath(), ['workflow', 'show', '--address', env.address, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
    await writeFile(join(repoRoot, 'test', 'replay', 'histories', `${type}-${name}.json`), json);
  };
  if (want('mpt')) {
  await executeMptSignIn(env.client, { workflowId: 'replay-happy', input, taskQueue });
  await save('happy', 'replay-happy');

  await sandboxAdmin(url, 'faults', { endpoint: 'POST /auth/simpleSignIn', action: 'delay', delayMs: 1500 });
  const h = await startMptSignIn(env.client, { workflowId: 'replay-expired-challenge', input, taskQueue });
  while (!(await sandboxAdmin(url, 'state')).calls['POST /auth/simpleSignIn']) await new Promise((r) => setTimeout(r, 50));
  await sandboxAdmin(url, 'clock', { advanceMs: 600_000 });
  await h.result();
  await save('expired-challenge', 'replay-expired-challenge');

  const k = sandbox.manifest.keys['mpt-unregistered']!;
  await executeMptSignIn(env.client, { workflowId: 'replay-rejected', input: { ...input, signer: { kind: 'pkcs12', path: k.p12, password: k.password as `file:/${string}` } }, taskQueue }).catch(() => undefined);
  await save('rejected', 'replay-rejected');
  }

  if (want('kontur')) {
  const kontur = sandbox.manifest.examples.konturSignIn!;
  await executeKonturSignIn(env.client, { workflowId: 'replay-kontur-happy', input: kontur, taskQueue });
  await save('happy', 'replay-kontur-happy', 'konturSignIn');
  const kurl = sandbox.manifest.services.kontur!.baseUrl;
  await sandboxAdmin(kurl, 'faults', { endpoint: 'POST /auth/{version}/approve-cert', action: 'status', status: 403, body: 'RndBytesExpired' });
  await executeKonturSignIn(env.client, { workflowId: 'replay-kontur-restart', input: kontur, taskQueue });
  await save('restart', 'replay-kontur-restart', 'konturSignIn');
  }

  if (want('kisc')) {
    const kisc = sandbox.manifest.examples.kiscVerifyIdentity;
    const kadmin = sandbox.simulators.kisc.adminBaseUrl;
    await executeKiscVerifyIdentity(env.client, { workflowId: 'replay-kisc-happy', input: kisc, taskQueue });
    await save('happy', 'replay-kisc-happy', 'kiscVerifyIdentity');
    // Billed, then the connection dropped: the retry recovers the result with GET /verify.
    await sandboxAdmin(kadmin, 'faults', { endpoint: 'POST /verify', action: 'drop' });
    await executeKiscVerifyIdentity(env.client, { workflowId: 'replay-kisc-recovered', input: kisc, taskQueue });
    await save('recovered', 'replay-kisc-recovered', 'kiscVerifyIdentity');
    await executeKiscVerifyIdentity(env.client, { workflowId: 'replay-kisc-not-matched', input: { ...kisc, photo: sandbox.manifest.kisc.persons[0]!.otherPhoto }, taskQueue });
    await save('not-matched', 'replay-kisc-not-matched', 'kiscVerifyIdentity');
    await executeKiscReconcile(env.client, { workflowId: 'replay-kisc-reconcile', input: sandbox.manifest.examples.kiscReconcile, taskQueue });
    await save('happy', 'replay-kisc-reconcile', 'kiscReconcile');
  }
});
await sandbox.stop();
await env.teardown();
await rm(tmp, { recursive: true, force: true });
console.log(`recorded the ${groups.length ? groups.join(', ') : 'mpt, kontur and kisc'} histories in test/replay/histories/`);
