#!/usr/bin/env node
// Bootstrap for the npm scripts that must work on a fresh clone (`npm start`, `npm test`, ...).
// Uses only Node built-ins: it runs before node_modules exists. It installs the npm packages when
// they are missing or older than package-lock.json, compiles TypeScript when dist/ is older than
// the sources, finds or builds the Temporal CLI when the command needs one, then runs the compiled
// entry point IN THIS PROCESS (start, worker, sandbox, codec-server), so there is one node process
// under npm and the entry point's own SIGINT/SIGTERM handling applies.
//
// Signals: npm runs a script as `sh -c '<script>'`, and forwards SIGINT/SIGTERM to that shell only.
// dash (/bin/sh on Debian/Ubuntu) does not pass them on: on SIGTERM it dies and leaves this process
// behind, on SIGINT it ignores it. So, besides handling its own signals, this process watches its
// parent (and, under npm, the npm process above the shell): when one of them goes away it stops
// itself as if it had received SIGTERM (graceful: the worker drains, the dev server is stopped).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...rest] = process.argv.slice(2);

// --- signals during the bootstrap (npm install, tsc, ensure-temporal) ---------------------------
let current; // the bootstrap child running now
function onBootstrapSignal(signal) {
  console.error(`trustflow: ${signal} during start-up; stopping`);
  if (current && current.exitCode === null && current.signalCode === null) {
    current.once('exit', () => process.exit(128 + constants.signals[signal]));
    // The whole group: ensure-temporal's `go install` and its compilers, not only the shell script.
    try {
      process.kill(-current.pid, signal);
    } catch {
      current.kill(signal);
    }
    setTimeout(() => process.exit(128 + constants.signals[signal]), 5000).unref();
  } else {
    process.exit(128 + constants.signals[signal]);
  }
}
const bootstrapSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const sig of bootstrapSignals) process.on(sig, onBootstrapSignal);
function endBootstrap() {
  for (const sig of bootstrapSignals) process.off(sig, onBootstrapSignal);
}

/** Runs a bootstrap step; exits with its status when it fails. Resolves to its stdout if piped. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    // Its own process group, so a stop reaches every process the step starts (see onBootstrapSignal).
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', detached: true, ...opts });
    current = child;
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.on('error', (err) => {
      console.error(`trustflow: cannot run '${cmd}': ${err.message}`);
      process.exit(1);
    });
    child.on('close', (code, signal) => {
      current = undefined;
      if (code === 0) return resolve(out);
      console.error(`trustflow: '${cmd} ${args.join(' ')}' failed (exit ${code ?? signal})`);
      process.exit(code ?? 1);
    });
  });
}

// --- parent watch ----------------------------------------------------------------------------------
/** pid, parent pid, state and start time of a process from /proc (Linux), or undefined. */
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return { state: f[0], ppid: Number(f[1]), start: f[19], comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) };
  } catch {
    return undefined;
  }
}

function watchParents() {
  const self = procStat('self');
  if (!self || self.ppid <= 1) return; // not Linux, or already a child of init: nothing to watch
  const watched = [{ pid: self.ppid, ...procStat(self.ppid) }];
  // Under npm the parent is `sh -c`, which npm signals instead of us: watch npm as well.
  if (process.env.npm_lifecycle_event && /^(sh|dash|bash)$/.test(watched[0].comm ?? '') && watched[0].ppid > 1) {
    watched.push({ pid: watched[0].ppid, ...procStat(watched[0].ppid) });
  }
  const timer = setInterval(() => {
    const reparented = procStat('self')?.ppid !== watched[0].pid;
    const gone = watched.find((w) => {
      const now = procStat(w.pid);
      return !now || now.start !== w.start || now.state === 'Z' || now.state === 'X';
    });
    if (!reparented && !gone) return;
    clearInterval(timer);
    console.error(
      `trustflow: parent process ${gone?.pid ?? watched[0].pid} (${gone?.comm ?? watched[0].comm}) exited; stopping as on SIGTERM`,
    );
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  timer.unref();
}

// --- npm install, tsc, temporal CLI -----------------------------------------------------------------
async function ensureInstalled() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // `npm install`, not `npm ci`: it installs the versions pinned in package-lock.json too, but does
  // not refuse a lock file that lacks optional packages a registry does not carry (@swc/core's
  // builds for other platforms are absent from some mirrors, and `npm ci` then fails).
  console.error('trustflow: installing npm packages...');
  await run('npm', ['install', '--no-audit', '--no-fund']);
}

const buildInfo = join(root, 'dist', '.tsbuildinfo');
// What the compiled output depends on. Directories count too (a file added, renamed or deleted).
const buildInputs = ['src', 'test', 'bench', 'tsconfig.json', 'package.json', 'package-lock.json', 'node_modules/.package-lock.json'];

function newestMtime(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  let newest = st.mtimeMs;
  if (st.isDirectory()) for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * Compiles unless dist/ is up to date: dist/.tsbuildinfo is newer than every build input and the
 * entry point exists. After a successful tsc the build info gets the time the build STARTED, so a
 * file saved during the build makes the next run compile again; after a failed one it gets time 0,
 * so the next run compiles (and reports the errors) again instead of running the stale output.
 */
async function build(entry) {
  const builtAt = existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : 0;
  const inputsAt = Math.max(...buildInputs.map((p) => newestMtime(join(root, p))));
  if (builtAt > inputsAt && (!entry || existsSync(entry))) {
    console.error('trustflow: build is up to date (dist/.tsbuildinfo is newer than the sources); skipping tsc');
    return;
  }
  console.error('trustflow: compiling TypeScript (tsc)...');
  const started = new Date();
  compiling = true;
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  compiling = false;
  if (existsSync(buildInfo)) utimesSync(buildInfo, started, started);
}
let compiling = false;
process.on('exit', () => {
  // tsc failed or was interrupted (run() exits the process): make sure the next run compiles again.
  if (compiling && existsSync(buildInfo)) utimesSync(buildInfo, 0, 0);
});

async function temporalCli() {
  const out = await run(join(root, 'scripts', 'ensure-temporal'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim();
}

function testFiles() {
  const out = [];
  for (const kind of ['unit', 'integration', 'replay', 'e2e', 'callers', 'cluster']) {
    const dir = join(root, 'dist', 'test', kind);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.test.js')) out.push(join(dir, f));
  }
  return out;
}

/** Runs the compiled entry point in this process, as if started with `node dist/src/<script> args`. */
async function runInProcess(script, args) {
  const entry = join(root, 'dist', 'src', script);
  process.chdir(root);
  process.argv = [process.argv[0], entry, ...args];
  endBootstrap(); // from here on the entry point's own SIGINT/SIGTERM handlers apply
  await import(pathToFileURL(entry).href);
}

/** A child node process (the test runner, the benchmark) with SIGINT/SIGTERM forwarded to it. */
function runChild(args, env) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  endBootstrap();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
}

const entries = { start: 'demo/start.js', worker: 'worker/main.js', sandbox: 'sandbox/main.js', 'codec-server': 'codec/main.js' };
if (!entries[command] && command !== 'test' && command !== 'bench') {
  console.error(`usage: node scripts/run.mjs start|test|bench|worker|sandbox|codec-server [args]`);
  process.exit(2);
}

watchParents();
await ensureInstalled();
await build(entries[command] ? join(root, 'dist', 'src', entries[command]) : undefined);

switch (command) {
  case 'start':
    if (!process.env.TEMPORAL_ADDRESS) process.env.TEMPORAL_CLI_PATH = await temporalCli();
    await runInProcess(entries.start, rest);
    break;
  case 'test': {
    // The whole suite starts with the lint and format checks (`npm run lint`); named files skip them.
    if (rest.length === 0) {
      console.error('trustflow: lint (eslint) and format (prettier --check)...');
      await run(process.execPath, [join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.']);
      await run(process.execPath, [join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--check', '.', '--log-level', 'warn']);
    }
    const files = rest.length > 0 ? rest : testFiles();
    runChild(['--test', '--test-concurrency=1', ...files], { TEMPORAL_CLI_PATH: await temporalCli() });
    break;
  }
  case 'bench':
    runChild([join(root, 'dist', 'bench', 'run.js'), ...rest], { TEMPORAL_CLI_PATH: await temporalCli() });
    break;
  default:
    await runInProcess(entries[command], rest);
}
