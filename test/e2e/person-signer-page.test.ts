// The person signer end to end, as a person meets it: a real Temporal dev server (on a database
// file, so it can restart), the worker as its own process (the `npm run worker` entry point, so it
// can be killed), the sandbox (IS MPT, the alert receiver, NCALayer on ws://127.0.0.1), the signing
// server, and a real Chromium driven by playwright-core opening the link the alert carried, pressing
// the button, and NCALayer (the sandbox's) signing. Refusals, cancel, an absent NCALayer, expired and
// used links, the deadline, a replaced challenge, and a worker SIGKILL plus a server restart while the
// flow waits. Nothing secret or personal in the stored history or in the worker's or page's logs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startFlow } from '../../src/client/flows.js';
import { FailureType } from '../../src/common/errors.js';
import { createLogger } from '../../src/common/logger.js';
import { linkKeyFromSecret } from '../../src/common/signing-link.js';
import type { TrustflowAlert } from '../../src/contracts/alert.js';
import { startDevServer, type DevServer } from '../../src/demo/dev-server.js';
import type { MptSignInInput } from '../../src/flows/ismpt/mpt-sign-in.contract.js';
import { mptSignIn } from '../../src/flows/index.js';
import { PERSON_SIGNING_QUERY, type PersonSigningView } from '../../src/flows/person-signing/person-signing.contract.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { buildSigningPage } from '../../src/signing-page/page-bundle.js';
import { createSigningServer, type SigningServer } from '../../src/signing-page/server.js';
import { temporalSigningBackend } from '../../src/signing-page/temporal-backend.js';
import { failureOf, sandboxAlertEnv } from '../helpers/flow-env.js';
import { findSecrets, storedHistory } from '../helpers/history.js';
import { open as openNcaLayer, signRequest } from '../helpers/ncalayer.js';
import { freePort } from '../helpers/ports.js';
import { temporalCliPath, TEST_CODEC_KEYS, testDataConverter } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const chromiumPath = process.env.TRUSTFLOW_CHROMIUM ?? '/usr/bin/chromium';
const taskQueue = 'person-signer-page-test';
const LINK_SECRET = randomBytes(32).toString('hex');
const linkKey = linkKeyFromSecret(LINK_SECRET);

let dir: string;
let sandbox: Sandbox;
let server: DevServer;
let serverOptions: Parameters<typeof startDevServer>[0];
let worker: WorkerProcess;
let workerEnv: Record<string, string>;
let connection: Connection;
let client: Client;
let signing: SigningServer;
let browser: Browser;
const pageLog: string[] = [];
/** Everything a worker process printed, including the ones killed. */
const workerOutputs: (() => string)[] = [];
/** Links, CMSs and the person's IIN seen during the tests: none may be in a history or log. */
const seen = { links: new Set<string>(), cms: new Set<string>() };
let n = 0;

const m = () => sandbox.manifest;
const ismpt = () => sandbox.simulators.ismpt.adminBaseUrl;
const ncalayer = (action: 'config' | 'reset' | 'state', body?: unknown) => sandboxAdmin(m().ncalayer.admin, action, body);
const wfId = (name: string) => `e2e-person-${name}-${++n}`;
const personIin = () => m().ncalayer.keys[m().ncalayer.defaultKey]!.iin;

function input(signer: Record<string, unknown> = {}): MptSignInInput {
  return {
    baseUrl: m().services.ismpt!.baseUrl,
    signer: { ...m().ncalayer.personSigner, deadline: '5m', remindEvery: '1h', ...signer } as MptSignInInput['signer'],
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The link the flow sent through the alert sink (the webhook receiver got it). */
async function linkOf(workflowId: string): Promise<string> {
  const link = await waitFor(`the signing link of ${workflowId}`, async () => {
    const alerts = (await sandboxAdmin(sandbox.simulators.alerts.adminBaseUrl, 'state')).alerts as { body: TrustflowAlert }[];
    return alerts.find((a) => a.body.credentialId === workflowId && a.body.event === 'signing.requested')?.body.signing?.link;
  });
  seen.links.add(link.split('#')[1]!);
  return link;
}

const view = (h: WorkflowHandle) => h.query<PersonSigningView>(PERSON_SIGNING_QUERY);

/** A fresh page whose API submissions are recorded (the CMS it posts). */
async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on('request', (req) => {
    if (req.url().endsWith('/api/sign')) {
      const cms = (JSON.parse(req.postData() ?? '{}') as { cms?: string }).cms;
      if (cms) seen.cms.add(cms);
    }
  });
  return page;
}

const stateOf = (page: Page) => page.locator('#status').getAttribute('data-state');
async function expectState(page: Page, state: string, timeoutMs = 30_000): Promise<void> {
  await page.waitForSelector(`#status[data-state="${state}"]`, { timeout: timeoutMs }).catch(async (err: Error) => {
    throw new Error(
      `page state ${await stateOf(page)} (text: ${await page.locator('#status-text').textContent()}), expected ${state}: ${err.message}`,
    );
  });
}

async function startWorker(): Promise<WorkerProcess> {
  const w = await startWorkerProcess(workerEnv);
  workerOutputs.push(() => w.output());
  return w;
}

before(async () => {
  assert.ok(
    existsSync(chromiumPath),
    `Chromium not found at ${chromiumPath}: apt-get install chromium (.ci/run does), or set TRUSTFLOW_CHROMIUM`,
  );
  dir = await mkdtemp(join(tmpdir(), 'trustflow-person-page-'));
  serverOptions = { cliPath: temporalCliPath(), port: await freePort(), uiPort: await freePort(), dbFile: join(dir, 'temporal.db') };
  [sandbox, server] = await Promise.all([
    startSandbox({ dir: join(dir, 'sandbox'), logger: createLogger({ level: 'warn' }) }),
    startDevServer(serverOptions),
  ]);
  const signingPort = await freePort();
  workerEnv = {
    ...(await sandboxAlertEnv(sandbox.manifest)),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_TASK_QUEUE: taskQueue,
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
    TRUSTFLOW_SIGNING_PAGE_URL: `http://127.0.0.1:${signingPort}`,
    TRUSTFLOW_SIGNING_LINK_KEY: LINK_SECRET,
  };
  worker = await startWorker();
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: 'default', dataConverter: testDataConverter });
  const logStream = new PassThrough();
  logStream.on('data', (d: Buffer) => pageLog.push(d.toString()));
  signing = createSigningServer({
    backend: temporalSigningBackend(client),
    linkKey,
    listen: { host: '127.0.0.1', port: signingPort },
    ncalayerUrl: m().ncalayer.url,
    page: await buildSigningPage(),
    logger: createLogger({ level: 'debug', destination: logStream }),
    // One test address makes every request: the per-address limit is not what is tested here.
    rateLimit: { perMinute: 10_000, burst: 10_000 },
  });
  await signing.start();
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await signing?.stop();
  await worker?.kill('SIGKILL');
  await connection?.close().catch(() => undefined);
  await server?.stop();
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await sandboxAdmin(ismpt(), 'reset');
  await ncalayer('reset');
});

describe('the person signer in Chromium', () => {
  it('signs an IS MPT sign-in end to end: the link from the alert, the page, NCALayer, the token; IS MPT counted one sign-in; the link is then used up', async () => {
    const workflowId = wfId('happy');
    const h = await startFlow(client, mptSignIn, { workflowId, input: input(), taskQueue });
    const link = await linkOf(workflowId);
    const v = await waitFor('the challenge', async () => ((await view(h)).challenge ? view(h) : undefined));

    const page = await newPage();
    await page.goto(link);
    await expectState(page, 'ready');
    assert.equal(await page.locator('#hash').getAttribute('data-hex'), v.challenge!.sha256);
    assert.equal(await page.locator('#expected-iin').getAttribute('data-last4'), personIin().slice(-4));
    assert.match((await page.locator('#service').textContent()) ?? '', /IS MPT/);
    await page.click('#sign');
    await expectState(page, 'signed');

    const result = await h.result();
    assert.ok(result.token.length > 20);
    assert.equal((await sandboxAdmin(ismpt(), 'state')).successfulSignIns, 1);

    // The same link again: used up.
    const again = await newPage();
    await again.goto(link);
    await expectState(again, 'link-used');
    await page.close();
    await again.close();
  });

  it('cancel in NCALayer, then sign again: the page says it was cancelled, the flow keeps waiting, the second press signs', async () => {
    const workflowId = wfId('cancel');
    const h = await startFlow(client, mptSignIn, { workflowId, input: input(), taskQueue });
    const page = await newPage();
    await page.goto(await linkOf(workflowId));
    await expectState(page, 'ready');
    await ncalayer('config', { behaviour: 'cancel' });
    await page.click('#sign');
    await expectState(page, 'cancelled');
    assert.equal((await view(h)).state, 'waiting');
    await ncalayer('config', { behaviour: 'sign' });
    await page.click('#sign');
    await expectState(page, 'signed');
    assert.ok((await h.result()).token);
    await page.close();
  });

  it("a wrong signer's key is refused: the page names the expected IIN's last digits, the flow keeps waiting; the right key then signs", async () => {
    const workflowId = wfId('wrong');
    const h = await startFlow(client, mptSignIn, { workflowId, input: input(), taskQueue });
    const page = await newPage();
    await page.goto(await linkOf(workflowId));
    await expectState(page, 'ready');
    const wrong = Object.entries(m().ncalayer.keys).find(([, k]) => k.wrongPerson)![0];
    await ncalayer('config', { key: wrong });
    await page.click('#sign');
    await expectState(page, 'refused');
    assert.equal(await page.locator('#reason').getAttribute('data-reason'), 'wrong-signer');
    assert.match((await page.locator('#status').textContent()) ?? '', new RegExp(personIin().slice(-4)));
    assert.doesNotMatch((await page.content()) ?? '', new RegExp(personIin()));
    const waiting = await view(h);
    assert.equal(waiting.state, 'waiting');
    assert.equal(waiting.lastRefusal?.reason, 'wrong-signer');
    assert.equal((await sandboxAdmin(ismpt(), 'state')).calls['POST /auth/simpleSignIn'] ?? 0, 0);

    await ncalayer('config', { key: m().ncalayer.defaultKey });
    await page.click('#sign');
    await expectState(page, 'signed');
    assert.ok((await h.result()).token);
    await page.close();
  });

  it('NCALayer not running: the page says so; once it runs, the same page signs', async () => {
    const workflowId = wfId('absent');
    const h = await startFlow(client, mptSignIn, { workflowId, input: input(), taskQueue });
    const page = await newPage();
    await page.goto(await linkOf(workflowId));
    await expectState(page, 'ready');
    await ncalayer('config', { behaviour: 'absent' });
    await page.click('#sign');
    await expectState(page, 'ncalayer-absent', 150_000);
    await ncalayer('config', { behaviour: 'sign' });
    await page.click('#sign');
    await expectState(page, 'signed');
    assert.ok((await h.result()).token);
    await page.close();
  });

  it('a tampered CMS and a CMS over other data are refused through the page API; the flow keeps waiting', async () => {
    const workflowId = wfId('tampered');
    const h = await startFlow(client, mptSignIn, { workflowId, input: input(), taskQueue });
    const token = (await linkOf(workflowId)).split('#')[1]!;
    const api = async (path: string, body: unknown) => {
      const res = await fetch(`${signing.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const req = (await api('/api/request', { token })).json.request as Omit<PersonSigningView, 'requestId'>;
    const nca = await openNcaLayer(m().ncalayer.url);
    const cmsOf = async (data: Buffer) => {
      nca.send(signRequest(data));
      const reply = (await nca.next()) as { body: { result: string } };
      seen.cms.add(reply.body.result);
      return reply.body.result;
    };
    const good = Buffer.from(await cmsOf(Buffer.from(req.challenge!.dataBase64, 'base64')), 'base64');
    const tampered = Buffer.from(good);
    tampered[tampered.length - 8]! ^= 0x01;
    const other = await cmsOf(Buffer.from('not the challenge'));
    await nca.close();
    const sign = (cms: string) => api('/api/sign', { token, challengeId: req.challenge!.id, cms });
    for (const [cms, reason] of [
      [tampered.toString('base64'), 'bad-signature'],
      [other, 'other-data'],
    ] as const) {
      const r = await sign(cms);
      assert.equal(r.status, 422, JSON.stringify(r.json));
      assert.equal((r.json.refused as { reason: string }).reason, reason);
    }
    assert.equal((await view(h)).state, 'waiting');
    assert.equal((await sign(good.toString('base64'))).status, 200);
    assert.ok((await h.result()).token);
  });

  it('the deadline ends the flow with nothing sent to IS MPT, and its link then reads expired', async () => {
    const workflowId = wfId('deadline');
    const h = await startFlow(client, mptSignIn, { workflowId, input: input({ deadline: '4s' }), taskQueue });
    const link = await linkOf(workflowId);
    const failure = failureOf(
      await h.result().then(
        () => assert.fail('no signature, yet the flow succeeded'),
        (e: unknown) => e,
      ),
    );
    assert.equal(failure.type, FailureType.SignatureDeadlinePassed);
    assert.equal((await sandboxAdmin(ismpt(), 'state')).calls['POST /auth/simpleSignIn'] ?? 0, 0);
    const page = await newPage();
    await page.goto(link);
    await expectState(page, 'link-expired');
    await page.close();
  });

  it('a challenge replaced while the page was open: the submission is refused as replaced, the page shows the new hash, the next press signs', async () => {
    const workflowId = wfId('replaced');
    // Replaced every 5 s: the test presses right after the first replacement, well inside the second challenge's life.
    const h = await startFlow(client, mptSignIn, { workflowId, input: input({ challengeTtl: '5s' }), taskQueue });
    const page = await newPage();
    await page.goto(await linkOf(workflowId));
    await expectState(page, 'ready');
    const first = await page.locator('#hash').getAttribute('data-hex');
    await waitFor('a replaced challenge', async () => ((await view(h)).challenge!.sha256 !== first ? true : undefined), 15_000);
    await page.click('#sign'); // signs the challenge the page shows: the replaced one
    await waitFor('the page to show the new challenge', async () =>
      (await page.locator('#hash').getAttribute('data-hex')) !== first && (await stateOf(page)) !== 'submitting' ? true : undefined,
    );
    assert.notEqual(await stateOf(page), 'signed');
    assert.equal((await view(h)).lastRefusal?.reason, undefined, 'a stale challenge id is refused before any check');
    await page.click('#sign');
    await expectState(page, 'signed');
    assert.ok((await h.result()).token);
    assert.ok((await view(h)).challenge!.replaced >= 1);
    await page.close();
  });

  it(
    'a worker SIGKILL and a dev-server restart while the flow waits lose nothing: the person signs afterwards',
    { timeout: 180_000 },
    async () => {
      const workflowId = wfId('restart');
      await startFlow(client, mptSignIn, { workflowId, input: input(), taskQueue });
      const link = await linkOf(workflowId);
      await waitFor('the waiting flow', async () => ((await view(client.workflow.getHandle(workflowId))).challenge ? true : undefined));
      await worker.kill('SIGKILL');
      await server.stop();
      server = await startDevServer(serverOptions);
      worker = await startWorker();
      const page = await newPage();
      await page.goto(link);
      await expectState(page, 'ready', 60_000);
      await page.click('#sign');
      await expectState(page, 'signed', 60_000);
      assert.ok((await client.workflow.getHandle(workflowId).result()).token);
      assert.equal((await sandboxAdmin(ismpt(), 'state')).successfulSignIns, 1);
      await page.close();
    },
  );

  it('no link token, CMS or IIN in any stored history, the worker logs or the signing page log', async () => {
    assert.ok(seen.links.size >= 5 && seen.cms.size >= 5, `${seen.links.size} links, ${seen.cms.size} CMSs seen`);
    const secrets = [
      ...[...seen.links].map((value, i) => ({ label: `link ${i}`, value })),
      ...[...seen.cms].map((value, i) => ({ label: `cms ${i}`, value })),
      { label: 'IIN', value: personIin() },
    ];
    const histories: string[] = [];
    let scanned = 0;
    for await (const wf of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      scanned += 1;
      const hits = findSecrets(await storedHistory(client, wf.workflowId), secrets);
      if (hits.length > 0) histories.push(`${wf.workflowId}: ${hits.join(', ')}`);
    }
    assert.ok(scanned >= 8, `${scanned} histories scanned`);
    assert.deepEqual(histories, []);
    assert.ok(pageLog.length >= 20, `${pageLog.length} signing page log lines`);
    // The scan sees what is there: the workflow ids are in the worker's log.
    assert.deepEqual(findSecrets(workerOutputs.map((o) => o()).join('\n'), [{ label: 'an id', value: 'e2e-person-happy-1' }]), ['an id']);
    const logs = [...workerOutputs.map((o) => o()), ...pageLog].join('\n');
    assert.ok(logs.includes('signing.requested') || logs.includes('signing-requested'), 'the worker logged its alerts');
    assert.deepEqual(findSecrets(logs, secrets), []);
  });
});
