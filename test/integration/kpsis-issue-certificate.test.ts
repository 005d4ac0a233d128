// kpsisIssueCertificate end to end: a real Temporal dev server, the worker code, the KPSIS simulator
// (real EC key, real PKCS#10, real k-of-n shards) and its sandbox CA standing in for NCES.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { submitKpsisCertificate, startFlow, executeFlow } from '../../src/client/flows.js';
import {
  SubmitIssuedCertificateResultSchema,
  type KpsisIssueCertificateInput,
} from '../../src/flows/kpsis/kpsis-issue-certificate.contract.js';
import { STATUS_QUERY_NAME, type FlowStatus } from '../../src/contracts/status.js';
import { alertSettingsFromEnv } from '../../src/common/alert-settings.js';
import { FailureType } from '../../src/common/errors.js';
import { searchAttributes } from '../../src/common/search-attributes.js';
import { runOpenssl, withPrivateTempDir } from '../../src/crypto/openssl.js';
import { issueSandboxCertificate, sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { failureOf, startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { assertFitsSchema, assertResultFitsContract } from '../helpers/result-schema.js';
import { findSecrets, storedHistory } from '../helpers/history.js';
import { kpsisIssueCertificate } from '../../src/flows/index.js';

const taskQueue = 'kpsis-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let n = 0;

const wfId = (name: string) => `test-kpsis-${name}-${++n}`;
const input = (extra: Partial<KpsisIssueCertificateInput> = {}): KpsisIssueCertificateInput => ({
  ...sandbox.manifest.examples.kpsisIssueCertificate,
  artifactsDir: join(t.tmp, `artifacts-${++n}`),
  ...extra,
});
const state = () => sandboxAdmin(sandbox.simulators.kpsis.adminBaseUrl, 'state');
/** The fields every kpsisIssueCertificate result has (its JSON Schema's `required`). */
const REQUIRED = ['outcome', 'request', 'artifacts', 'requestedAt'] as const;
const statusOf = (workflowId: string) => client.workflow.getHandle(workflowId).query<FlowStatus>(STATUS_QUERY_NAME);
async function waitingForCa(workflowId: string): Promise<FlowStatus> {
  for (let i = 0; i < 400; i++) {
    const s = await statusOf(workflowId).catch(() => undefined);
    if (s?.step === 'waiting_for_ca') return s;
    if (s?.outcome === 'failed') throw new Error(`flow failed: ${s.error?.message}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the flow never reached waiting_for_ca');
}
/** The sandbox CA (NCES stand-in) issues a certificate for a request. */
const issue = (certRequestDer: Buffer, o: { days?: number; notBeforeDays?: number } = {}) =>
  issueSandboxCertificate(sandbox.manifest.kpsis.caIssueUrl, certRequestDer, o);
async function foreignRequest(): Promise<Buffer> {
  return withPrivateTempDir(async (dir) => {
    await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${dir}/k.pem`]);
    await runOpenssl([
      'req',
      '-new',
      '-key',
      `${dir}/k.pem`,
      '-subj',
      '/CN=other.example.by/O=Other',
      '-outform',
      'DER',
      '-out',
      `${dir}/r.der`,
    ]);
    return readFile(`${dir}/r.der`);
  });
}

// The alert webhook of this file's worker (its settings are read when the worker is built): records
// every reminder, or answers `hookStatus` when a test makes it refuse.
const received: any[] = [];
let hookStatus = 200;
const hook: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    if (hookStatus !== 200) return res.writeHead(hookStatus).end('no such hook');
    received.push(JSON.parse(body));
    res.end('ok');
  });
});

before(async () => {
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const alerts = alertSettingsFromEnv({
    TRUSTFLOW_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
    TRUSTFLOW_ALERT_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
  });
  t = await startFlowTestEnv(taskQueue, { activityDeps: () => ({ alerts }) });
  ({ client, sandbox } = t);
});
after(async () => {
  await t?.stop();
  hook.close();
});
beforeEach(() => sandboxAdmin(sandbox.simulators.kpsis.adminBaseUrl, 'reset'));

describe('kpsisIssueCertificate on a real Temporal server', () => {
  it('generates, waits for the CA, refuses certificates for another key or not valid now, accepts the right one', async () => {
    const workflowId = wfId('issue');
    const i = input();
    const handle = await startFlow(client, kpsisIssueCertificate, { workflowId, input: i, taskQueue });
    const status = await waitingForCa(workflowId);
    assert.match(status.note!, /^waiting for CA since \d{4}-\d{2}-\d{2}T/);

    // The artifacts: owner-only files, the request readable.
    const dir = i.artifactsDir;
    const requestDer = await readFile(join(dir, 'cert_req.req'));
    for (const f of ['cert_req.req', 'key.der', 'shard1.pem', 'shard5.pem'])
      assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
    await runOpenssl(['req', '-verify', '-inform', 'DER', '-in', join(dir, 'cert_req.req'), '-noout']);

    const refused = async (pem: string, reason: RegExp) => {
      const err = await submitKpsisCertificate(client, workflowId, pem).catch((e: unknown) => e);
      assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
      assert.match((err.cause as Error).message, reason);
    };
    await refused(await issue(await foreignRequest()), /is not the key of this request/);
    await refused(await issue(requestDer, { notBeforeDays: 2 }), /not valid before/);
    await refused('not a certificate', /expected a PEM certificate/);
    assert.equal((await client.workflow.getHandle(workflowId).describe()).status.name, 'RUNNING', 'still waiting');

    const good = await issue(requestDer);
    const accepted = await submitKpsisCertificate(client, workflowId, good);
    const r = await handle.result();
    assert.equal(r.outcome, 'issued');
    assert.deepEqual(r.certificate, accepted.certificate);
    const x = new X509Certificate(good);
    assert.equal(r.certificate!.serialNumber, x.serialNumber);
    assert.equal(r.certificate!.notAfter, new Date(x.validTo).toISOString());
    assert.equal(r.certificate!.sha256Fingerprint, x.fingerprint256);
    assert.equal(await readFile(r.certificate!.path, 'utf8'), x.toString());
    assert.equal(r.artifacts.shards.length, 5);
    assert.match(r.request.subject, /CN=\*\.example\.org/);
    assert.deepEqual(r.request.subjectAltNames, ['DNS:*.example.org', 'DNS:www.example.org']);
    assertResultFitsContract('kpsisIssueCertificate', r, REQUIRED);
    assertFitsSchema(SubmitIssuedCertificateResultSchema, accepted, ['accepted', 'certificate'], "submitIssuedCertificate's result");
    await assert.rejects(submitKpsisCertificate(client, workflowId, good), 'a finished flow takes no second certificate');

    // History: no password, shard or key bytes.
    const history = await storedHistory(client, workflowId);
    const secrets = [];
    for (const [k, ref] of i.keyParam.passwords.entries())
      secrets.push({ label: `password ${k + 1}`, value: (await readFile(ref.slice(5), 'utf8')).trim() });
    const shard = await readFile(join(dir, 'shard1.pem'), 'utf8');
    secrets.push(
      { label: 'shard 1 body', value: shard.split('\n')[2]! },
      { label: 'key container (a slice)', value: (await readFile(join(dir, 'key.der'))).subarray(40, 104) },
    );
    assert.deepEqual(findSecrets(history, secrets), []);
  });

  it('reminds while waiting and ends as timed_out after giveUpAfter', async () => {
    const workflowId = wfId('timeout');
    const r = await executeFlow(client, kpsisIssueCertificate, {
      workflowId,
      input: input({ reminderEvery: '1s', giveUpAfter: '3500ms' }),
      taskQueue,
    });
    const reminders = received.filter((m) => m.credentialId === workflowId);
    assert.equal(r.outcome, 'timed_out');
    assert.equal(r.certificate, undefined);
    assertResultFitsContract('kpsisIssueCertificate', r, REQUIRED);
    assert.ok(reminders.length >= 2 && reminders.length <= 4, `reminders: ${reminders.length}`);
    // The one alert shape (contracts/alert.ts): a stable alertId per reminder, the organisation only.
    assert.deepEqual(
      reminders.map((m) => m.tier),
      reminders.map((_m, k) => `ca-pending-${k + 1}`),
    );
    assert.equal(reminders[0].event, 'kpsis.certificate.pending');
    assert.equal(reminders[0].alertId, `${workflowId}/ca-pending-1`);
    assert.equal(reminders[0].credentialId, workflowId);
    assert.equal(reminders[0].kind, 'kpsis-certificate');
    assert.equal(reminders[0].certificate.organization, 'ООО Организация');
    assert.match(reminders[0].action, new RegExp(`trustflow kpsis submit-cert --workflow-id ${workflowId} --cert FILE`));
    assert.doesNotMatch(JSON.stringify(reminders), /example\.org/, 'no subject name beyond the organisation');
    const d = await client.workflow.getHandle(workflowId).describe();
    assert.equal(d.typedSearchAttributes.get(searchAttributes.outcome), 'timed_out');
  });

  it('keeps waiting when a reminder cannot be delivered (a webhook answering 404), saying so in its status', async () => {
    hookStatus = 404;
    try {
      const workflowId = wfId('hook-404');
      const r = await executeFlow(client, kpsisIssueCertificate, {
        workflowId,
        input: input({ reminderEvery: '1s', giveUpAfter: '2500ms' }),
        taskQueue,
      });
      assert.equal(r.outcome, 'timed_out', 'the flow ran to its deadline instead of failing on the reminder');
      const status = await client.workflow.getHandle(workflowId).query<FlowStatus>('status');
      assert.match(status.warnings?.[0] ?? '', /^reminder 1 could not be sent: .*HTTP 404/);
    } finally {
      hookStatus = 200;
    }
  });

  it('rejects invalid parameters before any call to KPSIS', async () => {
    const ex = sandbox.manifest.examples.kpsisIssueCertificate;
    await assert.rejects(
      executeFlow(client, kpsisIssueCertificate, {
        workflowId: wfId('bad'),
        input: input({ keyParam: { ...ex.keyParam, thresholdNum: 6 } }),
        taskQueue,
      }),
      /keyParam.thresholdNum: must not exceed usersNum \(5\)/,
    );
    const raw = async (bad: unknown) => {
      const h = await client.workflow.start('kpsisIssueCertificate', { workflowId: wfId('raw'), taskQueue, args: [bad] });
      return failureOf(await h.result().catch((e: unknown) => e));
    };
    const cases: [Partial<KpsisIssueCertificateInput>, RegExp][] = [
      [{ keyParam: { ...ex.keyParam, iterationCount: 9999 } }, /iterationCount: must be at least 10000/],
      [{ keyParam: { ...ex.keyParam, securityLevel: 160 as 128 } }, /securityLevel: must be 128, 192 or 256/],
      [
        { keyParam: { ...ex.keyParam, passwords: ex.keyParam.passwords.slice(0, 4) } },
        /passwords: must hold exactly usersNum \(5\) references/,
      ],
      [
        { certReqParam: { ...ex.certReqParam, certInfo: { ...ex.certReqParam.certInfo, commonName: 'not a host name' } } },
        /certInfo.commonName: must be a DNS name/,
      ],
      [
        { certReqParam: { ...ex.certReqParam, certInfo: { ...ex.certReqParam.certInfo, email: 'nope' } } },
        /certInfo.email: must be an e-mail address/,
      ],
      // Five holders' passwords must not cross a network in clear without an explicit opt-in.
      [
        { baseUrl: 'http://kpsis.example.by:8088' },
        /baseUrl: must be https: plain http is allowed only on loopback.*set allowPlainHttp: true/,
      ],
      [{ saveToFlie: true } as Partial<KpsisIssueCertificateInput>, /unknown key 'saveToFlie' \(did you mean 'saveToFile'\?\)/],
    ];
    for (const [extra, expected] of cases) {
      const f = await raw(input(extra));
      assert.equal(f.type, FailureType.InvalidInput);
      assert.match(f.message, expected);
    }
    const missing = await raw(
      input({ keyParam: { ...ex.keyParam, passwords: [...ex.keyParam.passwords.slice(0, 4), 'file:/nonexistent/password'] } }),
    );
    assert.equal(missing.type, FailureType.SecretUnavailable);
    assert.equal((await state()).requestsGenerated, 0);
  });

  it("fails with KPSIS's error code, without retrying, when the service refuses the parameters", async () => {
    await sandboxAdmin(sandbox.simulators.kpsis.adminBaseUrl, 'config', { allowedTypes: ['service'] });
    const f = failureOf(
      await executeFlow(client, kpsisIssueCertificate, { workflowId: wfId('refused'), input: input(), taskQueue }).catch((e: unknown) => e),
    );
    assert.equal(f.type, FailureType.ProviderRejected);
    assert.match(f.message, /KPSIS POST \/api\/v1\/gencertreq answered HTTP 200 \(\d+: the service refused the parameters/);
    assert.equal((await state()).calls['POST /api/v1/gencertreq'], 1);
  });
});
