// The credential lifecycle's done-when, by hand as separate processes: `npm run sandbox`, `npm run
// worker` (alerts to the sandbox's receiver, signed), then `trustflow credentials apply` of an
// inventory holding a sandbox certificate that expires in a few minutes, `scan` twice: exactly one
// alert for the current tier reaches the receiver, and `list -o json` shows the state and notAfter.
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { activityPolicies } from '../../src/common/policies.js';
import type { AlertTestOutcome } from '../../src/contracts/alert.js';
import type { CredentialStatus } from '../../src/flows/credentials/credential-watch.contract.js';
import { sandboxAdmin, type SandboxManifest } from '../../src/sandbox/index.js';
import type { ReceivedAlert } from '../../src/sandbox/credentials/alert-receiver.js';
import { startTestServer, TEST_CODEC_KEYS } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { repoRoot } from '../helpers/paths.js';
import { startSandboxProcess, trustflowCli } from '../helpers/processes.js';

let env: TestWorkflowEnvironment;
let tmp: string;
let sandboxProc: ChildProcess;
let worker: WorkerProcess;
let manifest: SandboxManifest;
let cliEnv: NodeJS.ProcessEnv;

const trustflow = trustflowCli(() => cliEnv);
const receiver = () =>
  sandboxAdmin(manifest.services.alerts!.admin.replace(/\/__sandbox$/, ''), 'state') as Promise<{
    alerts: ReceivedAlert[];
    deliveries: number;
  }>;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-credentials-e2e-'));
  env = await startTestServer();
  const dir = join(tmp, 'sandbox');
  ({ proc: sandboxProc, manifest } = await startSandboxProcess(dir));
  const common = {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_TASK_QUEUE: 'trustflow',
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
  };
  cliEnv = { ...process.env, ...common };
  worker = await startWorkerProcess({
    ...common,
    TRUSTFLOW_ALERT_WEBHOOK_URL: manifest.credentials.alertWebhookUrl,
    TRUSTFLOW_ALERT_WEBHOOK_SECRET: (await readFile(manifest.credentials.alertWebhookSecret.slice('file:'.length), 'utf8')).trim(),
  });
});

after(async () => {
  await worker?.kill('SIGTERM');
  sandboxProc?.kill('SIGTERM');
  await env?.teardown();
  await rm(tmp, { recursive: true, force: true });
});

describe('trustflow credentials, by hand', () => {
  let inventory: string;
  let notAfter: string;

  it('apply of a certificate expiring in minutes, scan twice: one alert for the current tier; list -o json shows it', async () => {
    const res = await fetch(manifest.credentials.issueUrl, { method: 'POST', body: JSON.stringify({ validFor: '4m' }) });
    const issued = (await res.json()) as { certificate: string; notAfter: string };
    notAfter = issued.notAfter;
    await writeFile(join(tmp, 'soon.pem'), issued.certificate);
    inventory = join(tmp, 'inventory.yaml');
    await writeFile(
      inventory,
      `version: 1\ncredentials:\n  - id: soon\n    kind: certificate\n    file: ${join(tmp, 'soon.pem')}\n    labels: { tenant: demo }\n`,
    );

    const applied = await trustflow('credentials', 'apply', inventory);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^credential soon: created$/m);
    assert.match(applied.stdout, /^schedule trustflow-credentials-check: created$/m);
    for (let i = 0; i < 2; i++) {
      const scan = await trustflow('credentials', 'scan');
      assert.equal(scan.code, 0, scan.stderr);
      assert.match(scan.stdout, /^soon +expiring +/m);
    }

    const { alerts } = await receiver();
    assert.deepEqual(
      alerts.map((a) => [a.body.credentialId, a.body.tier, a.body.event, a.signatureValid]),
      [['soon', '1d', 'credential.expiring', true]],
      'exactly one alert, for the current tier (under a day left: 1d), signed',
    );

    const list = await trustflow('credentials', 'list', '-o', 'json');
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as CredentialStatus[];
    assert.deepEqual(
      rows.map((r) => ({ id: r.id, kind: r.kind, state: r.state, notAfter: r.notAfter, daysLeft: r.daysLeft })),
      [{ id: 'soon', kind: 'certificate', state: 'expiring', notAfter, daysLeft: 0 }],
    );
    assert.ok(rows[0]!.nextAction.length > 10);
    const table = await trustflow('credentials', 'list');
    assert.match(table.stdout, /^id +kind +state +notAfter +daysLeft +undelivered +nextAction$/m);
    assert.match(table.stdout, new RegExp(`^soon +certificate +expiring +${notAfter.slice(0, 10)} +0 +0 +renew with `, 'm'));
  });

  it('apply of the same file changes nothing; --dry-run says what would change and changes nothing', async () => {
    const again = await trustflow('credentials', 'apply', inventory);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^credential soon: unchanged$/m);
    assert.match(again.stdout, /^nothing to change$/m);

    const changed = join(tmp, 'changed.yaml');
    await writeFile(changed, (await readFile(inventory, 'utf8')).replace('tenant: demo', 'tenant: other'));
    const dry = await trustflow('credentials', 'apply', '--dry-run', changed);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^credential soon: would be updated$/m);
    assert.match(dry.stdout, /dry run: nothing changed/);
    const list = JSON.parse((await trustflow('credentials', 'list', '-o', 'json')).stdout) as CredentialStatus[];
    assert.deepEqual(list[0]!.labels, { tenant: 'demo' }, 'the dry run changed nothing');
  });

  it('ack silences the credential; a bad inventory exits 1 naming the entry and the field', async () => {
    const ack = await trustflow('credentials', 'ack', 'soon', '--note', 'renewal ordered');
    assert.equal(ack.code, 0, ack.stderr);
    assert.match(ack.stdout, /credential soon: acknowledged/);

    const bad = join(tmp, 'bad.yaml');
    await writeFile(bad, 'version: 1\ncredentials:\n  - id: soon\n    kind: certificate\n    fiel: /etc/x.pem\n');
    const refused = await trustflow('credentials', 'apply', bad);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /credentials\[0\] \(id 'soon'\): unknown key 'fiel' \(did you mean 'file'\?\)/);
    const unknown = await trustflow('credentials', 'frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown credentials command 'frobnicate'/);
  });

  it('trustflow status of a credential watch reads the watch (state, next action), not "no worker answered"', async () => {
    const s = await trustflow('status', 'trustflow-credential/soon');
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^state +expiring \(credential soon, certificate\)$/m);
    assert.match(s.stdout, /^next +\(acknowledged\) renew with /m);
    assert.doesNotMatch(s.stdout, /no worker answered/);
  });

  it('test-alert: a signed delivery exits 0; a receiver that is down exits 1 with its HTTP status; a bad --note exits 2', async () => {
    const ok = await trustflow('credentials', 'test-alert', '--note', 'from the e2e suite');
    assert.equal(ok.code, 0, ok.stderr);
    const origin = new URL(manifest.credentials.alertWebhookUrl).origin;
    const line = new RegExp(
      `^test alert (\\S+): delivered to the webhook at ${origin.replace(/\./g, '\\.')} \\(HTTP 200\\), signed, 1 attempt$`,
      'm',
    );
    assert.match(ok.stdout, line);
    const alertId = line.exec(ok.stdout)![1]!;
    const got = (await receiver()).alerts.find((a) => a.alertId === alertId);
    assert.equal(got?.body.event, 'credential.test');
    assert.equal(got?.signatureValid, true);

    await fault(503, activityPolicies.alertDeliverTest.retry.maximumAttempts);
    const down = await trustflow('credentials', 'test-alert', '-o', 'json');
    assert.equal(down.code, 1, down.stderr);
    const outcome = JSON.parse(down.stdout) as AlertTestOutcome;
    assert.equal(outcome.delivered, false);
    assert.equal(outcome.status, 503);

    const badNote = await trustflow('credentials', 'test-alert', '--note', 'two\nlines');
    assert.equal(badNote.code, 2);
    assert.match(badNote.stderr, /--note: must be one line/);
  });

  it('scan --fail-on exits 1 naming credential and state; list and scan show undelivered alerts and the last delivery error', async () => {
    const notFailing = await trustflow('credentials', 'scan', '--fail-on', 'expired,unreadable');
    assert.equal(notFailing.code, 0, notFailing.stdout + notFailing.stderr);
    const failing = await trustflow('credentials', 'scan', '--fail-on', 'expiring');
    assert.equal(failing.code, 1);
    assert.match(failing.stdout, /^soon: expiring \(named by --fail-on\)$/m);
    const typo = await trustflow('credentials', 'scan', '--fail-on', 'expried');
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /--fail-on 'expried' is not a state it knows: use expired, expiring, unreadable, undelivered, not-yet-valid/);

    // A second credential whose first alert cannot be delivered: the receiver is down for apply's
    // check and for the scan after it.
    const res = await fetch(manifest.credentials.issueUrl, { method: 'POST', body: JSON.stringify({ validFor: '5m' }) });
    await writeFile(join(tmp, 'lost.pem'), ((await res.json()) as { certificate: string }).certificate);
    const two = join(tmp, 'two.yaml');
    await writeFile(two, `${await readFile(inventory, 'utf8')}  - id: lost\n    kind: certificate\n    file: ${join(tmp, 'lost.pem')}\n`);
    await fault(503, 2 * activityPolicies.alertDeliver.retry.maximumAttempts);
    const applied = await trustflow('credentials', 'apply', two);
    assert.equal(applied.code, 0, applied.stderr);
    const list = await trustflow('credentials', 'list');
    assert.match(list.stdout, /^lost +certificate +expiring +\S+ +0 +1 +/m);
    assert.match(list.stdout, /^lost: 1 alert not delivered; last delivery error at \S+: .*HTTP 503/m);
    const rows = JSON.parse((await trustflow('credentials', 'list', '-o', 'json')).stdout) as CredentialStatus[];
    assert.equal(rows.find((r) => r.id === 'lost')?.undelivered, 1);
    assert.match(rows.find((r) => r.id === 'lost')?.lastDeliveryError?.message ?? '', /HTTP 503/);

    const scan = await trustflow('credentials', 'scan', '--fail-on', 'undelivered', '-o', 'json');
    assert.equal(scan.code, 1, scan.stderr);
    const r = JSON.parse(scan.stdout) as { matched: { id: string; states: string[] }[]; checked: { id: string; undelivered: number }[] };
    assert.deepEqual(r.matched, [{ id: 'lost', states: ['undelivered'] }]);
    // The receiver is back: the next scan delivers, and nothing matches.
    const healed = await trustflow('credentials', 'scan', '--fail-on', 'undelivered');
    assert.equal(healed.code, 0, healed.stdout);
    assert.match(healed.stdout, /^lost +expiring +\S+ +\d+ +0$/m);
  });

  it('no worker on the queue: apply, scan and test-alert fail within seconds naming the queue, and start nothing', async () => {
    const nobody = trustflowWith({ TRUSTFLOW_TASK_QUEUE: 'nobody-polls-this' });
    for (const args of [
      ['credentials', 'apply', inventory],
      ['credentials', 'scan'],
      ['credentials', 'test-alert'],
    ]) {
      const started = Date.now();
      const r = await nobody(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(
        r.stderr,
        /task queue 'nobody-polls-this' in namespace 'default' at 127\.0\.0\.1:\d+: no worker polls it, so nothing was started/,
      );
      assert.ok(Date.now() - started < 15_000, `${args.join(' ')} answered in ${Date.now() - started} ms`);
    }
    const left: string[] = [];
    for await (const w of env.client.workflow.list({ query: `TaskQueue = 'nobody-polls-this'` })) left.push(w.workflowId);
    assert.deepEqual(left, []);
    const ack = await trustflow('credentials', 'ack', 'no-such-credential');
    assert.equal(ack.code, 1);
    assert.match(ack.stderr, /^trustflow: no credential 'no-such-credential' is applied \(trustflow credentials list\)$/m);
    assert.doesNotMatch(ack.stderr, /inventory is not valid/);
  });

  it('80 credentials: apply reports progress on stderr; list -o json reaches a slow pipe whole; the table fits 100 columns', async () => {
    const many = join(tmp, 'many.yaml');
    const ids = Array.from({ length: 80 }, (_, i) => `bulk-credential-with-a-longish-name-${String(i).padStart(3, '0')}`);
    await writeFile(
      many,
      `version: 1\ncredentials:\n${ids.map((id) => `  - id: ${id}\n    kind: certificate\n    file: ${join(tmp, 'soon.pem')}\n`).join('')}`,
    );
    const applied = await trustflowWith({ TRUSTFLOW_PROGRESS_AFTER_MS: '0' })('credentials', 'apply', many);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stderr, /^credentials apply: \d+\/80/m, 'progress on stderr');
    assert.doesNotMatch(applied.stdout, /credentials apply: \d+\//, 'not on stdout');

    // Through a real pipe into a reader that starts late: every byte arrives (it was cut at 64 KiB).
    const piped = await shell(`node ${JSON.stringify(bin)} credentials list -o json | (sleep 1; cat)`);
    const rows = JSON.parse(piped) as CredentialStatus[];
    assert.ok(piped.length > 65_536, `${piped.length} bytes: more than a pipe buffer`);
    assert.deepEqual(rows.map((r) => r.id).sort(), ids);
    const lines = (await shell(`node ${JSON.stringify(bin)} credentials list | (sleep 1; cat)`)).trimEnd().split('\n');
    assert.equal(lines.length, 81, 'a header and 80 rows');
    assert.deepEqual(
      lines.filter((l) => l.length > 100),
      [],
    );
    const wide = (await shell(`node ${JSON.stringify(bin)} credentials list --wide`)).split('\n');
    assert.ok(wide.some((l) => l.length > 100) && wide.every((l) => !l.includes('…')), '--wide shows cells whole');
    // A reader that stops early: the command ends quietly.
    const head = await shell(`node ${JSON.stringify(bin)} credentials list -o json 2>&1 | head -2`);
    assert.equal(head.split('\n').filter(Boolean).length, 2);
  });

  it('a watch whose task queue no worker polls: list and ack fail within seconds naming that queue instead of hanging', async () => {
    // As left by a worker fleet moved to another queue: the watch runs, nobody serves it.
    const orphan = await env.client.workflow.start('credentialWatch', {
      taskQueue: 'watches-nobody-serves',
      workflowId: 'trustflow-credential/orphan',
      args: [{}],
    });
    try {
      for (const args of [
        ['credentials', 'list'],
        ['credentials', 'ack', 'orphan'],
      ]) {
        const started = Date.now();
        const r = await trustflow(...args);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
        assert.match(r.stderr, /credential 'orphan' is watched on task queue 'watches-nobody-serves' .*: no worker polls it/);
        assert.ok(Date.now() - started < 15_000, `${args.join(' ')} answered in ${Date.now() - started} ms`);
      }
    } finally {
      await orphan.terminate('test done');
    }
  });
});

const bin = join(repoRoot, 'bin', 'trustflow.js');

/** A shell pipeline with the CLI's environment; its stdout (the pipeline's last command). */
function shell(command: string): Promise<string> {
  return promisify(execFile)('sh', ['-c', command], { env: cliEnv, maxBuffer: 64 * 1024 * 1024 }).then((r) => r.stdout);
}

const fault = (status: number, times: number) =>
  sandboxAdmin(manifest.services.alerts!.admin.replace(/\/__sandbox$/, ''), 'faults', {
    endpoint: 'POST /alerts',
    action: 'status',
    status,
    times,
  });

const trustflowWith = (extra: NodeJS.ProcessEnv) => trustflowCli(() => ({ ...cliEnv, ...extra }));
