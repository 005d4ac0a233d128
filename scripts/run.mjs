#!/usr/bin/env node
// Bootstrap for the npm scripts that must work on a fresh clone (`npm start`, `npm test`, ...).
// Uses only Node built-ins: it runs before node_modules exists. It installs the npm packages when
// they are missing or older than package-lock.json, compiles TypeScript, finds or builds the
// Temporal CLI when the command needs one, then hands over to the compiled entry point.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...rest] = process.argv.slice(2);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`trustflow: '${cmd} ${args.join(' ')}' failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  return r;
}

function ensureInstalled() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // `npm install`, not `npm ci`: it installs the versions pinned in package-lock.json too, but does
  // not refuse a lock file that lacks optional packages a registry does not carry (@swc/core's
  // builds for other platforms are absent from some mirrors, and `npm ci` then fails).
  console.error('trustflow: installing npm packages...');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

function build() {
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
}

function temporalCli() {
  const r = spawnSync(join(root, 'scripts', 'ensure-temporal'), [], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  return r.stdout.trim();
}

function testFiles() {
  const out = [];
  for (const kind of ['unit', 'integration', 'replay', 'e2e']) {
    const dir = join(root, 'dist', 'test', kind);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.test.js')) out.push(join(dir, f));
  }
  return out;
}

// Replaces this process with the compiled program, forwarding signals so Ctrl-C reaches it.
function handOver(script, args, env = {}) {
  const child = spawn(process.execPath, [join(root, 'dist', 'src', script), ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

ensureInstalled();
build();

switch (command) {
  case 'start':
    handOver('worker/start.js', rest, process.env.TEMPORAL_ADDRESS ? {} : { TEMPORAL_CLI_PATH: temporalCli() });
    break;
  case 'test': {
    const cli = temporalCli();
    const files = rest.length > 0 ? rest : testFiles();
    const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, TEMPORAL_CLI_PATH: cli },
    });
    process.exit(r.status ?? 1);
  }
  case 'bench': {
    const r = spawnSync(process.execPath, [join(root, 'dist', 'bench', 'run.js'), ...rest], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, TEMPORAL_CLI_PATH: temporalCli() },
    });
    process.exit(r.status ?? 1);
  }
  case 'worker':
    handOver('worker/main.js', rest);
    break;
  case 'sandbox':
    handOver('sandbox/main.js', rest);
    break;
  case 'codec-server':
    handOver('codec/main.js', rest);
    break;
  default:
    console.error(`usage: node scripts/run.mjs start|test|bench|worker|sandbox|codec-server [args]`);
    process.exit(2);
}
