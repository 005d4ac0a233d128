// `npm start`'s demo as a new user reads it: every flow succeeds, and what it prints is for people
// (no line wider than 100 columns, no raw JSON log records in the middle); the worker's and the
// sandbox's logs go to the file it names.
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
    const logFile = /^logs of the worker and the sandbox: (.+)$/m.exec(stdout)?.[1];
    assert.ok(logFile && existsSync(logFile), `the log file is named and exists: ${logFile}`);
    assert.match(readFileSync(logFile, 'utf8'), /"name":"trustflow-sandbox"/, 'the sandbox logs there');
  });
});
