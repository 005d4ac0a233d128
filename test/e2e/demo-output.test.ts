// `npm start`'s demo as a new user reads it: every flow succeeds, and what it prints is for people
// (no line wider than 100 columns, no raw JSON log records in the middle); the worker's and the
// sandbox's logs go to the file it names. The sign-in a person signs: --exit-after-demo plays the
// person through the signing page's API and the sandbox's NCALayer, and the flow gets its token.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { temporalCliPath } from '../helpers/temporal.js';
import { workflowTypesOf } from '../../src/flows/registry.js';

let tmp: string;
before(async () => (tmp = await mkdtemp(join(tmpdir(), 'trustflow-demo-'))));
after(() => rm(tmp, { recursive: true, force: true }));

describe('npm start -- --exit-after-demo', () => {
  it('runs every flow; its output fits 100 columns and holds no log records; the logs are in the file it names', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_CLI_PATH: temporalCliPath(),
      TRUSTFLOW_DEV_SERVER_PORT: String(await freePort()),
      TRUSTFLOW_DEV_UI_PORT: String(await freePort()),
      TRUSTFLOW_CODEC_PORT: String(await freePort()),
      TRUSTFLOW_METRICS_ADDRESS: '',
      TRUSTFLOW_STATE_DIR: join(tmp, 'state'),
      TRUSTFLOW_SANDBOX_DIR: join(tmp, 'sandbox'),
    };
    for (const k of ['TEMPORAL_ADDRESS', 'NODE_TEST_CONTEXT', 'TRUSTFLOW_ALERT_WEBHOOK_URL', 'TRUSTFLOW_ALERT_WEBHOOK_SECRET'])
      delete env[k];
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'demo', 'start.js'), '--exit-after-demo'], { env, cwd: tmp });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d));
      p.stderr.on('data', (d: Buffer) => (err += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), 240_000);
      p.on('close', (c) => (clearTimeout(timer), resolve({ code: c, stdout: out, stderr: err })));
    });
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    const lines = stdout.split('\n');
    assert.deepEqual(
      lines.filter((l) => l.length > 100),
      [],
      'no line wider than 100 columns',
    );
    assert.deepEqual(
      lines.filter((l) => /^\s*\{"level"/.test(l)),
      [],
      'no JSON log records in the output',
    );
    // Every flow the registry lists has its demo (flow-demos.ts), and each succeeds.
    for (const flow of workflowTypesOf('flow')) assert.match(stdout, new RegExp(`^${flow} +succeeded `, 'm'), `${flow} succeeded`);
    // The person signer: the signing page in the demo process, the flow waiting for the director, one
    // signature made as the page makes it, and the token; the flow is in the Web UI table. (Sentences
    // read with their wrapped lines joined: the demo wraps at 100 columns, continuing with 4 spaces.)
    const text = stdout.replace(/\n {4}(?=\S)/g, ' ');
    assert.match(text, /^signing page http:\/\/127\.0\.0\.1:\d+ \(NCALayer: the sandbox's, ws:\/\/127\.0\.0\.1:\d+\)$/m);
    const personId =
      /^A person signs: (demo-mpt-person-sign-in-\d{14}) \(mptSignIn, signer\.kind 'person'\) waits for the director\.$/m.exec(text)?.[1];
    assert.ok(personId, 'the person sign-in is announced with its workflow id');
    assert.match(text, /^mptSignIn \(person\) +succeeded +\d+ ms +token \(\d+ chars\) valid until /m, 'the person sign-in got its token');
    assert.match(text, /^the flow accepted the signature of IIN …\d{4} \(certificate [0-9A-F]+\); the link is used up$/m);
    assert.match(text, new RegExp(`^mptSignIn \\(person\\) +${personId}$`, 'm'), 'listed for the Web UI');
    assert.doesNotMatch(text, /\/sign#/, 'no link printed when the demo signs itself');
    const logFile = /^logs of the worker and the sandbox: (.+)$/m.exec(stdout)?.[1];
    assert.ok(logFile && existsSync(logFile), `the log file is named and exists: ${logFile}`);
    const log = readFileSync(logFile, 'utf8');
    assert.match(log, /"name":"trustflow-sandbox"/, 'the sandbox logs there');
    assert.match(log, /"name":"trustflow-signing".*"route":"api\.sign","status":200/, 'the signing page logs there');
  });
});
