// The real Temporal Web UI in a real headless Chromium: with the codec endpoint configured the
// input and result of an mptSignIn run are readable; without it they show only as encrypted.
// Screenshots are kept in test-artifacts/ (not committed).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { chromium, type Browser } from 'playwright-core';
import { executeFlow } from '../../src/client/flows.js';
import { AesGcmPayloadCodec } from '../../src/codec/payload-codec.js';
import { CodecServer } from '../../src/codec/server.js';
import { createLogger } from '../../src/common/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createTrustflowWorker } from '../../src/worker/worker.js';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { startTestServer, testDataConverter, testKeyring, testWorkflowBundle } from '../helpers/temporal.js';
import { mptSignIn } from '../../src/flows/index.js';

const chromiumPath = process.env.TRUSTFLOW_CHROMIUM ?? '/usr/bin/chromium';
const artifacts = join(repoRoot, 'test-artifacts');

interface Stand {
  env: TestWorkflowEnvironment;
  worker: Worker;
  uiUrl: string;
}

let tmp: string;
let sandbox: Sandbox;
let codec: CodecServer;
let browser: Browser;
const stands: Record<'withCodec' | 'withoutCodec', Stand> = {} as never;

async function stand(uiPort: number, codecEndpoint: string | undefined): Promise<Stand> {
  const env = await startTestServer({ uiPort, ...(codecEndpoint ? { extraArgs: ['--ui-codec-endpoint', codecEndpoint] } : {}) });
  const worker = await createTrustflowWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: 'ui',
    dataConverter: testDataConverter,
    workflowBundle: await testWorkflowBundle(),
  });
  await worker.runUntil(
    executeFlow(env.client, mptSignIn, { workflowId: 'ui-mpt-sign-in', input: sandbox.manifest.examples.mptSignIn, taskQueue: 'ui' }),
  );
  return { env, worker, uiUrl: `http://127.0.0.1:${uiPort}` };
}

before(async () => {
  assert.ok(
    existsSync(chromiumPath),
    `Chromium not found at ${chromiumPath}: apt-get install chromium (.ci/run does), or set TRUSTFLOW_CHROMIUM`,
  );
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-ui-'));
  await mkdir(artifacts, { recursive: true });
  sandbox = await startSandbox({ dir: join(tmp, 'sandbox'), logger: createLogger({ level: 'warn' }) });
  const uiPort = await freePort();
  // CORS for exactly the UI that is wired to the codec server.
  codec = new CodecServer({
    codec: new AesGcmPayloadCodec(testKeyring),
    port: 0,
    corsOrigins: [`http://127.0.0.1:${uiPort}`],
    logger: createLogger({ level: 'warn' }),
  });
  await codec.listen();
  stands.withCodec = await stand(uiPort, codec.url);
  stands.withoutCodec = await stand(await freePort(), undefined);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  for (const s of Object.values(stands)) await s.env.teardown();
  await codec?.close();
  await sandbox?.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function workflowPage(s: Stand, screenshot: string): Promise<string> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  try {
    await page.goto(`${s.uiUrl}/namespaces/default/workflows/ui-mpt-sign-in`);
    await page.getByRole('heading', { name: 'Result' }).waitFor({ timeout: 30_000 });
    // Payload panels render after the codec round trip; wait until the result panel has content.
    await page.waitForFunction(`/"(token|payloads|data|metadata)"|encrypted/i.test(document.body.innerText)`, undefined, {
      timeout: 30_000,
    });
    await page.screenshot({ path: join(artifacts, screenshot), fullPage: true });
    return await page.innerText('body');
  } finally {
    await page.close();
  }
}

describe('Temporal Web UI in headless Chromium', () => {
  it('shows input and result decoded when the UI has the codec endpoint', async () => {
    const text = await workflowPage(stands.withCodec, 'web-ui-with-codec.png');
    assert.ok(text.includes(`"baseUrl": "${sandbox.manifest.services.ismpt!.baseUrl}"`), 'input readable');
    assert.match(text, /"token": "eyJ[\w-]+\.[\w-]+\.[\w-]+"/, 'result readable');
  });

  it('shows them only as encrypted without the codec endpoint', async () => {
    const text = await workflowPage(stands.withoutCodec, 'web-ui-without-codec.png');
    assert.ok(!text.includes(sandbox.manifest.services.ismpt!.baseUrl), 'no readable input');
    assert.ok(!/"token"/.test(text), 'no readable result');
    assert.match(text, /binary\/encrypted|YmluYXJ5L2VuY3J5cHRlZA/, 'the encrypted payload is what the UI shows');
  });
});
