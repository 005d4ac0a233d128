// `node watchdog.js <command> [args...]`: runs <command> and stops it when the process that started
// the watchdog dies, even by SIGKILL (Node has no PR_SET_PDEATHSIG). The parent holds the write end
// of this process's stdin and never writes to it; the kernel closes that pipe when the parent exits,
// however it exits, and the watchdog sees end-of-file. Used for the Temporal dev server of `npm start`.
//
//   stdin EOF / error, SIGTERM, SIGINT, SIGHUP  ->  SIGTERM to <command>, SIGKILL 10 s later
//   <command> exits                             ->  the watchdog exits with its status (128+n for signal n)
// <command>'s stdout and stderr are the watchdog's own (inherited).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node watchdog.js <command> [args...]');
  process.exit(2);
}

const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;

function stop(why: string): void {
  if (stopping) return;
  stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (process.env.TRUSTFLOW_WATCHDOG_DEBUG) console.error(`watchdog: ${why}; stopping ${command} (pid ${child.pid})`);
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
}

child.on('error', (err) => {
  console.error(`watchdog: cannot start ${command}: ${err.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));

process.stdin.on('data', () => {}); // nothing is ever written; reading is what detects the close
process.stdin.on('end', () => stop('parent gone (stdin closed)'));
process.stdin.on('error', () => stop('parent gone (stdin error)'));
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
