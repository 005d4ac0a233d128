// A Python service calling trustflow: test/callers/python/caller.py, on the `temporalio` package
// (pinned in its requirements.txt, installed into .tools/callers/python/), against a real dev
// server, the sandbox, the trustflow worker and the codec server (startCallerEnv). The caller holds
// no key: it encrypts and decrypts through the codec server. It prints one JSON line per check; this
// file asserts on its exit code and on those lines. Without Python >= 3.10, its venv module or the
// packages it skips with the reason, and fails in CI (CI set), where they must be there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { sandboxAdmin } from '../../src/sandbox/index.js';
import { startCallerEnv, type CallerEnv } from '../helpers/caller-env.js';
import { repoRoot } from '../helpers/paths.js';
import { pythonVenv, type PythonVenv } from '../helpers/python-venv.js';

const taskQueue = 'python-caller-test';
const callerDir = join(repoRoot, 'test', 'callers', 'python');
const venvDir = join(repoRoot, '.tools', 'callers', 'python');
/** Start-up, two sign-ins, a verification, a failure and four histories: seconds; minutes on a loaded machine. */
const CALLER_TIMEOUT_MS = 240_000;

interface Check {
  check: string;
  ok: boolean;
  error?: string;
  [detail: string]: unknown;
}

interface CallerRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  checks: Check[];
}

const CODEC_CHECKS = [
  'codec.empty-round-trip',
  'codec.round-trip',
  'codec.decode-passes-unencrypted',
  'codec.tampered-refused',
  'codec.wrong-token-refused',
];
const FLOW_CHECKS = [
  'temporal.connect',
  'mptSignIn.result',
  'mptSignIn.same-id',
  'kiscVerifyIdentity.result',
  'kiscVerifyIdentity.completed-id-refused',
  'mptSignIn.invalid-input',
  'history.mptSignIn.encrypted',
  'history.kiscVerifyIdentity.encrypted',
  'history.invalid-input.encrypted',
];

let venv: PythonVenv;
let env: CallerEnv | undefined;

/** Skips (printing why) when Python is not set up here; in CI `before` has already failed instead. */
function skipWithoutPython(t: TestContext): boolean {
  if (venv.ok) return false;
  const reason = `Python caller: missing ${venv.missing}`;
  console.log(`# SKIP: ${reason}`);
  t.skip(reason);
  return true;
}

/** Runs caller.py with the caller's environment only: no codec keys (it must use the codec server). */
function runCaller(mode: 'codec' | 'flows'): Promise<CallerRun> {
  return runPython([join(callerDir, 'caller.py'), mode], mode);
}

/** The one ```python block of docs/calling-trustflow.md, as a reader copies it. */
function docsSnippet(): string {
  const doc = readFileSync(join(repoRoot, 'docs', 'calling-trustflow.md'), 'utf8');
  const blocks = [...doc.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 1, 'one Python snippet in docs/calling-trustflow.md');
  return blocks[0]!;
}

function runPython(args: string[], mode: string): Promise<CallerRun> {
  assert.ok(venv.ok && env);
  const { TRUSTFLOW_CODEC_KEYS: _keys, ...callerEnv } = env.processEnv;
  const inherited = Object.fromEntries(
    ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR'].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
  );
  const child = spawn(venv.python, args, {
    cwd: callerDir,
    env: { ...inherited, ...callerEnv, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => {
    stderr += `\n(test: caller.py ${mode} still running after ${CALLER_TIMEOUT_MS / 1000} s; killed)`;
    child.kill('SIGKILL');
  }, CALLER_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l.trim() !== '');
      const checks: Check[] = [];
      if (mode === 'snippet') return resolve({ code, signal, stdout, stderr, checks });
      for (const line of lines) {
        try {
          checks.push(JSON.parse(line) as Check);
        } catch {
          reject(new Error(`caller.py ${mode} printed a line that is not JSON: ${line}\n--- stderr ---\n${stderr}`));
          return;
        }
      }
      resolve({ code, signal, stdout, stderr, checks });
    });
  });
}

/** Exit 0 and exactly the expected checks, each once and ok; the caller's stderr in every message. */
function assertAllPassed(t: TestContext, r: CallerRun, expected: string[]): Map<string, Check> {
  for (const c of r.checks) t.diagnostic(JSON.stringify(c));
  const context = `\n--- caller stdout ---\n${r.stdout}\n--- caller stderr ---\n${r.stderr}`;
  const failed = r.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.error ?? '(no reason)'}`);
  assert.deepEqual(failed, [], `failed checks${context}`);
  assert.equal(r.code, 0, `caller.py exited ${r.code ?? r.signal}${context}`);
  assert.deepEqual(
    r.checks.map((c) => c.check),
    expected,
    `the caller's checks${context}`,
  );
  return new Map(r.checks.map((c) => [c.check, c]));
}

describe('a Python service calling trustflow (temporalio SDK, codec server)', () => {
  before(async () => {
    venv = await pythonVenv({ venvDir, requirements: join(callerDir, 'requirements.txt') });
    if (!venv.ok) {
      if (process.env.CI) throw new Error(`Python caller: missing ${venv.missing}`);
      return;
    }
    console.log(`# python venv ${venv.reused ? 'reused' : 'created'} at ${venvDir} in ${venv.seconds.toFixed(1)} s (${venv.interpreter})`);
    env = await startCallerEnv(taskQueue);
  });

  after(() => env?.stop());

  it('reaches the codec server from Python: empty list, round trip, plain payloads, tampering, wrong token', async (t) => {
    if (skipWithoutPython(t)) return;
    const checks = assertAllPassed(t, await runCaller('codec'), CODEC_CHECKS);
    assert.deepEqual(checks.get('codec.empty-round-trip'), { check: 'codec.empty-round-trip', ok: true, sent: 0, encoded: 0, decoded: 0 });
    assert.match(String(checks.get('codec.tampered-refused')?.serverSaid), /HTTP 400 .*failed authentication with codec key/);
    assert.match(String(checks.get('codec.wrong-token-refused')?.serverSaid), /HTTP 401 .*missing or wrong bearer token/);
  });

  it('starts mptSignIn and kiscVerifyIdentity by name, reads a typed failure, and finds only ciphertext in their history', async (t) => {
    if (skipWithoutPython(t)) return;
    assert.ok(env);
    const r = await runCaller('flows');
    const checks = assertAllPassed(t, r, FLOW_CHECKS);

    const mpt = checks.get('mptSignIn.result')!;
    assert.ok(Date.parse(String(mpt.expiresAt)) > Date.now(), `expiresAt ${String(mpt.expiresAt)}`);
    assert.ok(Date.parse(String(mpt.obtainedAt)) <= Date.now());

    const kisc = checks.get('kiscVerifyIdentity.result')!;
    assert.equal(kisc.outcome, 'verified');
    assert.equal(kisc.vendor, 'VisionLabs');
    assert.deepEqual(kisc.personalDataFields, ['birth_date', 'first_name', 'last_name', 'middle_name']);
    assert.equal(checks.get('kiscVerifyIdentity.completed-id-refused')!.recordedIdempotencyKey, kisc.idempotencyKey);
    // The sandbox's ledger: billed once, although the caller started the same id a second time.
    const state = await sandboxAdmin(env.flow.sandbox.simulators.kisc!.adminBaseUrl, 'state');
    assert.deepEqual(state.billedPerKey, { [String(kisc.idempotencyKey)]: 1 });

    // What trustflow's own client reads of the runs the Python caller started.
    const described = await env.flow.client.workflow.getHandle(String(kisc.workflowId)).describe();
    assert.equal(described.type, 'kiscVerifyIdentity');
    assert.equal(described.status.name, 'COMPLETED');

    const invalid = checks.get('mptSignIn.invalid-input')!;
    assert.equal(invalid.type, 'InvalidInput');
    assert.match(String(invalid.message), /maxChallengeAttempts/);
    assert.equal(checks.get('history.invalid-input.encrypted')!.storedFailureMessage, 'Encoded failure');
    for (const name of ['history.mptSignIn.encrypted', 'history.kiscVerifyIdentity.encrypted']) {
      assert.ok(Number(checks.get(name)!.resultPayloads) >= 1, name);
    }

    // Never a token or personal data in what the caller prints.
    const example = env.flow.sandbox.manifest.examples.kiscVerifyIdentity;
    const printed = r.stdout + r.stderr;
    for (const [label, value] of [
      ['IIN', example.iin],
      ['consent text', example.consentText!],
      ['last name', 'САРСЕНБАЕВ'],
      ['birth date', '1989-01-01'],
    ] as const) {
      assert.ok(!printed.includes(value), `the caller printed the ${label}`);
    }
    assert.doesNotMatch(printed, /eyJ[\w-]{10,}\.[\w-]{10,}/, 'the caller printed a JWT (the IS MPT token)');
  });

  it("the docs' Python snippet, copied as written, connects through the codec server and reads a typed failure", async (t) => {
    if (skipWithoutPython(t)) return;
    // Its input has placeholders (https://<stand>/…), so the worker refuses it: the snippet prints the
    // failure's type and decoded message, then raises. That is what a reader sees first, too.
    const dir = await mkdtemp(join(tmpdir(), 'trustflow-py-snippet-'));
    try {
      // As the docs say: the snippet, with trustflow_codec.py copied next to it.
      const file = join(dir, 'start_mpt_sign_in.py');
      await writeFile(file, docsSnippet());
      await writeFile(join(dir, 'trustflow_codec.py'), readFileSync(join(callerDir, 'trustflow_codec.py')));
      const r = await runPython([file], 'snippet');
      const context = `\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
      assert.equal(r.code, 1, `the snippet re-raises the failure${context}`);
      assert.match(r.stdout, /^InvalidInput: .*baseUrl/m, `the decoded failure type and message${context}`);
      assert.match(r.stderr, /WorkflowFailureError/, context);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
