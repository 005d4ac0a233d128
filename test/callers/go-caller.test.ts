// A bank's Go service calling trustflow with the official Go SDK (test/callers/go): the Go codec
// checked against contract/codec-vectors.json (`go test`), then the caller program run against a
// real dev server, the sandbox, the trustflow worker and the codec server, once through the codec
// server (-codec remote) and once with the Go codec (-codec local). The caller checks its results
// itself and prints a JSON line per check; this file asserts on those lines, and reads what Go
// encrypted with trustflow's own codec.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../src/codec/payload-codec.js';
import { startCallerEnv, codecVectorsPath, type CallerEnv } from '../helpers/caller-env.js';
import { repoRoot } from '../helpers/paths.js';
import { testKeyring } from '../helpers/temporal.js';

const MIN_GO = [1, 26] as const;
const goModule = join(repoRoot, 'test', 'callers', 'go');
const callerBinary = join(repoRoot, '.tools', 'callers', 'go-caller');
const callerHashFile = `${callerBinary}.sha256`;
const taskQueue = 'go-caller-test';

/** Every check the caller reports, each exactly once per run. */
const EXPECTED_CHECKS = [
  'workerPolling',
  'mptSignIn',
  'kiscVerifyIdentity',
  'kiscVerifyIdentityFinal',
  'invalidInput',
  'rawHistory:mptSignIn',
  'rawHistory:kiscVerifyIdentity',
  'rawHistory:invalidInput',
];

interface CheckLine {
  check: string;
  codec: string;
  ok: boolean;
  error?: string;
  workflowId?: string;
  runId?: string;
  [field: string]: unknown;
}

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a child with a time limit; never throws (the caller asserts, printing its output). */
function runChild(file: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ChildResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: o.cwd, env: o.env, timeout: o.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        const timedOut = err && 'killed' in err && err.killed ? `\n(killed after ${o.timeoutMs / 1000} s)` : '';
        const spawnError = err && typeof err.code === 'string' ? `\n(${err.message})` : '';
        resolve({ code, stdout, stderr: stderr + timedOut + spawnError, seconds: (performance.now() - started) / 1000 });
      },
    );
  });
}

function describeRun(what: string, r: ChildResult): string {
  return `${what} exited ${r.code} after ${r.seconds.toFixed(1)} s\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/**
 * The environment of every go command: go.sum is authoritative, no toolchain download. build, test
 * and vet share these flags, so they share the compiled packages in Go's build cache.
 */
function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=readonly -buildvcs=false -trimpath`.trim(),
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    ...extra,
  };
}

/** Why the Go tests cannot run here (no go, or too old), or undefined when they can. */
async function goProblem(): Promise<string | undefined> {
  const r = await runChild('go', ['env', 'GOVERSION'], { cwd: goModule, env: goEnv(), timeoutMs: 30_000 });
  const needed = `Go >= ${MIN_GO.join('.')} is needed for the Go caller tests (test/callers/go)`;
  if (r.code !== 0) return `${needed}: 'go' is not on PATH or does not run: ${r.stderr.trim().replace(/^\((.*)\)$/, '$1')}`;
  const m = /^go(\d+)\.(\d+)/.exec(r.stdout.trim());
  if (!m || Number(m[1]) < MIN_GO[0] || (Number(m[1]) === MIN_GO[0] && Number(m[2]) < MIN_GO[1]))
    return `${needed}, found ${r.stdout.trim()}`;
  return undefined;
}

/** A hash of what the binary is built from (go.mod, go.sum, every .go file) and the Go version. */
async function sourceHash(goVersion: string): Promise<string> {
  const hash = createHash('sha256').update(goVersion);
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.name.endsWith('.go') || e.name === 'go.mod' || e.name === 'go.sum') files.push(path);
    }
  };
  await walk(goModule);
  for (const f of files.sort()) hash.update(`\0${relative(goModule, f)}\0`).update(await readFile(f));
  return hash.digest('hex');
}

/** Builds the caller into .tools/callers/go-caller, or reuses it when its sources are unchanged. */
async function buildCaller(): Promise<void> {
  const version = (await runChild('go', ['env', 'GOVERSION'], { cwd: goModule, env: goEnv(), timeoutMs: 30_000 })).stdout.trim();
  const hash = await sourceHash(version);
  if (existsSync(callerBinary) && existsSync(callerHashFile) && (await readFile(callerHashFile, 'utf8')).trim() === hash) return;
  await mkdir(join(repoRoot, '.tools', 'callers'), { recursive: true });
  await rm(callerHashFile, { force: true });
  // Cold (empty module and build caches), this downloads the SDK's modules and compiles gRPC: minutes on 2 cores.
  const r = await runChild('go', ['build', '-o', callerBinary, './cmd/caller'], {
    cwd: goModule,
    env: goEnv(),
    timeoutMs: 15 * 60_000,
  });
  if (r.code !== 0) throw new Error(describeRun('go build ./cmd/caller', r));
  console.log(`go build ./cmd/caller: ${r.seconds.toFixed(1)} s`);
  await writeFile(callerHashFile, `${hash}\n`);
}

let problem: string | undefined;
let env: CallerEnv | undefined;
let skipPrinted = false;

/** Skips (printing why) where Go is missing; in CI, where it must be there, fails. */
function requireGo(t: TestContext): CallerEnv | undefined {
  if (!problem) return env;
  if (process.env.CI) throw new Error(problem);
  if (!skipPrinted) console.log(`# SKIP: ${problem}`);
  skipPrinted = true;
  t.skip(problem);
  return undefined;
}

before(async () => {
  problem = await goProblem();
  if (problem) return;
  // The build (cached or not) and the servers' start overlap. Whichever fails, what did start is
  // stopped: a running server would keep this file's process (and npm test) alive.
  const [started, built] = await Promise.allSettled([startCallerEnv(taskQueue), buildCaller()]);
  if (started.status === 'fulfilled') env = started.value;
  if (built.status === 'rejected') {
    await env?.stop();
    env = undefined;
    throw built.reason;
  }
  if (started.status === 'rejected') throw started.reason;
});

after(() => env?.stop());

/** Runs the caller with -codec and returns its check lines, asserting that every check passed. */
async function runCaller(e: CallerEnv, codec: 'remote' | 'local'): Promise<Map<string, CheckLine>> {
  const r = await runChild(callerBinary, ['-codec', codec, '-timeout', '4m'], {
    cwd: goModule,
    env: { ...process.env, ...e.processEnv },
    timeoutMs: 5 * 60_000,
  });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as CheckLine);
  const failed = lines.filter((l) => !l.ok).map((l) => `${l.check}: ${l.error}`);
  assert.deepEqual(failed, [], describeRun(`go-caller -codec ${codec}`, r));
  assert.equal(r.code, 0, describeRun(`go-caller -codec ${codec}`, r));
  assert.deepEqual(
    lines.map((l) => l.check),
    EXPECTED_CHECKS,
    `every check reported once, in order\n${describeRun(`go-caller -codec ${codec}`, r)}`,
  );
  for (const l of lines) assert.equal(l.codec, codec);
  console.log(`go-caller -codec ${codec}: ${lines.length} checks passed in ${r.seconds.toFixed(1)} s`);
  const byCheck = new Map(lines.map((l) => [l.check, l]));

  // What the caller printed holds no secret: not the token it obtained (read here with trustflow's codec).
  const mpt = byCheck.get('mptSignIn')!;
  const { token } = await e.flow.client.workflow.getHandle(mpt.workflowId!, mpt.runId).result();
  assert.equal(mpt.tokenLength, token.length);
  assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the caller printed the token');
  const kisc = byCheck.get('kiscVerifyIdentity')!;
  assert.equal(kisc.outcome, 'verified');
  assert.ok(!r.stdout.includes(e.flow.sandbox.manifest.examples.kiscVerifyIdentity.iin), 'the caller printed the IIN');
  assert.equal(byCheck.get('invalidInput')!.type, 'InvalidInput');
  assert.match(String(byCheck.get('invalidInput')!.message), /maxChallengeAttempts/);
  assert.equal(byCheck.get('rawHistory:invalidInput')!.rawFailureMessage, 'Encoded failure');
  return byCheck;
}

/** The input Go stored for a run, read from the raw history and decrypted with trustflow's codec. */
async function storedInput(e: CallerEnv, line: CheckLine): Promise<unknown> {
  const history = await e.flow.client.workflow.getHandle(line.workflowId!, line.runId).fetchHistory();
  const payloads = (history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? []) as Payload[];
  assert.equal(payloads.length, 1, `${line.check}: one input payload`);
  const meta = payloads[0]!.metadata!;
  assert.equal(Buffer.from(meta.encoding!).toString(), ENCRYPTED_ENCODING);
  assert.equal(Buffer.from(meta['encryption-key-id']!).toString(), testKeyring.activeKeyId);
  const [plain] = await new AesGcmPayloadCodec(testKeyring).decode(payloads);
  assert.equal(Buffer.from(plain!.metadata!.encoding!).toString(), 'json/plain');
  return JSON.parse(Buffer.from(plain!.data!).toString('utf8'));
}

/** trustflow's codec reads the inputs the Go caller encrypted (locally, or through the codec server). */
async function assertInputsReadable(e: CallerEnv, lines: Map<string, CheckLine>): Promise<void> {
  // As the caller read them: sandbox.json, not the in-memory manifest.
  const { examples } = JSON.parse(await readFile(e.processEnv.TRUSTFLOW_SANDBOX_MANIFEST!, 'utf8')) as {
    examples: Record<'mptSignIn' | 'kiscVerifyIdentity', Record<string, unknown>>;
  };
  assert.deepEqual(await storedInput(e, lines.get('kiscVerifyIdentity')!), examples.kiscVerifyIdentity);
  assert.deepEqual(await storedInput(e, lines.get('mptSignIn')!), examples.mptSignIn);
  assert.deepEqual(await storedInput(e, lines.get('invalidInput')!), { ...examples.mptSignIn, maxChallengeAttempts: 99 });
}

/** The one ```go block of docs/calling-trustflow.md, as a reader copies it. */
async function docsSnippet(): Promise<string> {
  const doc = await readFile(join(repoRoot, 'docs', 'calling-trustflow.md'), 'utf8');
  const blocks = [...doc.matchAll(/```go\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 1, 'one Go snippet in docs/calling-trustflow.md');
  return blocks[0]!;
}

describe('Go callers (go.temporal.io/sdk)', () => {
  it('go test: the Go codec matches contract/codec-vectors.json', async (t) => {
    if (!requireGo(t)) return;
    const r = await runChild('go', ['test', './...'], {
      cwd: goModule,
      env: goEnv({ TRUSTFLOW_CODEC_VECTORS: codecVectorsPath }),
      timeoutMs: 10 * 60_000,
    });
    assert.equal(r.code, 0, describeRun('go test ./...', r));
    assert.match(r.stdout, /^ok\s+\S+\/trustflowcodec/m, describeRun('go test ./...', r));
    console.log(`go test ./...: ${r.seconds.toFixed(1)} s`);
  });

  it('the Go code is gofmt-formatted and go vet clean', async (t) => {
    if (!requireGo(t)) return;
    const fmt = await runChild('gofmt', ['-l', '.'], { cwd: goModule, env: goEnv(), timeoutMs: 60_000 });
    assert.equal(fmt.code, 0, describeRun('gofmt -l .', fmt));
    assert.equal(fmt.stdout.trim(), '', `not gofmt-formatted (run gofmt -w in test/callers/go):\n${fmt.stdout}`);
    const vet = await runChild('go', ['vet', './...'], { cwd: goModule, env: goEnv(), timeoutMs: 10 * 60_000 });
    assert.equal(vet.code, 0, describeRun('go vet ./...', vet));
  });

  it('-codec remote: starts both flows through the codec server, reads results and a typed failure, stores only ciphertext', async (t) => {
    const e = requireGo(t);
    if (!e) return;
    const lines = await runCaller(e, 'remote');
    await assertInputsReadable(e, lines);
  });

  it('-codec local: the Go codec encrypts what the worker and trustflow’s codec read, and reads what they encrypted', async (t) => {
    const e = requireGo(t);
    if (!e) return;
    const lines = await runCaller(e, 'local');
    // Go → TypeScript: the inputs the Go codec encrypted, decrypted by AesGcmPayloadCodec. TypeScript
    // → Go: the caller's own result checks decoded what the worker encrypted.
    await assertInputsReadable(e, lines);
  });

  it("the docs' Go snippet, copied as written, connects through the codec server and reads a typed failure", async (t) => {
    const e = requireGo(t);
    if (!e) return;
    // A module of its own beside the caller's binary, with the caller's go.mod and go.sum (the SDK
    // is already in the build cache): what a reader gets after `go mod init` and `go get` of the SDK.
    const dir = join(repoRoot, '.tools', 'callers', 'go-docs-snippet');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'main.go'), await docsSnippet());
    await writeFile(join(dir, 'go.mod'), await readFile(join(goModule, 'go.mod')));
    await writeFile(join(dir, 'go.sum'), await readFile(join(goModule, 'go.sum')));
    const build = await runChild('go', ['build', '-o', 'snippet', '.'], { cwd: dir, env: goEnv(), timeoutMs: 10 * 60_000 });
    assert.equal(build.code, 0, describeRun('go build (docs snippet)', build));
    // Its input has placeholders (https://<stand>/…): the worker refuses it, and the snippet prints
    // the failure's type and decoded message, then exits 1. What a reader sees first, too.
    const { TRUSTFLOW_CODEC_KEYS: _keys, ...callerEnv } = e.processEnv;
    const r = await runChild(join(dir, 'snippet'), [], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...callerEnv },
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 1, describeRun('docs snippet', r));
    assert.match(r.stdout, /^InvalidInput: .*baseUrl/m, describeRun('docs snippet', r));
    assert.match(r.stderr, /mptSignIn failed:/, describeRun('docs snippet', r));
  });
});
