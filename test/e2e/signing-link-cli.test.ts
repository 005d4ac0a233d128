// `trustflow signing-link` as an operator runs it, against a dev server and a worker running stand-in
// person-signer flows (test/helpers/person-signer-stub.workflow.ts): the link alone on stdout (one
// that opens to the flow's request), --json, a flow that does not wait for a person, one that does not
// exist or has ended, the variables it needs, --help, and a reader that goes away.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { linkKeyFromSecret, openLinkToken } from '../../src/common/signing-link.js';
import { repoRoot } from '../helpers/paths.js';
import { trustflowCli } from '../helpers/processes.js';
import { startTestServer, TEST_CODEC_KEYS, testDataConverter } from '../helpers/temporal.js';

const SECRET = 'e2e-signing-link-cli-secret-4b8e2d6f0a1c3e5a7b9d';
const PAGE = 'https://sign.example.kz/trustflow';
const taskQueue = 'signing-link-e2e';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let cliEnv: NodeJS.ProcessEnv;

const trustflow = trustflowCli(() => cliEnv);

before(async () => {
  env = await startTestServer();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../helpers/person-signer-stub.workflow.js', import.meta.url)),
    dataConverter: testDataConverter,
  });
  running = worker.run();
  cliEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
    TRUSTFLOW_SIGNING_PAGE_URL: PAGE,
    TRUSTFLOW_SIGNING_LINK_KEY: SECRET,
  };
  await env.client.workflow.start('personSignerStub', { taskQueue, workflowId: 'link-waiting', args: [{ requestId: 'req-1' }] });
  await env.client.workflow.start('notASigner', { taskQueue, workflowId: 'link-not-a-signer', args: [] });
  const ended = await env.client.workflow.start('notASigner', { taskQueue, workflowId: 'link-ended', args: [] });
  await ended.terminate('test');
});
after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('trustflow signing-link', () => {
  it('prints the link alone: <page>/sign#<token>, the token naming the flow and its request until the deadline', async () => {
    const r = await trustflow('signing-link', '--workflow-id', 'link-waiting');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^https:\/\/sign\.example\.kz\/trustflow\/sign#[A-Za-z0-9_-]+\n$/);
    const token = r.stdout.trim().split('#')[1]!;
    const opened = openLinkToken(linkKeyFromSecret(SECRET), token, new Date('2026-03-01T10:00:00Z'));
    assert.deepEqual(opened, {
      ok: true,
      link: { workflowId: 'link-waiting', requestId: 'req-1', expiresAt: new Date('2026-03-02T09:00:00Z') },
    });
  });

  it('--json (and -o json): {link, role, requestedAt, expiresAt, dataSha256}', async () => {
    for (const flags of [['--json'], ['-o', 'json']]) {
      const r = await trustflow('signing-link', '--workflow-id', 'link-waiting', ...flags);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(out).sort(), ['dataSha256', 'expiresAt', 'link', 'requestedAt', 'role']);
      assert.match(out.link as string, /^https:\/\/sign\.example\.kz\/trustflow\/sign#/);
      assert.equal(out.role, 'director');
      assert.equal(out.expiresAt, '2026-03-02T09:00:00Z');
      assert.equal(out.dataSha256, '00'.repeat(32));
    }
  });

  it('a flow that does not wait for a person, does not exist or has ended: the reason, exit 1, nothing on stdout', async () => {
    const cases: [string, RegExp][] = [
      ['link-not-a-signer', /workflow link-not-a-signer does not wait for a person/],
      ['link-nowhere', /no workflow link-nowhere: check the id/],
      ['link-ended', /workflow link-ended is terminated: it no longer waits for a signature/],
    ];
    for (const [id, message] of cases) {
      const r = await trustflow('signing-link', '--workflow-id', id);
      assert.equal(r.code, 1, `${id}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^trustflow: /);
      assert.equal(r.stdout, '');
    }
  });

  it('without TRUSTFLOW_SIGNING_PAGE_URL or TRUSTFLOW_SIGNING_LINK_KEY: a usage error naming the variable, exit 2', async () => {
    const saved = cliEnv;
    try {
      for (const [unset, named] of [
        [['TRUSTFLOW_SIGNING_PAGE_URL'], /^trustflow: TRUSTFLOW_SIGNING_PAGE_URL is not set/],
        [['TRUSTFLOW_SIGNING_LINK_KEY'], /^trustflow: TRUSTFLOW_SIGNING_LINK_KEY is not set/],
        [
          ['TRUSTFLOW_SIGNING_PAGE_URL', 'TRUSTFLOW_SIGNING_LINK_KEY'],
          /TRUSTFLOW_SIGNING_PAGE_URL and TRUSTFLOW_SIGNING_LINK_KEY are not set/,
        ],
      ] as const) {
        cliEnv = { ...saved };
        for (const k of unset) delete cliEnv[k];
        const r = await trustflow('signing-link', '--workflow-id', 'link-waiting');
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, named);
        assert.match(r.stderr, /^usage: trustflow signing-link --workflow-id ID/m);
        assert.equal(r.stdout, '');
      }
      cliEnv = { ...saved, TRUSTFLOW_SIGNING_LINK_KEY: 'change-me' };
      const weak = await trustflow('signing-link', '--workflow-id', 'link-waiting');
      assert.equal(weak.code, 2);
      assert.match(weak.stderr, /TRUSTFLOW_SIGNING_LINK_KEY is a placeholder/);
      cliEnv = { ...saved };
      const noId = await trustflow('signing-link');
      assert.equal(noId.code, 2);
      assert.match(noId.stderr, /--workflow-id is required/);
    } finally {
      cliEnv = saved;
    }
  });

  it('--help: usage, the variables, exit codes; exit 0 without any variable set', async () => {
    const saved = cliEnv;
    cliEnv = { ...saved };
    delete cliEnv.TRUSTFLOW_SIGNING_PAGE_URL;
    delete cliEnv.TRUSTFLOW_SIGNING_LINK_KEY;
    try {
      const r = await trustflow('signing-link', '--help');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^usage: trustflow signing-link --workflow-id ID \[--json\]/);
      assert.match(r.stdout, /TRUSTFLOW_SIGNING_PAGE_URL +\(required\)/);
      assert.match(r.stdout, /TRUSTFLOW_SIGNING_LINK_KEY +\(required\)/);
      assert.match(r.stdout, /^Exit codes: 0 printed/m);
      const overview = await trustflow('--help');
      assert.match(overview.stdout, /^ {2}signing-link +a fresh signing link/m);
    } finally {
      cliEnv = saved;
    }
  });

  it('into a reader that goes away (| head -c 0): no EPIPE stack trace', async () => {
    const bin = join(repoRoot, 'bin', 'trustflow.js');
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const sh = spawn('sh', ['-c', `"${process.execPath}" "${bin}" signing-link --workflow-id link-waiting --json | head -c 0`], {
        env: cliEnv,
      });
      let err = '';
      sh.stderr.on('data', (d: Buffer) => (err += d.toString()));
      sh.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    assert.equal(code, 0);
    assert.doesNotMatch(stderr, /EPIPE|Error:|at /);
  });
});
