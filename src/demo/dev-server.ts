// Launches the Temporal CLI's dev server (a real Temporal server with SQLite and the Web UI) for
// `npm start`. Tests use TestWorkflowEnvironment.createLocal instead, with the same CLI binary.
// The CLI runs under watchdog.js, which stops it when this process dies in any way (even SIGKILL),
// and in its own process group, so a Ctrl-C in the terminal does not stop it before the worker
// has drained: stop() does that, last.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { devServerDynamicConfigArgs } from '../common/server-settings.js';

export interface DevServerOptions {
  cliPath: string;
  ip?: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  /** SQLite file, so runs survive restarts; omit for in-memory. */
  dbFile?: string;
  uiCodecEndpoint?: string;
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/** Runs a command and stops it when this process dies (see watchdog.ts). */
export const watchdogPath = fileURLToPath(new URL('./watchdog.js', import.meta.url));

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const ip = o.ip ?? '127.0.0.1';
  const port = o.port ?? 7233;
  const uiPort = o.uiPort ?? 8233;
  const address = `${ip}:${port}`;
  for (const p of [port, uiPort]) {
    if (await portInUse(ip, p)) {
      throw new Error(
        `${ip}:${p} is already in use. If a Temporal server runs there, set TEMPORAL_ADDRESS=${address} to use it; otherwise stop what holds the port.`,
      );
    }
  }
  if (o.dbFile) await mkdir(dirname(o.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--namespace',
    o.namespace ?? 'default',
    '--log-level',
    'warn',
    ...devServerDynamicConfigArgs(),
  ];
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  if (o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);

  // stdin: the pipe whose closing (this process gone) makes the watchdog stop the CLI.
  const child = spawn(process.execPath, [watchdogPath, o.cliPath, ...args], { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
  child.stdin!.on('error', () => {}); // EPIPE if the watchdog is gone already
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));

  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`temporal dev server exited during start-up: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        break;
      } finally {
        await connection.close();
      }
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGTERM'); // the watchdog stops the CLI (SIGTERM, SIGKILL after 10 s)
        throw new Error(`temporal dev server at ${address} did not become ready in time`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  return {
    address,
    uiUrl: `http://${ip}:${uiPort}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        // The watchdog sends SIGTERM to the CLI and SIGKILL 10 s later; this is the last resort.
        const timer = setTimeout(() => (child.kill('SIGKILL'), resolve()), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
