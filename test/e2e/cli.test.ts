// What a user does by hand, as separate processes: `npm run sandbox`, `npm run worker`, then
// `temporal workflow execute --type mptSignIn --input-file F` (F = the sandbox's example input),
// and the `trustflow` CLI (run, status, cms sign, cms verify, kpsis submit-cert); the done-when checks of
// kiscVerifyIdentity, cipherSign and kpsisIssueCertificate.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { getMptToken } from '../../src/client/token-keepers.js';
import { issueSandboxCertificate, sandboxAdmin, type SandboxManifest } from '../../src/sandbox/index.js';
import { runOpenssl } from '../../src/crypto/openssl.js';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { startTestServer, temporalCliPath, TEST_CODEC_KEYS } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { startSandboxProcess, trustflowCli } from '../helpers/processes.js';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;
let tmp: string;
let sandboxProc: ChildProcess;
let worker: WorkerProcess;
let manifest: SandboxManifest;
let inputFile: string;
let cliEnv: NodeJS.ProcessEnv;
let codecProc: ChildProcess;
let codecUrl: string;

const trustflow = trustflowCli(() => cliEnv);

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-e2e-'));
  env = await startTestServer();
  const dir = join(tmp, 'sandbox');
  ({ proc: sandboxProc, manifest } = await startSandboxProcess(dir));
  inputFile = join(tmp, 'mpt-input.json');
  await writeFile(inputFile, JSON.stringify(manifest.examples.mptSignIn));
  cliEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_TASK_QUEUE: 'trustflow',
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
  };
  worker = await startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
  });
  // `npm run codec-server`, for the temporal CLI's --codec-endpoint
  const codecPort = await freePort();
  codecProc = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'codec', 'main.js')], {
    env: { ...process.env, TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS, TRUSTFLOW_CODEC_PORT: String(codecPort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  codecProc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; !out.includes('codec server listening'); i++) {
    assert.ok(i < 200 && codecProc.exitCode === null, `codec server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  codecUrl = `http://127.0.0.1:${codecPort}`;
});

after(async () => {
  await worker?.kill('SIGTERM');
  sandboxProc?.kill('SIGTERM');
  codecProc?.kill('SIGTERM');
  await env?.teardown();
  await rm(tmp, { recursive: true, force: true });
});

describe('by hand, as separate processes', () => {
  it('temporal workflow execute --type mptSignIn --input-file <examples.mptSignIn> --codec-endpoint prints a token', async () => {
    const { stdout } = await run(temporalCliPath(), [
      'workflow',
      'execute',
      '--address',
      env.address,
      '--type',
      'mptSignIn',
      '--task-queue',
      'trustflow',
      '--workflow-id',
      'e2e-temporal-cli',
      '--input-file',
      inputFile,
      '--codec-endpoint',
      codecUrl,
    ]);
    assert.match(stdout, /"token":\s*"eyJ[\w-]+\.[\w-]+\.[\w-]+"/);
    assert.match(stdout, /"expiresAt"/);
  });

  it('temporal workflow execute --type konturSignIn --input-file <examples.konturSignIn> returns a session; trustflow kontur refresh renews it', async () => {
    assert.ok(manifest.examples.konturSignIn, 'the sandbox runs Kontur (needs gost-engine)');
    const konturInput = join(tmp, 'kontur-input.json');
    await writeFile(konturInput, JSON.stringify(manifest.examples.konturSignIn));
    const { stdout } = await run(temporalCliPath(), [
      'workflow',
      'execute',
      '--address',
      env.address,
      '--type',
      'konturSignIn',
      '--task-queue',
      'trustflow',
      '--workflow-id',
      'e2e-kontur',
      '--input-file',
      konturInput,
      '--codec-endpoint',
      codecUrl,
      '-o',
      'json',
    ]);
    const result = JSON.parse(stdout).result as { sid: string; refreshToken: string; expiresAt: string };
    assert.match(result.sid, /^[0-9A-F]{32}$/);
    const kurl = manifest.services.kontur!.baseUrl;
    const works = async (sid: string) =>
      (await fetch(`${kurl}/auth/v5.9/sessions/current`, { headers: { authorization: `auth.sid ${sid}` } })).status;
    assert.equal(await works(result.sid), 200);

    const apiKey = (await readFile(manifest.examples.konturSignIn.apiKey!.slice(5), 'utf8')).trim();
    const r = await trustflow(
      'kontur',
      'refresh',
      '--base-url',
      kurl,
      '--sid-env',
      'TF_SID',
      '--refresh-token-env',
      'TF_RT',
      '--api-key-env',
      'TF_API',
    );
    assert.equal(r.code, 1, 'without the variables it fails');
    assert.match(
      r.stderr,
      /env:TF_SID, env:TF_RT, env:TF_API: environment variable TF_SID \(--sid-env\) is not set; .*TF_RT .*; environment variable TF_API \(--api-key-env\) is not set/,
    );
    Object.assign(cliEnv, { TF_SID: result.sid, TF_RT: result.refreshToken, TF_API: apiKey });
    const ok = await trustflow(
      'kontur',
      'refresh',
      '--base-url',
      kurl,
      '--sid-env',
      'TF_SID',
      '--refresh-token-env',
      'TF_RT',
      '--api-key-env',
      'TF_API',
    );
    assert.equal(ok.code, 0, ok.stderr);
    const renewed = JSON.parse(ok.stdout) as { sid: string };
    assert.equal(await works(renewed.sid), 200);
    assert.equal(await works(result.sid), 401, 'the old sid is invalid');
    delete cliEnv.TF_SID;
    delete cliEnv.TF_RT;
    delete cliEnv.TF_API;
  });

  it('temporal workflow execute --type kiscVerifyIdentity returns a verification billed exactly once', async () => {
    const f = join(tmp, 'kisc-input.json');
    await writeFile(f, JSON.stringify(manifest.examples.kiscVerifyIdentity));
    const { stdout } = await run(temporalCliPath(), [
      'workflow',
      'execute',
      '--address',
      env.address,
      '--type',
      'kiscVerifyIdentity',
      '--task-queue',
      'trustflow',
      '--workflow-id',
      'e2e-kisc',
      '--input-file',
      f,
      '--codec-endpoint',
      codecUrl,
      '-o',
      'json',
    ]);
    const result = JSON.parse(stdout).result as { outcome: string; idempotencyKey: string; personalData: Record<string, unknown> };
    assert.equal(result.outcome, 'verified');
    assert.deepEqual(Object.keys(result.personalData).sort(), ['birth_date', 'first_name', 'last_name', 'middle_name']);
    const state = (await (await fetch(`${manifest.services.kisc!.admin}/state`)).json()) as { billedPerKey: Record<string, number> };
    assert.equal(state.billedPerKey[result.idempotencyKey], 1);
  });

  it('temporal workflow execute --type cipherSign produces a signature openssl cms -verify accepts, no ticket left', async () => {
    const f = join(tmp, 'cipher-input.json');
    await writeFile(f, JSON.stringify(manifest.examples.cipherSign));
    const { stdout } = await run(temporalCliPath(), [
      'workflow',
      'execute',
      '--address',
      env.address,
      '--type',
      'cipherSign',
      '--task-queue',
      'trustflow',
      '--workflow-id',
      'e2e-cipher',
      '--input-file',
      f,
      '--codec-endpoint',
      codecUrl,
      '-o',
      'json',
    ]);
    const sig = join(tmp, 'e2e.p7s');
    await writeFile(sig, Buffer.from((JSON.parse(stdout).result as { signatureBase64: string }).signatureBase64, 'base64'));
    await runOpenssl([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      sig,
      '-content',
      manifest.cipher.document.slice(5),
      '-CAfile',
      manifest.cipher.ca,
      '-out',
      '/dev/null',
    ]);
    const state = (await (await fetch(`${manifest.services.cipher!.admin}/state`)).json()) as { openTickets: number };
    assert.equal(state.openTickets, 0);
  });

  it('temporal workflow execute --type kpsisIssueCertificate, then trustflow kpsis submit-cert, completes with serial and validity', async () => {
    const f = join(tmp, 'kpsis-input.json');
    const kinput = manifest.examples.kpsisIssueCertificate;
    await writeFile(f, JSON.stringify(kinput));
    const execution = run(temporalCliPath(), [
      'workflow',
      'execute',
      '--address',
      env.address,
      '--type',
      'kpsisIssueCertificate',
      '--task-queue',
      'trustflow',
      '--workflow-id',
      'e2e-kpsis',
      '--input-file',
      f,
      '--codec-endpoint',
      codecUrl,
      '-o',
      'json',
    ]);
    const request = join(kinput.artifactsDir, 'cert_req.req');
    for (let i = 0; !existsSync(request); i++) {
      assert.ok(i < 600, 'the request was not generated');
      await new Promise((r) => setTimeout(r, 50));
    }
    const issue = async (der: Buffer) => {
      const cert = join(tmp, `cert-${Date.now()}.pem`);
      await writeFile(cert, await issueSandboxCertificate(manifest.kpsis.caIssueUrl, der));
      return cert;
    };
    // A certificate for another request is refused, with the reason; the flow keeps waiting.
    const otherKey = join(tmp, 'other.key');
    await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', otherKey]);
    const otherReq = (await runOpenssl(['req', '-new', '-key', otherKey, '-subj', '/CN=other.example.by', '-outform', 'DER'])).stdout;
    const refused = await trustflow('kpsis', 'submit-cert', '--workflow-id', 'e2e-kpsis', '--cert', await issue(otherReq));
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /certificate refused: .*is not the key of this request: it was issued for another request; the flow keeps waiting/,
    );

    const cert = await issue(await readFile(request));
    const ok = await trustflow('kpsis', 'submit-cert', '--workflow-id', 'e2e-kpsis', '--cert', cert);
    assert.equal(ok.code, 0, ok.stderr);
    const submitted = JSON.parse(ok.stdout) as { serialNumber: string; notBefore: string; notAfter: string };
    const result = JSON.parse((await execution).stdout).result as {
      outcome: string;
      certificate: { serialNumber: string; notAfter: string };
    };
    assert.equal(result.outcome, 'issued');
    assert.equal(result.certificate.serialNumber, submitted.serialNumber);
    assert.ok(Date.parse(result.certificate.notAfter) > Date.now());
  });

  it('trustflow run mpt-sign-in prints the result, and trustflow status shows step and outcome', async () => {
    const r = await trustflow('run', 'mpt-sign-in', '--input', inputFile, '--workflow-id', 'e2e-cli-run');
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.match(result.token, /^eyJ/);
    const s = await trustflow('status', 'e2e-cli-run');
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /status\s+COMPLETED/);
    assert.match(s.stdout, /step\s+done/);
    assert.match(s.stdout, /outcome\s+succeeded/);
  });

  it('100 callers at once, 10 of them `trustflow token ismpt` processes: one token, exactly one sign-in at IS MPT; `token status` shows it', async () => {
    const admin = manifest.services.ismpt!.admin.replace(/\/__sandbox$/, '');
    const before = (await sandboxAdmin(admin, 'state')).successfulSignIns as number;
    const input = manifest.examples.mptSignIn;
    const [cli, api] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, () => trustflow('token', 'ismpt', '--input', inputFile))),
      Promise.all(Array.from({ length: 90 }, () => getMptToken(env.client, { input, taskQueue: 'trustflow', coalesce: false }))),
    ]);
    for (const r of cli) assert.equal(r.code, 0, r.stderr);
    const tokens = new Set([...cli.map((r) => (JSON.parse(r.stdout) as { token: string }).token), ...api.map((g) => g.token)]);
    assert.equal(tokens.size, 1, 'every caller got the same token');
    assert.equal(((await sandboxAdmin(admin, 'state')).successfulSignIns as number) - before, 1, 'exactly one sign-in at the provider');
    const status = await trustflow('token', 'status', 'ismpt', '--input', inputFile);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.match(s.workflowId, /^trustflow-token\/ismpt\/[0-9a-f]{32}$/);
    assert.deepEqual([s.state, s.signIns, s.requests], ['valid', 1, 100]);
    assert.doesNotMatch(status.stdout, new RegExp([...tokens][0]!.split('.')[2]!), 'no token in the status');
    // `trustflow status <keeper id>` reads the keeper (it answers keeperStatus, not the flows' status query).
    const general = await trustflow('status', s.workflowId);
    assert.equal(general.code, 0, general.stderr);
    assert.match(general.stdout, /^state +valid \(ismpt token keeper\)$/m);
    assert.match(general.stdout, /^sign-ins +1 \(refreshes 1, requests 100,/m);
    assert.doesNotMatch(general.stdout, /no worker answered/);
    assert.doesNotMatch(general.stdout, new RegExp([...tokens][0]!.split('.')[2]!), 'no token in the status');
  });

  it('token end|reset: a keeper whose sign-in failed is replaced with the corrected input at once; its failure reaches callers typed', async () => {
    const ended = await trustflow('token', 'end', 'ismpt', '--input', inputFile, '--reason', 'e2e: start clean');
    assert.equal(ended.code, 0, ended.stderr);
    const e = JSON.parse(ended.stdout) as { outcome: string; workflowId: string; reason: string };
    assert.equal(e.outcome, 'ended', ended.stdout);
    assert.equal(e.reason, 'e2e: start clean');

    // The same participant with a password reference that does not resolve: the sign-in fails.
    const broken = join(tmp, 'mpt-broken.json');
    const input = manifest.examples.mptSignIn;
    await writeFile(broken, JSON.stringify({ ...input, signer: { ...input.signer, password: 'env:TRUSTFLOW_E2E_NO_SUCH_PASSWORD' } }));
    const failed = await trustflow('token', 'ismpt', '--input', broken);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /SecretUnavailable|TRUSTFLOW_E2E_NO_SUCH_PASSWORD/);
    assert.match(failed.stderr, /TRUSTFLOW_E2E_NO_SUCH_PASSWORD/, 'names the reference');
    assert.doesNotMatch(failed.stderr, /Child Workflow execution failed/);

    // The fixed input: the running keeper refuses it (another input) and says how to replace it.
    const refused = await trustflow('token', 'ismpt', '--input', inputFile);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /runs with another input .*trustflow token reset ismpt --input FILE/);
    const reset = await trustflow('token', 'reset', 'ismpt', '--input', inputFile);
    assert.equal(reset.code, 0, reset.stderr);
    const r = JSON.parse(reset.stdout) as { ended: { outcome: string }; grant: { token: string } };
    assert.equal(r.ended.outcome, 'ended');
    assert.match(r.grant.token, /^eyJ/);
    const again = await trustflow('token', 'ismpt', '--input', inputFile);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { token: string }).token, r.grant.token, 'the new keeper serves the same token');

    const end = await trustflow('token', 'end', 'ismpt', '--input', inputFile);
    assert.equal((JSON.parse(end.stdout) as { outcome: string }).outcome, 'ended');
    const none = await trustflow('token', 'end', 'ismpt', '--input', inputFile);
    assert.equal(none.code, 0, none.stderr);
    assert.deepEqual(JSON.parse(none.stdout), {
      workflowId: e.workflowId,
      outcome: 'none',
      reason: 'its last keeper is completed already',
    });
    const status = await trustflow('token', 'status', 'ismpt', '--input', inputFile);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /no keeper runs for this participant \(trustflow-token\/ismpt\/[0-9a-f]{32}: its last one is completed\)/);

    // A caller on a queue no worker polls: refused within seconds, naming the queue; no keeper is left there.
    const started = Date.now();
    const wrongQueue = await trustflowCli(() => ({ ...cliEnv, TRUSTFLOW_TASK_QUEUE: 'trustfow' }))('token', 'ismpt', '--input', inputFile);
    assert.equal(wrongQueue.code, 1);
    assert.match(wrongQueue.stderr, /task queue 'trustfow' .*no worker polls it, so nothing was started/);
    assert.ok(Date.now() - started < 15_000, `${Date.now() - started} ms`);
    const left: string[] = [];
    for await (const w of env.client.workflow.list({ query: `TaskQueue = 'trustfow'` })) left.push(w.workflowId);
    assert.deepEqual(left, []);
  });

  it('trustflow run without codec keys refuses before starting anything, saying how to set them', async () => {
    const { TRUSTFLOW_CODEC_KEYS: _k, ...noKeys } = cliEnv;
    const r = await run(
      process.execPath,
      [join(repoRoot, 'bin', 'trustflow.js'), 'run', 'mpt-sign-in', '--input', inputFile, '--workflow-id', 'e2e-cli-nokeys'],
      { env: noKeys },
    ).catch((e: { code: number; stderr: string }) => e);
    assert.equal((r as { code: number }).code, 1);
    assert.match(
      (r as { stderr: string }).stderr,
      /refusing to start a flow without payload encryption.*Set TRUSTFLOW_CODEC_KEYS or TRUSTFLOW_CODEC_KEY_FILE/,
    );
    const s = await trustflow('status', 'e2e-cli-nokeys');
    assert.match(s.stderr, /not found/i, 'no flow was started, so nothing was stored in clear');
  });

  it('trustflow status of a retrying flow: the activity, its attempt and last failure (decoded), then the error', async () => {
    const unreachable = join(tmp, 'unreachable.json');
    // A port nothing listens on: GET /auth/key is retried with backoff (1 s, 2 s, 4 s, ...).
    await writeFile(unreachable, JSON.stringify({ ...manifest.examples.mptSignIn, baseUrl: `http://127.0.0.1:${await freePort()}/api` }));
    const started = trustflow('run', 'mpt-sign-in', '--input', unreachable, '--workflow-id', 'e2e-cli-retrying');
    let s = { code: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 40 && !/attempt [2-9]/.test(s.stdout); i++) {
      await new Promise((r) => setTimeout(r, 250));
      s = await trustflow('status', 'e2e-cli-retrying');
    }
    assert.match(s.stdout, /status\s+RUNNING/);
    assert.match(s.stdout, /step\s+fetching_challenge/);
    assert.match(s.stdout, /activity\s+mptFetchChallenge: attempt [2-9] of 6, scheduled, next attempt at \d{4}-/);
    assert.match(s.stdout, /failed\s+ProviderUnavailable: IS MPT GET \/auth\/key: network error ECONNREFUSED reaching 127\.0\.0\.1:\d+/);
    await run(temporalCliPath(), [
      'workflow',
      'terminate',
      '--address',
      env.address,
      '--workflow-id',
      'e2e-cli-retrying',
      '--reason',
      'test done',
    ]);
    assert.equal((await started).code, 1);
  });

  it("trustflow status shows the workflow's own note while it waits for a Cipher service that is down", async () => {
    const admin = manifest.services.cipher!.admin.replace(/\/__sandbox$/, '');
    const cipherInput = join(tmp, 'cipher.json');
    await writeFile(cipherInput, JSON.stringify(manifest.examples.cipherSign));
    await sandboxAdmin(admin, 'config', { serviceUp: false });
    const started = trustflow('run', 'cipher-sign', '--input', cipherInput, '--workflow-id', 'e2e-cli-cipher-down');
    let s = { code: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 40 && !/^note/m.test(s.stdout); i++) {
      await new Promise((r) => setTimeout(r, 250));
      s = await trustflow('status', 'e2e-cli-cipher-down').catch(() => s);
    }
    assert.match(s.stdout, /^note\s+Cipher service is not running .*HTTP 503.*waiting for it since \d{4}-/m);
    await sandboxAdmin(admin, 'config', { serviceUp: true });
    assert.equal((await started).code, 0);
    const done = await trustflow('status', 'e2e-cli-cipher-down');
    assert.match(done.stdout, /status\s+COMPLETED/);
    assert.doesNotMatch(done.stdout, /^note/m);
    assert.match(done.stdout, /result\s+\{"signatureBytes":\d+/);
  });

  it('trustflow status of a completed flow summarises the result without its secrets', async () => {
    const s = await trustflow('status', 'e2e-cli-run');
    assert.equal(s.code, 0, s.stderr);
    const line = s.stdout.split('\n').find((l) => l.startsWith('result'));
    assert.ok(line, s.stdout);
    const summary = JSON.parse(line.replace(/^result\s+/, ''));
    assert.equal(summary.token, '(secret)');
    assert.ok(Date.parse(summary.expiresAt) > Date.now());
    assert.doesNotMatch(s.stdout, /eyJ/, 'no token in the status output');
  });

  it('temporal workflow query --codec-endpoint works (the codec server accepts an empty payload list)', async () => {
    const { stdout } = await run(temporalCliPath(), [
      'workflow',
      'query',
      '--address',
      env.address,
      '--workflow-id',
      'e2e-cli-run',
      '--name',
      'status',
      '--codec-endpoint',
      codecUrl,
      '-o',
      'json',
    ]);
    assert.match(stdout, /"step":\s*"done"/);
    assert.match(stdout, /"outcome":\s*"succeeded"/);
  });

  it('trustflow status shows why a flow failed', async () => {
    const k = manifest.keys['mpt-unregistered']!;
    const bad = join(tmp, 'unregistered.json');
    await writeFile(bad, JSON.stringify({ ...manifest.examples.mptSignIn, signer: { kind: 'pkcs12', path: k.p12, password: k.password } }));
    const r = await trustflow('run', 'mpt-sign-in', '--input', bad, '--workflow-id', 'e2e-cli-fail');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /participant-not-registered/);
    const s = await trustflow('status', 'e2e-cli-fail');
    assert.match(s.stdout, /status\s+FAILED/);
    assert.match(s.stdout, /outcome\s+failed/);
    assert.match(s.stdout, /error\s+.*HTTP 403/);
  });

  it('trustflow run refuses an invalid input before starting anything', async () => {
    const bad = join(tmp, 'bad.json');
    await writeFile(bad, JSON.stringify({ ...manifest.examples.mptSignIn, baseUrl: 'not a url' }));
    const r = await trustflow('run', 'mpt-sign-in', '--input', bad, '--workflow-id', 'e2e-cli-bad');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid mptSignIn input: baseUrl: must be an absolute URL/);
    const s = await trustflow('status', 'e2e-cli-bad');
    assert.match(s.stderr, /not found/i);
    // A file that is not JSON: the message says where, without quoting the file (it may hold an IIN).
    const broken = join(tmp, 'broken.json');
    await writeFile(broken, '{"iin": "890101300002", "photo": }');
    const j = await trustflow('run', 'kisc-verify-identity', '--input', broken);
    assert.equal(j.code, 1);
    assert.match(j.stderr, /--input .*broken\.json: not valid JSON \(`jq \. .*broken\.json` shows where\)/);
    assert.ok(!j.stderr.includes('890101300002'), 'the file content is not echoed');
  });

  it('temporal workflow show: ciphertext without --codec-endpoint, readable input and result with it', async () => {
    {
      const show = async (...extra: string[]) => {
        const { stdout } = await run(temporalCliPath(), [
          'workflow',
          'show',
          '--address',
          env.address,
          '--workflow-id',
          'e2e-temporal-cli',
          '-o',
          'json',
          ...extra,
        ]);
        const events = JSON.parse(stdout).events as Record<string, any>[];
        const input = events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0];
        const result = events.find((e) => e.workflowExecutionCompletedEventAttributes)!.workflowExecutionCompletedEventAttributes.result
          .payloads[0];
        const decode = (p: { metadata: Record<string, string>; data: string }) => ({
          encoding: Buffer.from(p.metadata.encoding!, 'base64').toString(),
          text: Buffer.from(p.data, 'base64').toString('latin1'),
        });
        return { input: decode(input), result: decode(result) };
      };
      const plain = await show();
      assert.deepEqual([plain.input.encoding, plain.result.encoding], ['binary/encrypted', 'binary/encrypted']);
      assert.ok(!plain.input.text.includes(manifest.services.ismpt!.baseUrl) && !plain.result.text.includes('"token"'));
      const decoded = await show('--codec-endpoint', codecUrl);
      assert.deepEqual([decoded.input.encoding, decoded.result.encoding], ['json/plain', 'json/plain']);
      assert.equal(JSON.parse(decoded.input.text).baseUrl, manifest.services.ismpt!.baseUrl);
      assert.match(JSON.parse(decoded.result.text).token, /^eyJ/);
    }
  });

  it('the worker refuses a non-local server without codec keys, naming the way out; the codec server needs keys', async () => {
    // .invalid never resolves, and the check comes before any connection attempt.
    const env2 = {
      ...process.env,
      TEMPORAL_ADDRESS: 'temporal.example.invalid:7233',
      TRUSTFLOW_CODEC_KEYS: '',
      TRUSTFLOW_CODEC_KEY_FILE: '',
    };
    const w = await run(process.execPath, [join(repoRoot, 'dist', 'src', 'worker', 'main.js')], { env: env2 }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal((w as { code: number }).code, 1);
    assert.match(
      (w as { stderr: string }).stderr,
      /refusing to talk to temporal\.example\.invalid:7233 without payload encryption.*loopback server only/,
    );
    const c = await run(process.execPath, [join(repoRoot, 'dist', 'src', 'codec', 'main.js')], {
      env: { ...process.env, TRUSTFLOW_CODEC_KEYS: '', TRUSTFLOW_CODEC_KEY_FILE: '' },
    }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((c as { code: number }).code, 1);
    assert.match((c as { stderr: string }).stderr, /no codec keys/);
    const open = await run(process.execPath, [join(repoRoot, 'dist', 'src', 'codec', 'main.js')], {
      env: { ...process.env, TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS, TRUSTFLOW_CODEC_HOST: '0.0.0.0' },
    }).catch((e: { code: number; stderr: string }) => e);
    assert.match((open as { stderr: string }).stderr, /refusing to serve decryption on 0\.0\.0\.0 without TRUSTFLOW_CODEC_AUTH_TOKEN/);
  });

  it('trustflow cms sign / cms verify, attached and detached, agree with openssl', async () => {
    const k = manifest.keys['mpt-aes']!;
    const data = join(tmp, 'doc.txt');
    await writeFile(data, 'документ для подписи\n');
    cliEnv.TF_P12_PW = (await readFile(k.password.slice(5), 'utf8')).trim();
    for (const detached of [false, true]) {
      const out = join(tmp, `doc.${detached ? 'detached' : 'attached'}.p7s`);
      const s = await trustflow(
        'cms',
        'sign',
        '--p12',
        k.p12,
        '--password-env',
        'TF_P12_PW',
        '--in',
        data,
        '--out',
        out,
        ...(detached ? ['--detached'] : []),
      );
      assert.equal(s.code, 0, s.stderr);
      const v = await trustflow('cms', 'verify', '--in', out, '--ca', manifest.ca.certificate, ...(detached ? ['--content', data] : []));
      assert.equal(v.code, 0, v.stdout + v.stderr);
      const report = JSON.parse(v.stdout);
      assert.deepEqual([report.signatureValid, report.detached, report.issuedByCa], [true, detached, true]);
      await runOpenssl([
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        out,
        '-CAfile',
        manifest.ca.certificate,
        '-purpose',
        'any',
        ...(detached ? ['-content', data] : []),
      ]);
    }
    const wrong = await trustflow('cms', 'verify', '--in', join(tmp, 'doc.detached.p7s'), '--content', inputFile);
    assert.equal(wrong.code, 1);
    assert.equal(JSON.parse(wrong.stdout).signatureValid, false);
    delete cliEnv.TF_P12_PW;
  });
});
