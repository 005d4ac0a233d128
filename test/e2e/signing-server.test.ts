// `trustflow signing-server` as an operator runs it, against a dev server and a worker running
// stand-in person-signer flows (test/helpers/person-signer-stub.workflow.ts): the ready line, a
// link opened and signed through the page's API (refused, then accepted), and SIGTERM while a
// submission is being checked: the submission is answered, then the process exits 0.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { linkKeyFromSecret, sealLinkToken } from '../../src/common/signing-link.js';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { startTestServer, TEST_CODEC_KEYS, testDataConverter } from '../helpers/temporal.js';

const SECRET = 'e2e-signing-link-secret-7c1f9a3b5d2e4f6a8b0c1d3e';
const linkKey = linkKeyFromSecret(SECRET);
const taskQueue = 'signing-server-e2e';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let n = 0;

interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** The command as a process; undefined when the page's bundle is not in this build yet (the placeholder). */
async function startSigningServer(): Promise<ServerProcess | undefined> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'trustflow.js'), 'signing-server', '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS, TRUSTFLOW_SIGNING_LINK_KEY: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; !out.includes('\n'); i++) {
    if (child.exitCode !== null) {
      if (err.includes('signing page assets not built yet')) return undefined;
      assert.fail(`signing-server exited (${child.exitCode}) before it listened:\n${err}`);
    }
    assert.ok(i < 1200, `signing-server did not listen within 60 s:\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exit };
}

async function startStub(o: { checkMs?: number } = {}) {
  const workflowId = `signing-e2e-${++n}`;
  const requestId = `req-${n}`;
  await env.client.workflow.start('personSignerStub', { taskQueue, workflowId, args: [{ requestId, ...o }] });
  return { workflowId, token: sealLinkToken(linkKey, { workflowId, requestId, expiresAt: new Date(Date.now() + 3_600_000) }) };
}

const post = (s: ServerProcess, path: string, body: unknown) =>
  fetch(s.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

before(async () => {
  env = await startTestServer();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../helpers/person-signer-stub.workflow.js', import.meta.url)),
    dataConverter: testDataConverter,
  });
  running = worker.run();
});
after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('trustflow signing-server', () => {
  it('says where it listens, serves a link through to an accepted signature, and stops on SIGTERM after answering', async (t) => {
    const s = await startSigningServer();
    if (!s) return t.skip('the signing page bundle is not in this build yet (page-bundle.ts placeholder)');
    try {
      assert.equal(s.stdout(), `signing page listening on ${s.url}\n`);
      assert.equal((await fetch(s.url + '/sign')).status, 200);

      const a = await startStub();
      const opened = await post(s, '/api/request', { token: a.token });
      assert.equal(opened.status, 200);
      const { request } = (await opened.json()) as { request: { state: string; challenge: { id: string } } };
      assert.equal(request.state, 'waiting');
      const stale = await post(s, '/api/sign', { token: a.token, challengeId: 'ch-1', cms: 'good' });
      assert.equal(stale.status, 422);
      assert.equal(((await stale.json()) as { refused: { reason: string } }).refused.reason, 'challenge-replaced');
      const signed = await post(s, '/api/sign', { token: a.token, challengeId: request.challenge.id, cms: 'good' });
      assert.equal(signed.status, 200);
      assert.equal(((await signed.json()) as { accepted: boolean }).accepted, true);

      // SIGTERM while the flow checks a submission: it is answered, then the process exits 0.
      const b = await startStub({ checkMs: 1500 });
      const pending = post(s, '/api/sign', { token: b.token, challengeId: 'ch-2', cms: 'good' });
      await new Promise((r) => setTimeout(r, 500));
      s.child.kill('SIGTERM');
      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(await s.exit, 0, s.stderr());
      assert.match(s.stderr(), /"msg":"signing server: stopped"/);
      for (const secret of [a.token, b.token, SECRET]) assert.ok(!s.stderr().includes(secret), 'no token or secret in the logs');
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  });
});
