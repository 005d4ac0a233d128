// What a supervisor (systemd, docker, a terminal) does to `npm run worker` and `npm start`: SIGTERM,
// SIGINT (Ctrl-C: the whole foreground process group), SIGKILL. Every process they started must be
// gone afterwards, after a graceful stop where there is a signal to react to; and `npm run worker`
// must not recompile when nothing changed. Linux only (reads /proc).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { startTestServer, temporalCliPath, TEST_CODEC_KEYS } from '../helpers/temporal.js';

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  start: string;
  args: string;
}

function readProc(pid: number | string): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid: Number(pid), ppid: Number(f[1]), state: f[0]!, start: f[19]!, args };
  } catch {
    return undefined;
  }
}

/** The same process (pid and start time), still running (a zombie counts as gone). */
function alive(p: Proc): boolean {
  const now = readProc(p.pid);
  return !!now && now.start === p.start && now.state !== 'Z' && now.state !== 'X';
}

/**
 * A process under test and every process it starts. The tree is sampled every 100 ms while it runs
 * and remembered by pid + start time, so processes that were re-parented (orphans) stay tracked.
 */
class Tracked {
  readonly known = new Map<number, Proc>();
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Both output pipes at end-of-file: every process holding them (orphans too) has closed them. */
  private readonly drained: Promise<unknown>;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.drained = Promise.all([child.stdout!, child.stderr!].map((s) => new Promise((resolve) => s.once('close', resolve))));
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    const root = readProc(this.child.pid!);
    if (root && !this.known.has(root.pid)) this.known.set(root.pid, root);
    const all = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(readProc)
      .filter((p): p is Proc => !!p);
    for (let grew = true; grew;) {
      grew = false;
      for (const p of all) {
        const parent = this.known.get(p.ppid);
        if (!this.known.has(p.pid) && parent && alive(parent)) {
          this.known.set(p.pid, p);
          grew = true;
        }
      }
    }
    // A process that exec'd (npm's `sh -c exec node …`) keeps its pid and start time: keep its newest command line.
    for (const p of all) {
      const known = this.known.get(p.pid);
      if (known && known.start === p.start && known.args !== p.args) this.known.set(p.pid, { ...known, args: p.args });
    }
  }

  living(): Proc[] {
    return [...this.known.values()].filter(alive);
  }

  async waitFor(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      assert.ok(this.child.exitCode === null && this.child.signalCode === null, `exited before '${text}':\n${this.output}`);
      assert.ok(Date.now() < deadline, `no '${text}' within ${timeoutMs} ms:\n${this.output}`);
      await sleep(100);
    }
  }

  /** Resolves when the tracked process and all it started are gone; fails after timeoutMs. */
  async waitAllGone(timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      this.sample();
      const left = this.living();
      if (left.length === 0 && (this.child.exitCode !== null || this.child.signalCode !== null)) {
        const ms = Date.now() - t0;
        await Promise.race([this.drained, sleep(2000)]); // the last lines written before the exit
        return ms;
      }
      if (Date.now() - t0 > timeoutMs) {
        assert.fail(
          `still running ${timeoutMs} ms after the signal:\n${left.map((p) => `  ${p.pid} ${p.args}`).join('\n')}\noutput:\n${this.output}`,
        );
      }
      await sleep(100);
    }
  }

  /** The safety net: whatever is left, SIGKILL (so a failing test leaves no orphans behind). */
  kill(): void {
    clearInterval(this.timer);
    for (const p of this.living()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }

  names(): string[] {
    return [...this.known.values()].map((p) => p.args);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

let server: TestWorkflowEnvironment;
let tmp: string;
const tracked: Tracked[] = [];

function track(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot): Tracked {
  // detached: its own process group, like a job a terminal starts, so a test can Ctrl-C it (-pid).
  const t = new Tracked(spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  tracked.push(t);
  return t;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_CLI_PATH: temporalCliPath(),
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
    TEMPORAL_NAMESPACE: 'default',
    ...extra,
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.NODE_TEST_CONTEXT;
  return env;
}

function workerEnv(queue: string): NodeJS.ProcessEnv {
  return { ...cleanEnv({ TRUSTFLOW_TASK_QUEUE: queue }), TEMPORAL_ADDRESS: server.address };
}

/** `npm start` with free ports and its state in a temporary directory. */
async function startEnv(name: string): Promise<NodeJS.ProcessEnv> {
  return cleanEnv({
    TRUSTFLOW_DEV_SERVER_PORT: String(await freePort()),
    TRUSTFLOW_DEV_UI_PORT: String(await freePort()),
    TRUSTFLOW_CODEC_PORT: String(await freePort()),
    TRUSTFLOW_STATE_DIR: join(tmp, name, 'state'),
    TRUSTFLOW_SANDBOX_DIR: join(tmp, name, 'sandbox'),
    TRUSTFLOW_TASK_QUEUE: `supervisor-${name}`,
  });
}

/** The trustflow node processes of a tree (npm itself and the shell aside). */
const nodeProcesses = (t: Tracked) => t.names().filter((a) => /^\S*node (\S*scripts\/run\.mjs|\S*dist\/src\/)/.test(a));
const isTemporal = (args: string) => /\btemporal\b.*\bserver start-dev\b/.test(args);

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-supervisor-'));
  server = await startTestServer();
});

afterEach(() => {
  for (const t of tracked) t.kill();
});

after(async () => {
  for (const t of tracked) t.kill();
  await server?.teardown();
  await rm(tmp, { recursive: true, force: true });
});

describe('npm run worker under a supervisor', () => {
  it('SIGTERM to the npm process: the worker drains and exits, nothing it started is left (within 20 s)', async (t) => {
    const w = track('npm', ['run', 'worker'], workerEnv('supervisor-term'));
    await w.waitFor('polling task queue', 120_000);
    const tree = nodeProcesses(w);
    process.kill(w.child.pid!, 'SIGTERM');
    t.diagnostic(`all gone ${await w.waitAllGone(20_000)} ms after SIGTERM`);
    assert.deepEqual(tree, ['node scripts/run.mjs worker'], 'one node process under npm: the worker runs in it');
    assert.match(w.output, /trustflow worker: stopping/);
    assert.match(w.output, /trustflow worker: stopped/, 'a graceful stop, not a kill');
  });

  it('SIGINT (Ctrl-C: to the process group): graceful stop, nothing left (within 20 s)', async (t) => {
    const w = track('npm', ['run', 'worker'], workerEnv('supervisor-int'));
    await w.waitFor('polling task queue', 120_000);
    const tree = nodeProcesses(w);
    process.kill(-w.child.pid!, 'SIGINT');
    t.diagnostic(`all gone ${await w.waitAllGone(20_000)} ms after SIGINT`);
    assert.deepEqual(tree, ['node scripts/run.mjs worker'], 'one node process, so Ctrl-C reaches the worker once, not also forwarded');
    assert.match(w.output, /signal":"SIGINT".*trustflow worker: stopping/);
    assert.match(w.output, /trustflow worker: stopped/, 'a graceful stop, not a kill');
    // npm's own status: `sh -c` re-raises a SIGINT it caught, and npm re-raises its child's signal.
    const npm = await w.exited;
    assert.ok(npm.code === 0 || npm.signal === 'SIGINT', JSON.stringify(npm));
  });

  it('SIGINT to the npm process alone (a supervisor, not a terminal): graceful stop, nothing left', async (t) => {
    // package.json runs `exec node scripts/run.mjs worker`: node replaces npm's `sh -c`, so npm's
    // forwarded SIGINT reaches it (dash would otherwise swallow it and nothing would happen).
    const w = track('npm', ['run', 'worker'], workerEnv('supervisor-int-npm'));
    await w.waitFor('polling task queue', 120_000);
    process.kill(w.child.pid!, 'SIGINT');
    t.diagnostic(`all gone ${await w.waitAllGone(20_000)} ms after SIGINT to npm`);
    assert.match(w.output, /trustflow worker: stopped/, 'a graceful stop, not a kill');
  });

  it('SIGKILL of the npm process: the worker notices its parent is gone, stops gracefully, nothing left (within 20 s)', async (t) => {
    const w = track('npm', ['run', 'worker'], workerEnv('supervisor-kill'));
    await w.waitFor('polling task queue', 120_000);
    process.kill(w.child.pid!, 'SIGKILL');
    t.diagnostic(`all gone ${await w.waitAllGone(20_000)} ms after SIGKILL`);
    assert.match(w.output, /parent process \d+ \(npm[^)]*\) exited/);
    assert.match(w.output, /trustflow worker: stopped/);
  });

  it('npm run worker:prod (exec node dist/src/worker/main.js, no build): SIGTERM to npm, graceful stop, exit code 0', async (t) => {
    const w = track('npm', ['run', 'worker:prod'], workerEnv('supervisor-prod'));
    await w.waitFor('polling task queue', 60_000);
    assert.doesNotMatch(w.output, /trustflow: build is up to date|compiling TypeScript/, 'no build step at all');
    process.kill(w.child.pid!, 'SIGTERM');
    t.diagnostic(`all gone ${await w.waitAllGone(20_000)} ms after SIGTERM`);
    assert.deepEqual(await w.exited, { code: 0, signal: null }, w.output);
    assert.match(w.output, /trustflow worker: stopped/);
  });

  it('a second start does not run tsc when nothing changed', async () => {
    const buildInfo = join(repoRoot, 'dist', '.tsbuildinfo');
    const before = statSync(buildInfo).mtimeMs;
    const w = track('npm', ['run', 'worker'], workerEnv('supervisor-no-build'));
    await w.waitFor('polling task queue', 60_000);
    assert.match(w.output, /trustflow: build is up to date/);
    assert.doesNotMatch(w.output, /compiling TypeScript/);
    assert.ok(!w.names().some((a) => /typescript\/bin\/tsc|\btsc\b -p/.test(a)), `tsc ran:\n${w.names().join('\n')}`);
    assert.equal(statSync(buildInfo).mtimeMs, before, 'dist/.tsbuildinfo untouched');
    process.kill(w.child.pid!, 'SIGTERM');
    await w.waitAllGone(20_000);
  });
});

describe('npm start under a supervisor', () => {
  it('SIGKILL of the start process: the Temporal dev server it started exits too (within 10 s)', async (t) => {
    // Straight from a temporary directory (no npm): the process a user or supervisor kills.
    const env = await startEnv('kill');
    const s = track(process.execPath, [join(repoRoot, 'dist', 'src', 'demo', 'start.js')], env, tmp);
    const port = Number(env.TRUSTFLOW_DEV_SERVER_PORT);
    // Ready: the CLI runs and serves (its port, or the next step of start.ts under way).
    for (
      const deadline = Date.now() + 60_000;
      !(s.names().some(isTemporal) && ((await listening(port)) || s.output.includes('sandbox running')));
    ) {
      assert.ok(Date.now() < deadline && s.child.exitCode === null, `the dev server did not start:\n${s.output}`);
      await sleep(200);
    }
    process.kill(s.child.pid!, 'SIGKILL');
    t.diagnostic(`all gone ${await s.waitAllGone(10_000)} ms after SIGKILL`);
  });

  it('SIGTERM to npm start: everything it started stops (within 30 s)', async (t) => {
    const s = track('npm', ['start'], await startEnv('term'));
    await s.waitFor('worker polling', 90_000);
    assert.ok(s.names().some(isTemporal), `the dev server runs:\n${s.names().join('\n')}`);
    process.kill(s.child.pid!, 'SIGTERM');
    t.diagnostic(`all gone ${await s.waitAllGone(30_000)} ms after SIGTERM`);
    assert.match(s.output, /SIGTERM: stopping/);
    assert.match(s.output, /everything stopped/, 'the stop ran to its end (no crash half-way)');
  });
});
