// The production topology as separate processes (scripts/local-cluster): PostgreSQL, a real Temporal
// server on it and N `node dist/src/worker/main.js` workers. One cluster per test file; the first
// start builds the server with Go (minutes), later ones take about 20 s.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';

const run = promisify(execFile);
const script = join(repoRoot, 'scripts', 'local-cluster');

/** DIR/cluster.json as scripts/local-cluster writes it. */
interface ClusterJson {
  address: string;
  namespace: string;
  httpAddress: string;
  serverMetricsUrl: string;
  postgres: { host: string; port: number; socketDir: string; user: string; secretsFile: string };
  codecKeyFile: string;
  workers: { index: number; pid: number; metricsUrl: string; log: string }[];
  serverPid: number;
  serverLog: string;
}

export interface LocalCluster {
  dir: string;
  address: string;
  namespace: string;
  httpAddress: string;
  codecKeyFile: string;
  serverMetricsUrl: string;
  serverPid: number;
  postgres: ClusterJson['postgres'] & { password: string };
  workers: { index: number; pid: number; metricsUrl: string; log: string }[];
  /** Sends `signal` to worker `index` and resolves once the process is gone (rejects after timeoutMs). */
  killWorker(index: number, signal: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  /** `down --purge`: stops the workers, the server and PostgreSQL and removes the directory. */
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  workers: number;
  /** Default: a new directory under the system temp dir (reachable by the `postgres` user when root). */
  dir?: string;
  /** Added to this process's environment for the script and so for the workers (TRUSTFLOW_*, OTEL_*, ...). */
  env?: Record<string, string>;
  /** For `up`; default 15 min, room for the one-time Go build of temporal-server. */
  timeoutMs?: number;
}

/** Whether `pid` is a live process (a zombie counts as gone: nobody of ours will reap it). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return false;
  }
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'trustflow-cluster-')));
  const env = { ...process.env, ...opts.env };
  try {
    await run(script, ['up', '--dir', dir, '--workers', String(opts.workers)], {
      cwd: repoRoot,
      env,
      timeout: opts.timeoutMs ?? 15 * 60_000,
      killSignal: 'SIGTERM',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    // up stops what it started when it fails; make sure, and keep the directory for the logs.
    await run(script, ['down', '--dir', dir], { cwd: repoRoot }).catch(() => undefined);
    throw new Error(`scripts/local-cluster up failed (logs in ${dir}): ${e.message}\n${e.stderr ?? ''}`, { cause: err });
  }
  const c = JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterJson;
  const secrets = await readFile(c.postgres.secretsFile, 'utf8');
  const password = /^POSTGRES_PASSWORD=(.*)$/m.exec(secrets)?.[1] ?? '';
  return {
    dir,
    address: c.address,
    namespace: c.namespace,
    httpAddress: c.httpAddress,
    codecKeyFile: c.codecKeyFile,
    serverMetricsUrl: c.serverMetricsUrl,
    serverPid: c.serverPid,
    postgres: { ...c.postgres, password },
    workers: c.workers,
    killWorker: async (index, signal, timeoutMs = 30_000) => {
      const w = c.workers.find((x) => x.index === index);
      if (!w) throw new Error(`no worker ${index} in ${dir}/cluster.json`);
      try {
        process.kill(w.pid, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') return;
        throw err;
      }
      const deadline = Date.now() + timeoutMs;
      while (processAlive(w.pid)) {
        if (Date.now() > deadline) throw new Error(`worker ${index} (pid ${w.pid}) still running ${timeoutMs} ms after ${signal}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      await run(script, ['down', '--dir', dir, '--purge'], { cwd: repoRoot, timeout: 120_000 });
    },
  };
}
