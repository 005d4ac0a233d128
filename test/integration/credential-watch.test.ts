// The credential lifecycle end to end on a real dev server: `apply` of inventories holding sandbox
// certificates valid for seconds, scans, the schedule, and the sandbox's alert receiver (which checks
// each alert's HMAC signature and counts deliveries per alertId). Durations are seconds, not days.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import {
  acknowledgeCredential,
  applyInventory,
  credentialsInStates,
  InventoryError,
  listCredentials,
  loadInventoryFile,
  scanCredentials,
  sendTestAlert,
  type ApplyReport,
} from '../../src/client/credentials.js';
import { activityPolicies } from '../../src/common/policies.js';
import type { TrustflowAlert } from '../../src/contracts/alert.js';
import { alertSettingsFromEnv } from '../../src/common/alert-settings.js';
import { scheduleIds, workflowIds } from '../../src/contracts/workflow-ids.js';
import { credentialsCheck } from '../../src/flows/index.js';
import { searchAttributes } from '../../src/common/search-attributes.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import type { ReceivedAlert } from '../../src/sandbox/credentials/alert-receiver.js';
import { sandboxAlertEnv, startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { findSecretsInHistory } from '../helpers/history.js';
import { vectorsOrSkip } from '../helpers/paths.js';

const taskQueue = 'credentials-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let n = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const receiver = () =>
  sandboxAdmin(sandbox.simulators.alerts.adminBaseUrl, 'state') as Promise<{
    alerts: ReceivedAlert[];
    deliveries: number;
    duplicates: number;
    badSignatures: number;
    unsigned: number;
  }>;
const alertsOf = async (credentialId: string) => (await receiver()).alerts.filter((a) => a.body.credentialId === credentialId);

/** A certificate chain (leaf, intermediate) from the sandbox's credential CA, written to a file. */
async function certificateFile(o: {
  validFor: string;
  caValidFor?: string;
  /** ISO time the certificate becomes valid (default now). */
  notBefore?: string;
  name?: string;
}): Promise<{ path: string; notAfter: string; pem: string }> {
  const { name, ...request } = o;
  const res = await fetch(sandbox.manifest.credentials.issueUrl, {
    method: 'POST',
    body: JSON.stringify(request),
    headers: { 'content-type': 'application/json' },
  });
  const body = (await res.json()) as { certificate: string; notAfter: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  const path = join(t.tmp, name ?? `cert-${++n}.pem`);
  await writeFile(path, body.certificate);
  return { path, notAfter: body.notAfter, pem: body.certificate };
}

async function applyFile(inventory: unknown, o: { historyLimit?: number } = {}): Promise<ApplyReport> {
  const path = join(t.tmp, `inventory-${++n}.json`);
  await writeFile(path, JSON.stringify(inventory, null, 2));
  return applyInventory(client, await loadInventoryFile(path), { taskQueue, ...o });
}

/** Waits until `notAfter` is less than `leftMs` away (plus a margin for the server's timer granularity). */
async function untilLeft(notAfter: string, leftMs: number): Promise<void> {
  const wait = Date.parse(notAfter) - leftMs - Date.now() + 1500;
  if (wait > 0) await sleep(wait);
}

before(async () => {
  // Alerts to the sandbox's receiver, signed: settings read when the worker is built, as in production.
  t = await startFlowTestEnv(taskQueue, {
    activityDeps: async (s) => ({ alerts: alertSettingsFromEnv(await sandboxAlertEnv(s.manifest)) }),
  });
  client = t.client;
  sandbox = t.sandbox;
});

after(async () => {
  await t?.stop();
});

describe('credential watch: ladder, dedupe, renewal notice', () => {
  const id = 'ladder-cert';
  let cert: { path: string; notAfter: string; pem: string };

  it('a certificate crossing two tiers yields exactly two alerts; repeated scans and a duplicated schedule action add none', async () => {
    cert = await certificateFile({ validFor: '40s', name: 'ladder.pem' });
    const inventory = {
      version: 1,
      checks: { every: '1h' },
      credentials: [
        { id, kind: 'certificate', file: cert.path, labels: { tenant: 'acme' }, policy: { alertLadder: ['30s', '15s'], renewAt: 0.99 } },
      ],
    };
    const report = await applyFile(inventory);
    assert.deepEqual(report.created, [id]);
    assert.deepEqual(report.schedules, [{ id: scheduleIds.credentialsCheck, change: 'created' }]);
    assert.equal((await alertsOf(id)).length, 0, 'more than 30 s left at the first check: no alert yet');

    await untilLeft(cert.notAfter, 30_000);
    await scanCredentials(client, { taskQueue });
    await scanCredentials(client, { taskQueue });
    let alerts = await alertsOf(id);
    assert.deepEqual(
      alerts.map((a) => a.body.tier),
      ['30s'],
    );

    await untilLeft(cert.notAfter, 15_000);
    const scan = await scanCredentials(client, { taskQueue });
    assert.deepEqual(
      scan.checked.map((c) => [c.id, c.state]),
      [[id, 'expiring']],
    );
    await scanCredentials(client, { taskQueue });
    // The schedule's action twice (a double fire, a backfill: its runs' ids differ by the second), and
    // two checks at the very same time, as two schedules or two operators would start them.
    const schedule = client.schedule.getHandle(scheduleIds.credentialsCheck);
    await schedule.trigger('ALLOW_ALL');
    await sleep(1100);
    await schedule.trigger('ALLOW_ALL');
    let runs: string[] = [];
    for (let i = 0; i < 100 && runs.length < 2; i++, await sleep(100))
      runs = (await schedule.describe()).info.recentActions.map((a) => a.action.workflow.workflowId);
    assert.equal(runs.length, 2, 'both schedule actions started a credentialsCheck');
    const args = [{ credentialIds: [id] }] as [{ credentialIds: string[] }];
    const concurrent = await Promise.all(
      ['a', 'b'].map((x) => client.workflow.start(credentialsCheck, { taskQueue, workflowId: `test-concurrent-check-${x}-${++n}`, args })),
    );
    for (const wf of runs) await client.workflow.getHandle(wf).result();
    for (const h of concurrent) await h.result();

    alerts = await alertsOf(id);
    assert.deepEqual(
      alerts.map((a) => a.body.tier),
      ['30s', '15s'],
      'one alert per tier, in order',
    );
    for (const a of alerts) {
      assert.equal(a.signatureValid, true, 'the HMAC-SHA256 signature verifies with the shared secret');
      assert.equal(a.deliveries, 1);
      const b: TrustflowAlert = a.body;
      assert.match(b.alertId, new RegExp(`^${id}/[0-9a-f]{24}/${b.tier}$`), 'stable per (credential, certificate, tier)');
      assert.equal(b.credentialId, id);
      assert.equal(b.kind, 'certificate');
      assert.equal(b.event, 'credential.expiring');
      assert.equal(b.notAfter, cert.notAfter);
      assert.equal(b.daysLeft, 0);
      assert.deepEqual(b.labels, { tenant: 'acme' });
      assert.equal(b.certificate!.organization, 'ТОО Песочница');
      assert.match(b.action, /replace the file in place/);
      assert.doesNotMatch(
        JSON.stringify(b),
        /sandbox credential [0-9a-f]{6}/,
        'the subject CN (personal data in real certificates) is not in the alert',
      );
    }

    const [status] = await listCredentials(client);
    assert.equal(status!.id, id);
    assert.equal(status!.state, 'expiring');
    assert.equal(status!.notAfter, cert.notAfter);
    assert.equal(status!.alertsSent, 2);
    const d = await client.workflow.getHandle(workflowIds.credentialWatch(id)).describe();
    assert.equal(d.typedSearchAttributes.get(searchAttributes.credentialState), 'expiring');
    assert.equal(d.typedSearchAttributes.get(searchAttributes.credentialNotAfter)?.toISOString(), cert.notAfter);
    assert.equal(d.typedSearchAttributes.get(searchAttributes.credentialKind), 'certificate');
  });

  it('replacing the file with a renewed certificate yields one `renewed` and a fresh ladder', async () => {
    const renewed = await certificateFile({ validFor: '25s', name: 'ladder.pem' });
    assert.notEqual(renewed.notAfter, cert.notAfter);
    await scanCredentials(client, { taskQueue });
    await scanCredentials(client, { taskQueue });
    const alerts = await alertsOf(id);
    assert.deepEqual(
      alerts.map((a) => [a.body.event, a.body.tier, a.body.notAfter]),
      [
        ['credential.expiring', '30s', cert.notAfter],
        ['credential.expiring', '15s', cert.notAfter],
        ['credential.renewed', 'renewed', cert.notAfter],
        ['credential.expiring', '30s', renewed.notAfter],
      ],
    );
    const [status] = await listCredentials(client);
    assert.equal(status!.notAfter, renewed.notAfter);
  });

  it('re-applying the same inventory changes nothing', async () => {
    const handle = client.workflow.getHandle(workflowIds.credentialWatch(id));
    const before = (await handle.fetchHistory()).events!.length;
    const scheduleBefore = (await client.schedule.getHandle(scheduleIds.credentialsCheck).describe()).info.lastUpdatedAt?.getTime();
    const report = await applyFile({
      version: 1,
      checks: { every: '1h' },
      credentials: [
        { id, kind: 'certificate', file: cert.path, labels: { tenant: 'acme' }, policy: { alertLadder: ['30s', '15s'], renewAt: 0.99 } },
      ],
    });
    assert.deepEqual(report, {
      created: [],
      updated: [],
      unchanged: [id],
      retired: [],
      schedules: [{ id: scheduleIds.credentialsCheck, change: 'unchanged' }],
      dryRun: false,
    });
    assert.equal((await handle.fetchHistory()).events!.length, before, "the watch's history did not grow");
    assert.equal((await client.schedule.getHandle(scheduleIds.credentialsCheck).describe()).info.lastUpdatedAt?.getTime(), scheduleBefore);
  });
});

describe('credential watch: chain, acknowledgement, bad inventories, retirement', () => {
  it('reports an expiring CA certificate in a chain, and an acknowledged episode stays silent', async () => {
    const id = 'chain-cert';
    const cert = await certificateFile({ validFor: '1h', caValidFor: '40s' });
    const report = await applyFile({
      version: 1,
      credentials: [{ id, kind: 'certificate', file: cert.path, policy: { alertLadder: ['1m', '30s'] } }],
    });
    assert.deepEqual([report.created, report.retired], [[id], ['ladder-cert']], 'what the new inventory no longer names is retired');
    let alerts = await alertsOf(id);
    assert.deepEqual(
      alerts.map((a) => [a.body.tier, a.body.certificate!.role]),
      [['1m', 'chain']],
      'the CA expires first; the leaf (1 h) is not alerted',
    );
    assert.match(
      alerts[0]!.body.action,
      /CA certificate trustflow sandbox credentials CA intermediate [0-9a-f]{4} in this credential's chain expires/,
    );
    const [status] = await listCredentials(client);
    assert.match(status!.expiresFirst!, /^chain: /);

    const acked = await acknowledgeCredential(client, id, 'CA renewal ordered');
    assert.equal(acked.acknowledged?.note, 'CA renewal ordered');
    const notAfter = status!.notAfter!;
    await untilLeft(notAfter, 30_000);
    await scanCredentials(client, { taskQueue });
    alerts = await alertsOf(id);
    assert.equal(alerts.length, 1, 'the 30s tier was not sent: the episode is acknowledged');
  });

  it('refuses a bad inventory with every problem named, and changes nothing', async () => {
    const appliedBefore = (await listCredentials(client)).map((c) => c.id);
    const scheduleBefore = await client.schedule.getHandle(scheduleIds.credentialsCheck).describe();
    const good = await certificateFile({ validFor: '1h' });

    // Caught by the schema: unknown kind, duplicate id, a field in the wrong form.
    await assert.rejects(
      applyFile({
        version: 1,
        credentials: [
          { id: 'a-key', kind: 'pkcs11', file: good.path },
          { id: 'b-cert', kind: 'certificate', file: good.path },
          { id: 'b-cert', kind: 'certificate', file: good.path },
          { id: 'c-key', kind: 'pkcs12', file: good.path, password: 'hunter2' },
          { id: 'd-cert', kind: 'certificate', file: good.path, polcy: {} },
        ],
      }),
      (err: unknown) => {
        assert.ok(err instanceof InventoryError);
        const text = err.message;
        assert.match(text, /credentials\[0\] \(id 'a-key'\)\.kind: unknown kind 'pkcs11'; one of pkcs12, .* \(did you mean 'pkcs12'\?\)/);
        assert.match(text, /credentials\[2\] \(id 'b-cert'\)\.id: 'b-cert' is already the id of credentials\[1\]/);
        assert.match(text, /credentials\[3\] \(id 'c-key'\)\.password: must be a secret reference/);
        assert.doesNotMatch(text, /hunter2/, 'a secret written into the inventory is never echoed');
        assert.match(text, /credentials\[4\] \(id 'd-cert'\): unknown key 'polcy' \(did you mean 'policy'\?\)/);
        return true;
      },
    );
    // Caught on the worker (preflight): a missing file, a password reference that does not resolve, a wrong password.
    const p12 = sandbox.manifest.keys['mpt-legacy']!;
    await assert.rejects(
      applyFile({
        version: 1,
        credentials: [
          { id: 'missing-file', kind: 'certificate', file: join(t.tmp, 'nope.pem') },
          { id: 'unset-ref', kind: 'pkcs12', file: p12.p12, password: 'env:TRUSTFLOW_TEST_UNSET_PASSWORD' },
          { id: 'wrong-password', kind: 'pkcs12', file: p12.p12, password: sandbox.manifest.keys['mpt-aes']!.password },
          { id: 'fine', kind: 'pkcs12', file: p12.p12, password: p12.password },
        ],
      }),
      (err: unknown) => {
        assert.ok(err instanceof InventoryError);
        assert.equal(err.problems.length, 3, err.message);
        assert.match(
          err.message,
          /credential 'missing-file': .*nope\.pem: cannot read the certificate file \(it does not exist on the worker machine\)/,
        );
        assert.match(err.message, /credential 'unset-ref': .*TRUSTFLOW_TEST_UNSET_PASSWORD is not set/);
        assert.match(err.message, /credential 'wrong-password': .*wrong password/);
        return true;
      },
    );
    assert.deepEqual(
      (await listCredentials(client)).map((c) => c.id),
      appliedBefore,
      'no watch was created or retired',
    );
    const scheduleAfter = await client.schedule.getHandle(scheduleIds.credentialsCheck).describe();
    assert.equal(scheduleAfter.info.lastUpdatedAt?.getTime(), scheduleBefore.info.lastUpdatedAt?.getTime(), 'the schedule was not touched');
  });

  it('retires what the inventory no longer names, keeps secrets out of history, and lists as JSON-ready rows', async () => {
    const p12 = sandbox.manifest.keys['mpt-legacy']!;
    const report = await applyFile({
      version: 1,
      credentials: [{ id: 'signing-key', kind: 'pkcs12', file: p12.p12, password: p12.password }],
    });
    assert.deepEqual(report.created, ['signing-key']);
    assert.deepEqual(report.retired, ['chain-cert']);
    const all = await listCredentials(client);
    assert.deepEqual(
      all.map((c) => [c.id, c.kind, c.state]),
      [['signing-key', 'pkcs12', 'ok']],
    );
    const s = all[0]!;
    for (const key of ['id', 'kind', 'state', 'notAfter', 'daysLeft', 'nextAction'] as const)
      assert.ok(s[key] !== undefined && s[key] !== null, key);
    assert.equal(s.certificates.length, 2, 'the key store holds its certificate and the CA');
    const retired = await client.workflow.getHandle(workflowIds.credentialWatch('ladder-cert')).describe();
    assert.equal(retired.status.name, 'COMPLETED');
    const password = (await readFile(p12.password.slice('file:'.length), 'utf8')).trim();
    assert.deepEqual(
      await findSecretsInHistory(client, workflowIds.credentialWatch('signing-key'), [{ label: 'p12 password', value: password }]),
      [],
    );
  });

  it('continues as new before its history grows large, carrying what it sent', async () => {
    const id = 'long-lived';
    const cert = await certificateFile({ validFor: '1h' });
    await applyFile(
      { version: 1, credentials: [{ id, kind: 'certificate', file: cert.path, policy: { alertLadder: ['2h'] } }] },
      { historyLimit: 40 },
    );
    const handle = client.workflow.getHandle(workflowIds.credentialWatch(id));
    const firstRun = (await handle.describe()).runId;
    for (let i = 0; i < 6; i++) await scanCredentials(client, { taskQueue });
    const d = await handle.describe();
    assert.notEqual(d.runId, firstRun, 'a new run');
    assert.equal(d.status.name, 'RUNNING');
    assert.ok((await handle.fetchHistory()).events!.length <= 60, 'the current run stays small');
    const [status] = await listCredentials(client);
    assert.equal(status!.checks, 7, 'the check count (and everything else) was carried over');
    assert.equal(status!.alertsSent, 1);
    assert.deepEqual(
      (await alertsOf(id)).map((a) => a.body.tier),
      ['2h'],
      'one alert across all runs',
    );
  });
});

describe('credential watch: alert health, not-yet-valid, removal and return, the test alert', () => {
  const statusOf = async (id: string) => {
    const found = (await listCredentials(client)).find((c) => c.id === id);
    assert.ok(found, `credential ${id} is listed`);
    return found;
  };
  const fault = (status: number, times: number) =>
    sandboxAdmin(sandbox.simulators.alerts.adminBaseUrl, 'faults', { endpoint: 'POST /alerts', action: 'status', status, times });

  it('shows undelivered alerts and the last delivery error in list and scan, until a later check delivers them', async () => {
    const id = 'undelivered-cert';
    const cert = await certificateFile({ validFor: '1h' });
    // The receiver is down for every attempt of the first delivery (apply's first check).
    await fault(503, activityPolicies.alertDeliver.retry.maximumAttempts);
    const report = await applyFile({
      version: 1,
      credentials: [{ id, kind: 'certificate', file: cert.path, policy: { alertLadder: ['2h'] } }],
    });
    assert.deepEqual(report.created, [id]);
    let status = await statusOf(id);
    assert.equal(status.state, 'expiring');
    assert.equal(status.alertsSent, 0);
    assert.equal(status.undelivered, 1, 'the alert decided at the first check is waiting');
    assert.match(status.lastDeliveryError?.message ?? '', /alert webhook POST \(alert webhook\) answered HTTP 503/);
    assert.ok(Date.parse(status.lastDeliveryError!.at) > Date.now() - 120_000);
    assert.equal((await alertsOf(id)).length, 0);

    // Next check: the receiver refuses (401); the scan result says so, and --fail-on undelivered matches.
    await fault(401, 1);
    const failing = await scanCredentials(client, { taskQueue });
    const row = failing.checked.find((c) => c.id === id)!;
    assert.equal(row.undelivered, 1);
    assert.match(row.lastDeliveryError?.message ?? '', /answered HTTP 401/);
    assert.deepEqual(credentialsInStates(failing, ['undelivered']), [{ id, states: ['undelivered'] }]);
    assert.deepEqual(credentialsInStates(failing, ['expiring', 'undelivered']), [{ id, states: ['expiring', 'undelivered'] }]);

    // The receiver is back: the next check delivers it, once, with its id and body unchanged.
    const recovered = await scanCredentials(client, { taskQueue });
    assert.equal(recovered.checked.find((c) => c.id === id)!.undelivered, 0);
    assert.deepEqual(credentialsInStates(recovered, ['undelivered']), []);
    status = await statusOf(id);
    assert.equal(status.undelivered, 0);
    assert.equal(status.alertsSent, 1);
    assert.match(status.lastDeliveryError?.message ?? '', /HTTP 401/, 'the last error stays, with its time');
    const alerts = await alertsOf(id);
    assert.deepEqual(
      alerts.map((a) => [a.body.tier, a.deliveries, a.signatureValid]),
      [['2h', 1, true]],
    );
  });

  it('shows an unreadable credential in the scan result with its reason', async () => {
    const id = 'vanishing-cert';
    const cert = await certificateFile({ validFor: '1h' });
    await applyFile({ version: 1, credentials: [{ id, kind: 'certificate', file: cert.path, policy: { alertLadder: ['30m'] } }] });
    await rm(cert.path);
    const scan = await scanCredentials(client, { taskQueue });
    const row = scan.checked.find((c) => c.id === id)!;
    assert.equal(row.state, 'unreadable');
    assert.match(row.lastError ?? '', /cannot read the certificate file/);
    assert.deepEqual(credentialsInStates(scan, ['unreadable']), [{ id, states: ['unreadable'] }]);
  });

  it('a certificate not valid yet is `not-yet-valid` (not ok), with one alert per certificate and what to do', async () => {
    const id = 'early-cert';
    const notBefore = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
    const cert = await certificateFile({ validFor: '2h', notBefore });
    await applyFile({ version: 1, credentials: [{ id, kind: 'certificate', file: cert.path, policy: { alertLadder: ['1h'] } }] });
    const scan = await scanCredentials(client, { taskQueue });
    await scanCredentials(client, { taskQueue });
    assert.equal(scan.checked.find((c) => c.id === id)?.state, 'not-yet-valid');
    assert.deepEqual(credentialsInStates(scan, ['not-yet-valid']), [{ id, states: ['not-yet-valid'] }]);
    const status = await statusOf(id);
    assert.equal(status.state, 'not-yet-valid');
    assert.match(status.nextAction, /not valid before .*clock is behind.*wait until then.*wrong file, replace it/);
    const alerts = await alertsOf(id);
    assert.deepEqual(
      alerts.map((a) => [a.body.event, a.body.tier, a.deliveries, a.signatureValid]),
      [['credential.not-yet-valid', 'not-yet-valid', 1, true]],
      'one alert for this certificate, however many checks',
    );
    assert.match(alerts[0]!.body.text, new RegExp(`certificate is not valid before ${notBefore.replace(/\./g, '\\.')}`));
    const d = await client.workflow.getHandle(workflowIds.credentialWatch(id)).describe();
    assert.equal(d.typedSearchAttributes.get(searchAttributes.credentialState), 'not-yet-valid');
  });

  it('removed and added back: no alert again, the ack still holds; a new certificate reopens the ladder', async () => {
    const id = 'comeback-cert';
    const cert = await certificateFile({ validFor: '1h', name: 'comeback.pem' });
    const entry = { id, kind: 'certificate', file: cert.path, policy: { alertLadder: ['2h'] } };
    await applyFile({ version: 1, credentials: [entry] });
    assert.equal((await alertsOf(id)).length, 1);
    await acknowledgeCredential(client, id, 'renewal ordered');

    const removed = await applyFile({ version: 1, credentials: [] });
    assert.ok(removed.retired.includes(id));
    assert.deepEqual(await listCredentials(client), []);

    const back = await applyFile({ version: 1, credentials: [entry] });
    assert.deepEqual(back.created, [id]);
    await scanCredentials(client, { taskQueue });
    let status = await statusOf(id);
    assert.equal(status.acknowledged?.note, 'renewal ordered', 'the ack holds until the certificate changes');
    assert.equal(status.alertsSent, 1, 'what the retired watch sent was taken over');
    assert.deepEqual(
      (await alertsOf(id)).map((a) => [a.body.tier, a.deliveries]),
      [['2h', 1]],
      'the same certificate is not alerted again (not even under the same alertId)',
    );

    const renewed = await certificateFile({ validFor: '90m', name: 'comeback.pem' });
    await scanCredentials(client, { taskQueue });
    status = await statusOf(id);
    assert.equal(status.acknowledged, null, 'a new certificate ends the ack');
    assert.deepEqual(
      (await alertsOf(id)).map((a) => [a.body.event, a.body.notAfter]),
      [
        ['credential.expiring', cert.notAfter],
        ['credential.renewed', cert.notAfter],
        ['credential.expiring', renewed.notAfter],
      ],
    );
  });

  it("test-alert: one signed test alert through the worker's own sink, and a receiver that is down reported as such", async () => {
    const ok = await sendTestAlert(client, { taskQueue, note: 'from the test suite' });
    assert.deepEqual(
      { ...ok, alertId: undefined },
      {
        alertId: undefined,
        delivered: true,
        via: 'webhook',
        signed: true,
        host: new URL(sandbox.manifest.credentials.alertWebhookUrl).origin,
        status: 200,
        error: null,
        attempts: 1,
      },
    );
    const got = (await receiver()).alerts.find((a) => a.alertId === ok.alertId);
    assert.ok(got, 'the receiver got it');
    assert.equal(got.signatureValid, true, "signed with the worker's secret");
    assert.equal(got.body.event, 'credential.test');
    assert.match(got.body.text, /test alert .*from the test suite\. Nothing to do\./);
    const again = await sendTestAlert(client, { taskQueue });
    assert.notEqual(again.alertId, ok.alertId, 'each test alert has its own id (receivers dedupe on it)');

    await fault(503, activityPolicies.alertDeliverTest.retry.maximumAttempts);
    const down = await sendTestAlert(client, { taskQueue });
    assert.equal(down.delivered, false);
    assert.equal(down.status, 503);
    assert.match(down.error ?? '', /alert webhook POST \(alert webhook\) answered HTTP 503/);
    assert.equal(down.attempts, activityPolicies.alertDeliverTest.retry.maximumAttempts, 'retried, bounded');
    assert.equal(
      (await receiver()).alerts.find((a) => a.alertId === down.alertId),
      undefined,
    );
  });

  it('watches the certificates a CryptoPro container stores, read without its password; refuses a folder that is not one', async (tt) => {
    const dir = vectorsOrSkip(tt, 'cryptopro');
    if (!dir) return;
    await assert.rejects(
      applyFile({ version: 1, credentials: [{ id: 'not-a-container', kind: 'cryptopro-container', path: t.tmp }] }),
      /credential 'not-a-container': .*not a CryptoPro container: header\.key, masks\.key, primary\.key missing/,
    );
    // get-cpcert's container has a password; the watch never asks for it (the header is not encrypted).
    const report = await applyFile({
      version: 1,
      credentials: [
        {
          id: 'kontur-container',
          kind: 'cryptopro-container',
          path: join(dir, 'cryptopro-corefx/containers/G2012256.001'),
          policy: { alertLadder: ['2h'], renewAt: 0.99 },
        },
        { id: 'expired-container', kind: 'cryptopro-container', path: join(dir, 'get-cpcert/g2012256.000') },
      ],
    });
    assert.deepEqual(report.created.sort(), ['expired-container', 'kontur-container']);
    const rows = await listCredentials(client);
    const ok = rows.find((r) => r.id === 'kontur-container')!;
    assert.equal(ok.kind, 'cryptopro-container');
    assert.equal(ok.state, 'ok');
    assert.deepEqual(
      ok.certificates.map((c) => c.serialNumber).sort(),
      ['01', '01'],
      'the signature and the exchange key certificates (same serial, different keys)',
    );
    assert.equal(rows.find((r) => r.id === 'expired-container')!.state, 'expired');
  });
});
