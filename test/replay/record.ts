// Records the histories the replay test replays: `npm run build && node dist/test/replay/record.js [mpt] [kontur] [kisc] [kisc-maintenance] [cipher] [kpsis] [credentials] [keepers] [keeper-end] [person]`
// (no argument: all of them; name groups to add new histories without re-recording the older ones).
// Unencrypted on purpose (replayable without a key): they hold only throwaway sandbox values.
// Keep the histories of older versions when adding new ones: replaying them is the point.
// Run it when a workflow changes on purpose (with patching for running flows), and commit the files.
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { submitKpsisCertificate, startFlow, executeFlow } from '../../src/client/flows.js';
import { acknowledgeCredential, applyInventory, loadInventoryFile, scanCredentials } from '../../src/client/credentials.js';
import {
  endTokenKeeper,
  getKonturSession,
  getMptToken,
  invalidateKonturSession,
  invalidateMptToken,
  tokenKeeperId,
} from '../../src/client/token-keepers.js';
import { issueSandboxCertificate, sandboxAdmin, startSandbox } from '../../src/sandbox/index.js';
import { createTrustflowWorker } from '../../src/worker/worker.js';
import { alertSettingsFromEnv } from '../../src/common/alert-settings.js';
import { linkKeyFromSecret } from '../../src/common/signing-link.js';
import { openSigner } from '../../src/crypto/keys/signer.js';
import { resolveSecret } from '../../src/secrets/resolve.js';
import {
  PERSON_SIGNING_QUERY,
  SUBMIT_PERSON_SIGNATURE,
  type PersonSigningView,
} from '../../src/flows/person-signing/person-signing.contract.js';
import { plannedWorksNews } from '../helpers/kisc-news.js';
import { sandboxAlertEnv } from '../helpers/flow-env.js';
import { repoRoot } from '../helpers/paths.js';
import { startTestServer, temporalCliPath, testWorkflowBundle } from '../helpers/temporal.js';
import {
  cipherInspectKeyStore,
  cipherSign,
  kiscReconcile,
  kiscVerifyIdentity,
  konturSignIn,
  kpsisIssueCertificate,
  mptSignIn,
} from '../../src/flows/index.js';

// The client helpers refuse unencrypted starts unless told so, and only on loopback (the test server).
process.env.TRUSTFLOW_ALLOW_UNENCRYPTED = '1';
const taskQueue = 'record';
const tmp = await mkdtemp(join(tmpdir(), 'trustflow-record-'));
const env = await startTestServer({ encrypted: false }); // replayable without a key
const sandbox = await startSandbox({ dir: join(tmp, 'sandbox') });
const worker = await createTrustflowWorker({
  connection: env.nativeConnection,
  namespace: 'default',
  taskQueue,
  dataConverter: {},
  workflowBundle: await testWorkflowBundle(),
  // Alerts (credential watches, KPSIS reminders, signing links) to the sandbox's receiver.
  activityDeps: {
    alerts: alertSettingsFromEnv(await sandboxAlertEnv(sandbox.manifest)),
    signingPage: { pageUrl: 'http://127.0.0.1:9', linkKey: linkKeyFromSecret('replay-recording-link-key-0a1b2c3d4e5f6a7b8c9d') },
  },
});
const url = sandbox.manifest.services.ismpt!.baseUrl;
const input = sandbox.manifest.examples.mptSignIn;
const groups = process.argv.slice(2);
const want = (group: string) => groups.length === 0 || groups.includes(group);

await worker.runUntil(async () => {
  const save = async (name: string, workflowId: string, type = 'mptSignIn') => {
    // The CLI's JSON is the format Temporal documents for replay files (also what the Web UI downloads).
    const json = execFileSync(
      temporalCliPath(),
      ['workflow', 'show', '--address', env.address, '--workflow-id', workflowId, '--output', 'json'],
      { encoding: 'utf8' },
    );
    await writeFile(join(repoRoot, 'test', 'replay', 'histories', `${type}-${name}.json`), json);
  };
  if (want('mpt')) {
    await executeFlow(env.client, mptSignIn, { workflowId: 'replay-happy', input, taskQueue });
    await save('happy', 'replay-happy');

    await sandboxAdmin(url, 'faults', { endpoint: 'POST /auth/simpleSignIn', action: 'delay', delayMs: 1500 });
    const h = await startFlow(env.client, mptSignIn, { workflowId: 'replay-expired-challenge', input, taskQueue });
    while (!(await sandboxAdmin(url, 'state')).calls['POST /auth/simpleSignIn']) await new Promise((r) => setTimeout(r, 50));
    await sandboxAdmin(url, 'clock', { advanceMs: 600_000 });
    await h.result();
    await save('expired-challenge', 'replay-expired-challenge');

    const k = sandbox.manifest.keys['mpt-unregistered']!;
    await executeFlow(env.client, mptSignIn, {
      workflowId: 'replay-rejected',
      input: { ...input, signer: { kind: 'pkcs12', path: k.p12, password: k.password as `file:/${string}` } },
      taskQueue,
    }).catch(() => undefined);
    await save('rejected', 'replay-rejected');
  }

  if (want('kontur')) {
    const kontur = sandbox.manifest.examples.konturSignIn!;
    await executeFlow(env.client, konturSignIn, { workflowId: 'replay-kontur-happy', input: kontur, taskQueue });
    await save('happy', 'replay-kontur-happy', 'konturSignIn');
    const kurl = sandbox.manifest.services.kontur!.baseUrl;
    await sandboxAdmin(kurl, 'faults', {
      endpoint: 'POST /auth/{version}/approve-cert',
      action: 'status',
      status: 403,
      body: 'RndBytesExpired',
    });
    await executeFlow(env.client, konturSignIn, { workflowId: 'replay-kontur-restart', input: kontur, taskQueue });
    await save('restart', 'replay-kontur-restart', 'konturSignIn');
  }

  if (want('kisc')) {
    const kisc = sandbox.manifest.examples.kiscVerifyIdentity;
    const kadmin = sandbox.simulators.kisc.adminBaseUrl;
    await executeFlow(env.client, kiscVerifyIdentity, { workflowId: 'replay-kisc-happy', input: kisc, taskQueue });
    await save('happy', 'replay-kisc-happy', 'kiscVerifyIdentity');
    // Billed, then the connection dropped: the retry recovers the result with GET /verify.
    await sandboxAdmin(kadmin, 'faults', { endpoint: 'POST /verify', action: 'drop' });
    await executeFlow(env.client, kiscVerifyIdentity, { workflowId: 'replay-kisc-recovered', input: kisc, taskQueue });
    await save('recovered', 'replay-kisc-recovered', 'kiscVerifyIdentity');
    await executeFlow(env.client, kiscVerifyIdentity, {
      workflowId: 'replay-kisc-not-matched',
      input: { ...kisc, photo: sandbox.manifest.kisc.persons[0]!.otherPhoto },
      taskQueue,
    });
    await save('not-matched', 'replay-kisc-not-matched', 'kiscVerifyIdentity');
    await executeFlow(env.client, kiscReconcile, {
      workflowId: 'replay-kisc-reconcile',
      input: sandbox.manifest.examples.kiscReconcile,
      taskQueue,
    });
    await save('happy', 'replay-kisc-reconcile', 'kiscReconcile');
  }

  if (want('kisc-maintenance')) {
    // A wait for announced planned works (a few seconds), then the billed call: recorded before the
    // wait became bounded and re-read the news, so that flows waiting then still replay.
    const kadmin = sandbox.simulators.kisc.adminBaseUrl;
    const end = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
    await sandboxAdmin(kadmin, 'config', { news: plannedWorksNews(new Date(Date.now() - 60_000), end) });
    await executeFlow(env.client, kiscVerifyIdentity, {
      workflowId: 'replay-kisc-maintenance-wait',
      input: sandbox.manifest.examples.kiscVerifyIdentity,
      taskQueue,
    });
    await save('maintenance-wait', 'replay-kisc-maintenance-wait', 'kiscVerifyIdentity');
    // A notice with a mistyped year (ten years of works): recorded while the flow sleeps, then ended.
    const tenYears = new Date(Date.now() + 10 * 365 * 86_400_000);
    await sandboxAdmin(kadmin, 'config', { news: plannedWorksNews(new Date(Date.now() - 60_000), tenYears) });
    const h = await startFlow(env.client, kiscVerifyIdentity, {
      workflowId: 'replay-kisc-maintenance-mistyped',
      input: sandbox.manifest.examples.kiscVerifyIdentity,
      taskQueue,
    });
    const sleeping = async () => ((await h.fetchHistory()).events ?? []).some((e) => e.timerStartedEventAttributes);
    while (!(await sleeping())) await new Promise((r) => setTimeout(r, 100));
    await save('maintenance-mistyped-waiting', 'replay-kisc-maintenance-mistyped', 'kiscVerifyIdentity');
    await h.terminate('recorded while waiting');
    await sandboxAdmin(kadmin, 'reset');
  }

  if (want('cipher')) {
    const cipher = sandbox.manifest.examples.cipherSign;
    const cadmin = sandbox.simulators.cipher.adminBaseUrl;
    await executeFlow(env.client, cipherSign, { workflowId: 'replay-cipher-happy', input: cipher, taskQueue });
    await save('happy', 'replay-cipher-happy', 'cipherSign');
    // The ticket is gone once (400): a new ticket; and the service is down twice (503): waited for.
    await sandboxAdmin(cadmin, 'faults', {
      endpoint: 'PUT /ticket/{uuid}/option',
      action: 'status',
      status: 400,
      body: { message: 'Сесія відсутня.' },
    });
    await sandboxAdmin(cadmin, 'faults', { endpoint: 'PUT /ticket/{uuid}/keyStore', action: 'status', status: 503, times: 2 });
    await executeFlow(env.client, cipherSign, { workflowId: 'replay-cipher-new-ticket', input: cipher, taskQueue });
    await save('new-ticket', 'replay-cipher-new-ticket', 'cipherSign');
    const expiring = sandbox.manifest.cipher.containers['cipher-key-expiring']!;
    await executeFlow(env.client, cipherInspectKeyStore, {
      workflowId: 'replay-cipher-inspect',
      input: {
        ...sandbox.manifest.examples.cipherInspectKeyStore,
        keyStore: { file: expiring.file },
        password: expiring.password as `file:/${string}`,
      },
      taskQueue,
    });
    await save('expiring', 'replay-cipher-inspect', 'cipherInspectKeyStore');
  }

  if (want('kpsis')) {
    const kpsis = sandbox.manifest.examples.kpsisIssueCertificate;
    const issued = { ...kpsis, artifactsDir: join(tmp, 'kpsis-issued'), reminderEvery: '2s' };
    const h = await startFlow(env.client, kpsisIssueCertificate, { workflowId: 'replay-kpsis-issued', input: issued, taskQueue });
    const request = join(issued.artifactsDir, 'cert_req.req');
    while (!existsSync(request)) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 2500)); // one reminder in the history
    const certificate = await issueSandboxCertificate(sandbox.manifest.kpsis.caIssueUrl, await readFile(request));
    await submitKpsisCertificate(env.client, 'replay-kpsis-issued', certificate.replace('-----BEGIN CERTIFICATE-----', 'garbage')).catch(
      () => undefined,
    ); // refused by the validator
    await submitKpsisCertificate(env.client, 'replay-kpsis-issued', certificate);
    await h.result();
    await save('issued', 'replay-kpsis-issued', 'kpsisIssueCertificate');
    await executeFlow(env.client, kpsisIssueCertificate, {
      workflowId: 'replay-kpsis-timed-out',
      input: { ...kpsis, artifactsDir: join(tmp, 'kpsis-timeout'), reminderEvery: '1s', giveUpAfter: '2500ms' },
      taskQueue,
    });
    await save('timed-out', 'replay-kpsis-timed-out', 'kpsisIssueCertificate');
  }
  if (want('credentials')) {
    // A watch's whole life: created with its first check (an alert), a scan, the file replaced
    // (renewed + a fresh ladder), acknowledged, then retired by an empty inventory.
    const issue = async (validFor: string) =>
      (
        (await (await fetch(sandbox.manifest.credentials.issueUrl, { method: 'POST', body: JSON.stringify({ validFor }) })).json()) as {
          certificate: string;
        }
      ).certificate;
    const file = join(tmp, 'watched.pem');
    await writeFile(file, await issue('50s'));
    const inventory = join(tmp, 'inventory.json');
    const apply = async (credentials: unknown[]) => {
      await writeFile(inventory, JSON.stringify({ version: 1, credentials }));
      return applyInventory(env.client, await loadInventoryFile(inventory), { taskQueue });
    };
    await apply([{ id: 'replay-watch', kind: 'certificate', file, policy: { alertLadder: ['1m', '30s'] } }]);
    await scanCredentials(env.client, { taskQueue });
    await writeFile(file, await issue('45s'));
    await scanCredentials(env.client, { taskQueue });
    await acknowledgeCredential(env.client, 'replay-watch', 'recorded');
    await apply([]);
    await save('lifecycle', 'trustflow-credential/replay-watch', 'credentialWatch');
  }
  if (want('keepers')) {
    // A keeper's life: the first caller's sign-in, callers served, an invalidation (a new sign-in or,
    // for Kontur, a refresh of the held pair), then the idle end.
    const keeper = { idleAfter: '3s' };
    const mpt = sandbox.manifest.examples.mptSignIn;
    const first = await getMptToken(env.client, { input: mpt, keeper, taskQueue });
    await Promise.all(Array.from({ length: 5 }, () => getMptToken(env.client, { input: mpt, keeper, taskQueue, coalesce: false })));
    await invalidateMptToken(env.client, { input: mpt, token: first.token });
    await getMptToken(env.client, { input: mpt, keeper, taskQueue });
    await env.client.workflow.getHandle(tokenKeeperId('ismpt', mpt)).result();
    await save('idle-end', tokenKeeperId('ismpt', mpt), 'mptTokenKeeper');
    const kontur = sandbox.manifest.examples.konturSignIn;
    if (kontur) {
      const session = await getKonturSession(env.client, { input: kontur, keeper, taskQueue });
      await invalidateKonturSession(env.client, { input: kontur, sid: session.sid });
      await getKonturSession(env.client, { input: kontur, keeper, taskQueue });
      await env.client.workflow.getHandle(tokenKeeperId('kontur', kontur)).result();
      await save('refresh', tokenKeeperId('kontur', kontur), 'konturSessionKeeper');
    }
  }
  if (want('keeper-end')) {
    // `end` while a caller waits for the keeper's sign-in (the stand holds the exchange 2 s): the
    // sign-in child is cancelled, the caller told KeeperEnded, the keeper closes. Its own participant.
    const base = sandbox.manifest.examples.mptSignIn;
    const path = join(tmp, 'end-participant.p12');
    await copyFile(base.signer.path, path);
    const mpt = { ...base, signer: { ...base.signer, path } };
    await sandboxAdmin(url, 'faults', { endpoint: 'POST /auth/simpleSignIn', action: 'delay', delayMs: 2000 });
    const waiting = getMptToken(env.client, { input: mpt, taskQueue }).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 1000));
    await endTokenKeeper(env.client, 'ismpt', mpt, { reason: 'recorded' });
    await waiting;
    await sandboxAdmin(url, 'reset');
    await save('end-during-sign-in', tokenKeeperId('ismpt', mpt), 'mptTokenKeeper');
  }
  if (want('person')) {
    // A person signer: the link sent, a reminder, a replaced challenge, a wrong signer refused, the
    // right one accepted, the token. The person is the sandbox key the example's input names.
    const k = sandbox.manifest.keys['mpt-legacy']!;
    const other = sandbox.manifest.keys['mpt-aes']!;
    const signer = {
      kind: 'person' as const,
      role: 'director',
      expected: { iin: k.iin },
      caBundle: sandbox.manifest.ca.certificate,
      deadline: '5m',
      remindEvery: '1500ms',
      challengeTtl: '2s',
    };
    const h = await startFlow(env.client, mptSignIn, { workflowId: 'replay-person', input: { baseUrl: url, signer }, taskQueue });
    const view = () => h.query<PersonSigningView>(PERSON_SIGNING_QUERY);
    while ((await view()).challenge?.replaced !== 1) await new Promise((r) => setTimeout(r, 100));
    const v = await view();
    const cmsBy = async (key: typeof k) => {
      const s = await openSigner({ kind: 'pkcs12', path: key.p12, password: key.password as `file:/${string}` }, resolveSecret);
      return (await s.signCms(Buffer.from(v.challenge!.dataBase64, 'base64'), { detached: false })).toString('base64');
    };
    const submit = async (cms: string) =>
      h
        .executeUpdate(SUBMIT_PERSON_SIGNATURE, { args: [{ requestId: v.requestId, challengeId: v.challenge!.id, cms }] })
        .catch((e: unknown) => e);
    await submit(await cmsBy(other));
    await submit(await cmsBy(k));
    await h.result();
    await save('person', 'replay-person');
  }
});
await sandbox.stop();
await env.teardown();
await rm(tmp, { recursive: true, force: true });
console.log(
  `recorded the ${groups.length ? groups.join(', ') : 'mpt, kontur, kisc, kisc-maintenance, cipher, kpsis, credentials, keepers, keeper-end and person'} histories in test/replay/histories/`,
);
