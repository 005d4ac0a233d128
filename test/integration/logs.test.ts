// Every line of log output of a full sandbox run, at debug level, holds no test secret: the worker
// process's whole stdout and stderr (its own logger, the Temporal runtime and sdk-core routed
// through it), the sandbox's request log, and this process's own runtime log.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { submitKpsisCertificate, startFlow, executeFlow } from '../../src/client/flows.js';
import { issueSandboxCertificate, sandboxAdmin } from '../../src/sandbox/index.js';
import { createLogger } from '../../src/common/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { findSecrets, type Secret } from '../helpers/history.js';
import { pkcs12Secrets } from '../helpers/keys.js';
import { installTestRuntime, startTestServer, TEST_CODEC_KEYS } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { getMptToken, invalidateMptToken } from '../../src/client/token-keepers.js';
import { cipherSign, kiscVerifyIdentity, kpsisIssueCertificate, mptSignIn } from '../../src/flows/index.js';

let captured = '';
const sink = new Writable({ write: (chunk, _e, cb) => ((captured += chunk.toString()), cb()) });
installTestRuntime(createLogger({ name: 'test-client', level: 'debug', destination: sink }));

let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let worker: WorkerProcess;
let tmp: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-logs-'));
  env = await startTestServer();
  sandbox = await startSandbox({ dir: join(tmp, 'sandbox'), logger: createLogger({ name: 'sandbox', level: 'debug', destination: sink }) });
  worker = await startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    TRUSTFLOW_TASK_QUEUE: 'logs-test',
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
    TRUSTFLOW_LOG_LEVEL: 'debug',
  });
});

after(async () => {
  await worker?.kill('SIGTERM');
  await sandbox?.stop();
  await env?.teardown();
  await rm(tmp, { recursive: true, force: true });
});

it('a full sandbox run logs no password, key, token, certificate, IIN or codec key', { timeout: 120_000 }, async () => {
  const run = (user: string, password?: string) => {
    const k = sandbox.manifest.keys[user]!;
    return executeFlow(env.client, mptSignIn, {
      workflowId: `logs-${user}-${password ? 'wrong' : 'ok'}`,
      input: {
        baseUrl: sandbox.manifest.services.ismpt!.baseUrl,
        signer: { kind: 'pkcs12', path: k.p12, password: (password ?? k.password) as `file:/${string}` },
      },
      taskQueue: 'logs-test',
    });
  };
  const tokens = [await run('mpt-legacy'), await run('mpt-aes')].map((r) => r.token);
  // A token keeper: its sign-in, the token handed to callers, an invalidation and the new token.
  const keeperInput = sandbox.manifest.examples.mptSignIn;
  const held = await getMptToken(env.client, { input: keeperInput, taskQueue: 'logs-test' });
  assert.equal((await invalidateMptToken(env.client, { input: keeperInput, token: held.token })).renewed, true);
  tokens.push(held.token, (await getMptToken(env.client, { input: keeperInput, taskQueue: 'logs-test' })).token);
  const rootMessage = (e: unknown): string =>
    (e as { cause?: unknown }).cause ? rootMessage((e as { cause: unknown }).cause) : (e as Error).message;
  await assert.rejects(run('mpt-unregistered'), (e: unknown) => /participant-not-registered/.test(rootMessage(e)));
  const wrong = join(tmp, 'wrong-password');
  await writeFile(wrong, 'Wrong-Pass-9911\n');
  await assert.rejects(run('mpt-legacy', `file:${wrong}`), (e: unknown) => /wrong password/.test(rootMessage(e)));
  // KISC: a verification whose first answer is lost (retry by key), with personal data and mcdb.
  const kisc = sandbox.manifest.examples.kiscVerifyIdentity;
  await sandboxAdmin(sandbox.simulators.kisc.adminBaseUrl, 'faults', { endpoint: 'POST /verify', action: 'drop' });
  const verified = await executeFlow(env.client, kiscVerifyIdentity, {
    workflowId: 'logs-kisc',
    input: { ...kisc, mcdb: true, personalDataFields: [...kisc.personalDataFields!, 'mobilephone', 'document'] },
    taskQueue: 'logs-test',
  });
  assert.equal(verified.outcome, 'verified');
  // Cipher: a signature whose first ticket is reported gone, with a key that expires soon.
  const cipher = sandbox.manifest.examples.cipherSign;
  const expiring = sandbox.manifest.cipher.containers['cipher-key-expiring']!;
  await sandboxAdmin(sandbox.simulators.cipher.adminBaseUrl, 'faults', {
    endpoint: 'PUT /ticket/{uuid}/option',
    action: 'status',
    status: 400,
    body: { message: 'Сесія відсутня.' },
  });
  const signed = await executeFlow(env.client, cipherSign, {
    workflowId: 'logs-cipher',
    input: { ...cipher, keyStore: { file: expiring.file }, password: expiring.password as `file:/${string}` },
    taskQueue: 'logs-test',
  });
  assert.equal(signed.warnings.length, 1);
  // KPSIS: a key with five shards, one reminder, then the certificate.
  const kpsis = { ...sandbox.manifest.examples.kpsisIssueCertificate, artifactsDir: join(tmp, 'kpsis-artifacts'), reminderEvery: '1s' };
  const kh = await startFlow(env.client, kpsisIssueCertificate, { workflowId: 'logs-kpsis', input: kpsis, taskQueue: 'logs-test' });
  const request = join(kpsis.artifactsDir, 'cert_req.req');
  while (
    !(await readFile(request).then(
      () => true,
      () => false,
    ))
  )
    await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1500));
  await submitKpsisCertificate(
    env.client,
    'logs-kpsis',
    await issueSandboxCertificate(sandbox.manifest.kpsis.caIssueUrl, await readFile(request)),
  );
  assert.equal((await kh.result()).outcome, 'issued');
  await worker.kill('SIGTERM'); // flush and close its output

  const all = captured + worker.output();
  const secrets: Secret[] = [
    { label: 'wrong password', value: 'Wrong-Pass-9911' },
    { label: 'codec key', value: TEST_CODEC_KEYS.split(':')[1]! },
  ];
  for (const user of ['mpt-legacy', 'mpt-aes', 'mpt-unregistered']) {
    const k = sandbox.manifest.keys[user]!;
    const password = (await readFile(k.password.slice(5), 'utf8')).trim();
    secrets.push(...(await pkcs12Secrets(k.p12, password)).map((s) => ({ ...s, label: `${user}: ${s.label}` })));
    secrets.push(
      { label: `${user}: certificate`, value: sandbox.pki.users[user]!.certificate.raw },
      { label: `${user}: IIN`, value: k.iin },
    );
  }
  const photo = await readFile(kisc.photo.slice('file:'.length));
  secrets.push(
    { label: 'KISC: IIN', value: kisc.iin },
    { label: 'KISC: photo (a slice)', value: photo.subarray(200, 264) },
    { label: 'KISC: consent text', value: kisc.consentText! },
    { label: 'KISC: last name', value: 'САРСЕНБАЕВ' },
    { label: 'KISC: document number', value: '049871234' },
    { label: 'KISC: mobile phone', value: '+77011234567' },
  );
  for (const [label, p12, ref] of [
    ['KISC TLS', kisc.tls.p12, kisc.tls.password],
    ['KISC signing', kisc.signingKey!.path, kisc.signingKey!.password],
  ] as const) {
    const password = (await readFile(ref.slice(5), 'utf8')).trim();
    secrets.push(...(await pkcs12Secrets(p12, password)).map((s) => ({ ...s, label: `${label}: ${s.label}` })));
  }
  {
    const password = (await readFile(expiring.password.slice(5), 'utf8')).trim();
    secrets.push(...(await pkcs12Secrets(expiring.file.slice(5), password)).map((s) => ({ ...s, label: `Cipher container: ${s.label}` })));
    secrets.push(
      { label: 'Cipher: data', value: await readFile(sandbox.manifest.cipher.document.slice(5)) },
      { label: 'Cipher: signature', value: Buffer.from(signed.signatureBase64!, 'base64').subarray(-64) },
      { label: 'Cipher: owner', value: 'Шевченко' },
    );
  }
  for (const [k, ref] of kpsis.keyParam.passwords.entries())
    secrets.push({ label: `KPSIS holder ${k + 1} password`, value: (await readFile(ref.slice(5), 'utf8')).trim() });
  for (const f of ['shard1.pem', 'shard3.pem'])
    secrets.push({ label: `KPSIS ${f}`, value: (await readFile(join(kpsis.artifactsDir, f), 'utf8')).split('\n')[1]! });
  secrets.push({ label: 'KPSIS key container (a slice)', value: (await readFile(join(kpsis.artifactsDir, 'key.der'))).subarray(40, 104) });
  tokens.forEach((t, i) => secrets.push({ label: `token ${i}`, value: t }, { label: `token ${i} signature`, value: t.split('.')[2]! }));
  assert.deepEqual(findSecrets(all, secrets), []);

  // The capture is real: it holds the worker's activity logs, the runtime's, and the sandbox's.
  assert.match(all, /IS MPT token obtained/);
  assert.match(all, /IS MPT challenge signed/);
  assert.match(all, /KISC verification recovered by key/);
  assert.match(all, /KISC personal data received/);
  assert.match(all, /Cipher key container checked/);
  assert.match(all, /Cipher ticket deleted/);
  assert.match(all, /KPSIS key and request generated/);
  assert.match(all, /"msg":"trustflow alert [^"]*\/ca-pending-1"/, "the KPSIS reminder went through the alert sink's structured log");
  assert.match(all, /token refreshed/, 'the keeper logged its refreshes');
  assert.match(all, /sandbox request/);
  assert.match(all, /"level":20/, 'debug records were captured');
});
