// The credential lifecycle with real worker processes (`npm run worker`) that the test SIGKILLs
// mid-check and starts again: an alert whose delivery was cut off is sent again under the same
// alertId (the receiver dedupes it), and a KPSIS renewal started just before the kill is never
// started a second time; the CA's certificate then moves the credential to the new artifacts.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { access, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { applyInventory, listCredentials, loadInventoryFile, scanCredentials, type ApplyReport } from '../../src/client/credentials.js';
import { submitKpsisCertificate, startFlow } from '../../src/client/flows.js';
import type { CredentialStatus } from '../../src/flows/credentials/credential-watch.contract.js';
import { workflowIds } from '../../src/contracts/workflow-ids.js';
import { credentialsCheck } from '../../src/flows/index.js';
import { issueSandboxCertificate, sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import type { ReceivedAlert } from '../../src/sandbox/credentials/alert-receiver.js';
import { startCrashTestEnv, type CrashTestEnv } from '../helpers/crash-env.js';
import type { WorkerProcess } from '../helpers/worker-process.js';
import { workflowExists } from '../helpers/history.js';
import { kpsisIssueCertificate } from '../../src/flows/index.js';

const { PendingActivityState } = proto.temporal.api.enums.v1;
const taskQueue = 'credentials-crash-test';
let t: CrashTestEnv;
let client: Client;
let sandbox: Sandbox;
let tmp: string;
let worker: WorkerProcess;
let n = 0;

interface ReceiverState {
  alerts: ReceivedAlert[];
  deliveries: number;
  duplicates: number;
  badSignatures: number;
  unsigned: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alertsAdmin = () => sandbox.simulators.alerts.adminBaseUrl;
const receiver = () => sandboxAdmin(alertsAdmin(), 'state') as Promise<ReceiverState>;
const alertsOf = async (credentialId: string) => (await receiver()).alerts.filter((a) => a.body.credentialId === credentialId);
const statusOf = async (id: string): Promise<CredentialStatus> => {
  const s = (await listCredentials(client)).find((c) => c.id === id);
  assert.ok(s, `credential ${id} is listed`);
  return s;
};

/** Polls `probe` until it returns something other than undefined. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function applyFile(inventory: unknown): Promise<ApplyReport> {
  const path = join(tmp, `inventory-${++n}.json`);
  await writeFile(path, JSON.stringify(inventory, null, 2));
  return applyInventory(client, await loadInventoryFile(path), { taskQueue });
}

async function restartWorker(): Promise<void> {
  await worker.kill('SIGKILL');
  assert.equal(worker.child.signalCode, 'SIGKILL');
  worker = await t.startWorker();
}

before(async () => {
  t = await startCrashTestEnv(taskQueue, async (s) => ({
    TRUSTFLOW_ALERT_WEBHOOK_URL: s.manifest.credentials.alertWebhookUrl,
    TRUSTFLOW_ALERT_WEBHOOK_SECRET: (await readFile(s.manifest.credentials.alertWebhookSecret.slice('file:'.length), 'utf8')).trim(),
  }));
  ({ sandbox } = t);
  client = t.env.client;
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-credentials-crash-'));
  worker = await t.startWorker();
});

after(async () => {
  await t?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('credential watch across worker crashes', () => {
  it('a worker SIGKILLed during alert delivery still yields one alert per tier', { timeout: 180_000 }, async () => {
    const id = 'crash-alert-cert';
    const res = await fetch(sandbox.manifest.credentials.issueUrl, {
      method: 'POST',
      body: JSON.stringify({ validFor: '1h' }),
      headers: { 'content-type': 'application/json' },
    });
    const cert = (await res.json()) as { certificate: string; notAfter: string };
    assert.equal(res.status, 200, JSON.stringify(cert));
    const file = join(tmp, 'crash-alert.pem');
    await writeFile(file, cert.certificate);

    // The receiver records the alert, then answers only after 8 s: the worker dies in between.
    await sandboxAdmin(alertsAdmin(), 'faults', { endpoint: 'POST /alerts', action: 'stall', delayMs: 8000 });
    const applying = applyFile({
      version: 1,
      checks: { every: '1h' },
      credentials: [{ id, kind: 'certificate', file, policy: { alertLadder: ['2h'] } }],
    });
    applying.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    await until('the first delivery', async () => ((await receiver()).deliveries >= 1 ? true : undefined), 60_000, 25);
    await restartWorker();
    const delivered = await alertsOf(id);
    assert.equal(delivered.length, 1, 'the alert reached the receiver before the crash');
    assert.equal(delivered[0]!.deliveries, 1);

    // The alert activity times out (startToClose 30 s) and is retried on the new worker.
    const report = await applying;
    assert.deepEqual(report.created, [id]);
    await scanCredentials(client, { taskQueue });
    await scanCredentials(client, { taskQueue });

    const state = await receiver();
    const alerts = state.alerts.filter((a) => a.body.credentialId === id);
    assert.deepEqual(
      alerts.map((a) => [a.body.event, a.body.tier]),
      [['credential.expiring', '2h']],
      'one alert for the one tier reached',
    );
    const [alert] = alerts;
    assert.equal(alert!.deliveries, 2, 'delivered twice: before the crash, and once more by the retry, under the same alertId');
    assert.equal(alert!.signatureValid, true);
    assert.equal(alert!.body.notAfter, cert.notAfter);
    assert.equal(state.duplicates, 1);
    assert.equal(state.badSignatures, 0);
    assert.equal(state.unsigned, 0);

    const status = await statusOf(id);
    assert.equal(status.state, 'expiring');
    assert.equal(status.notAfter, cert.notAfter);
    assert.equal(status.alertsSent, 1, 'the redelivered alert is counted once');
    assert.deepEqual(status.certificates.find((c) => c.role === 'leaf')?.tiersSent, ['2h']);
  });

  it(
    "a KPSIS credential at its renewal point starts exactly one issuance, even across a worker restart; the CA's certificate moves it to the new artifacts",
    { timeout: 300_000 },
    async () => {
      const id = 'crash-kpsis';
      const kpsisAdmin = sandbox.simulators.kpsis.adminBaseUrl;
      const generatedBefore = (await sandboxAdmin(kpsisAdmin, 'state')).requestsGenerated as number;
      const { artifactsDir: _exampleDir, ...issue } = sandbox.manifest.examples.kpsisIssueCertificate;

      // The artifacts in use: a KPSIS key whose certificate (from the sandbox CA) lives 60 s.
      const initialDir = join(tmp, 'initial');
      const initial = await startFlow(client, kpsisIssueCertificate, {
        workflowId: 'test-credentials-crash-initial',
        input: { ...issue, artifactsDir: initialDir },
        taskQueue,
      });
      const initialRequest = join(initialDir, 'cert_req.req');
      await until('the initial certificate request', async () => ((await exists(initialRequest)) ? true : undefined), 60_000);
      const initialPem = await issueSandboxCertificate(sandbox.manifest.kpsis.caIssueUrl, await readFile(initialRequest), { seconds: 60 });
      await submitKpsisCertificate(client, initial.workflowId, initialPem);
      assert.equal((await initial.result()).outcome, 'issued');
      const initialNotAfter = new Date(new X509Certificate(initialPem).validTo).toISOString();

      const root = join(tmp, 'root');
      const report = await applyFile({
        version: 1,
        checks: { every: '1h' },
        credentials: [
          {
            id,
            kind: 'kpsis-certificate',
            artifactsDir: initialDir,
            renewal: { artifactsRoot: root, issue },
            policy: { renewAt: 0.1, renewJitter: 0, alertLadder: ['10s'] },
          },
        ],
      });
      assert.deepEqual([report.created, report.retired], [[id], ['crash-alert-cert']]);
      const applied = await statusOf(id);
      assert.equal(applied.notAfter, initialNotAfter);
      assert.equal(applied.renewal, null, 'applied before the renewal point (6 s after notBefore): no issuance yet');
      assert.ok(applied.renewAt);

      // At the renewal point, a check as the schedule runs it (credentialsCheck) starts the issuance;
      // the worker dies the moment the issuance exists, before the check has finished.
      const renewalId = workflowIds.credentialRenewal(id, 1);
      await sleep(Math.max(0, Date.parse(applied.renewAt) - Date.now() + 1000));
      const interrupted = await client.workflow.start(credentialsCheck, {
        taskQueue,
        workflowId: 'test-credentials-crash-interrupted-check',
        args: [{ credentialIds: [id] }],
      });
      await until('the renewal issuance', async () => ((await workflowExists(client, renewalId)) ? true : undefined), 60_000, 1);
      await restartWorker();
      // Precondition, not the property under test: the key generation (never retried: a timed-out
      // attempt may have made a key) had not begun on the killed worker, or it would time out in 5 min.
      const pending = (await client.workflow.getHandle(renewalId).describe()).raw.pendingActivities ?? [];
      assert.deepEqual(
        pending.filter((a) => a.activityType?.name === 'kpsisGenerate' && a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED),
        [],
        'the kill landed before KPSIS key generation started',
      );

      await scanCredentials(client, { taskQueue });
      await scanCredentials(client, { taskQueue });
      const renewal = await client.workflow.getHandle(renewalId).describe();
      assert.equal(renewal.type, 'kpsisIssueCertificate');
      await assert.rejects(client.workflow.getHandle(workflowIds.credentialRenewal(id, 2)).describe(), WorkflowNotFoundError);
      const prefix = `${workflowIds.credentialWatch(id)}/renewal-`;
      assert.ok(workflowIds.credentialRenewal(id, 1).startsWith(prefix));
      const listed = await until(
        'the issuance in visibility',
        async () => {
          const ids: string[] = [];
          for await (const wf of client.workflow.list({ query: `WorkflowType = 'kpsisIssueCertificate'` }))
            if (wf.workflowId.startsWith(prefix)) ids.push(wf.workflowId);
          return ids.length > 0 ? ids : undefined;
        },
        20_000,
        250,
      );
      assert.deepEqual(listed, [renewalId], 'exactly one issuance for this credential');
      const renewing = await statusOf(id);
      assert.deepEqual(renewing.renewal, { workflowId: renewalId, attempt: 1, artifactsDir: join(root, 'renewal-1'), state: 'running' });

      // The operator hands the new request to the CA and submits its certificate.
      const request = join(root, 'renewal-1', 'cert_req.req');
      await until('the renewal certificate request', async () => ((await exists(request)) ? true : undefined), 120_000, 100);
      const pem = await issueSandboxCertificate(sandbox.manifest.kpsis.caIssueUrl, await readFile(request), { seconds: 3600 });
      await submitKpsisCertificate(client, renewalId, pem);
      const issued = await client.workflow.getHandle(renewalId).result();
      assert.equal(issued.outcome, 'issued');
      const newNotAfter = new Date(new X509Certificate(pem).validTo).toISOString();
      assert.equal(issued.certificate!.notAfter, newNotAfter);

      await scanCredentials(client, { taskQueue });
      const status = await statusOf(id);
      assert.equal(status.notAfter, newNotAfter, 'the credential now holds the new certificate');
      assert.equal(status.state, 'ok');
      assert.equal(status.renewal?.state, 'issued');
      assert.equal(await readlink(join(root, 'current')), join(root, 'renewal-1'));
      for (const f of ['cert_req.req', 'certificate.pem', 'key.der'])
        assert.ok(await exists(join(initialDir, f)), `the initial artifacts stay on disk (${f})`);
      assert.equal(
        (await sandboxAdmin(kpsisAdmin, 'state')).requestsGenerated - generatedBefore,
        2,
        'KPSIS made two keys: the initial one and the one renewal',
      );

      const alerts = await alertsOf(id);
      const of = (event: string) => alerts.filter((a) => a.body.event === event);
      assert.deepEqual(
        of('credential.renewal-started').map((a) => a.body.tier),
        ['renewal-started-1'],
      );
      assert.deepEqual(
        of('credential.renewed').map((a) => [a.body.tier, a.body.notAfter]),
        [['renewed', initialNotAfter]],
      );
      for (const a of alerts) assert.equal(a.signatureValid, true, a.alertId);

      // The check that was running on the killed worker: its watch finished the check (above), but its
      // own activity is retried only after its heartbeat timeout (1 min); end it rather than wait.
      if ((await interrupted.describe()).status.name === 'RUNNING')
        await interrupted.terminate('test cleanup: its activity died with the killed worker');
    },
  );
});
