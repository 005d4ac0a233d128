// The one place that spawns the OpenSSL command-line tool. Secrets never go in argv: passwords
// through `-passin env:VAR` (set in `env` here), keys through 0600 files in a private temp dir.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailureType, TrustflowError } from '../common/errors.js';

export class OpensslError extends TrustflowError {
  override readonly name = 'OpensslError';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly signal: NodeJS.Signals | null = null,
  ) {
    // A crash (signal) may be the machine's state: retryable; a refusal (exit code) is the input's: not.
    super(
      `openssl ${args[0] ?? ''} ${signal ? `crashed (${signal})` : `failed (exit ${exitCode})`}: ${stderr.trim().split('\n')[0] ?? ''}`,
      FailureType.CryptoFailed,
      signal !== null,
    );
  }
}

export interface OpensslOptions {
  /** Extra environment variables, e.g. a password for `-passin env:NAME`. */
  env?: Record<string, string>;
  stdin?: Uint8Array;
  cwd?: string;
}

export const opensslBinary = process.env.TRUSTFLOW_OPENSSL ?? 'openssl';

export function runOpenssl(args: string[], opts: OpensslOptions = {}): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(opensslBinary, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new Error(`the openssl command was not found (${opensslBinary}); install OpenSSL 3 or set TRUSTFLOW_OPENSSL`)
          : e,
      ),
    );
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else reject(new OpensslError(args, code, stderr, signal));
    });
    if (child.stdin) {
      // OpenSSL may exit (bad arguments, unreadable file) before reading its input: the write then
      // fails with EPIPE, which must not become an uncaught exception. The exit code tells the story.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin);
    }
  });
}

/** Runs `fn` with a fresh private (0700) temp dir that is removed afterwards, whatever happens. */
export async function withPrivateTempDir<T>(
  fn: (dir: string, writePrivate: (name: string, data: Uint8Array | string) => Promise<string>) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'trustflow-'));
  const writePrivate = async (name: string, data: Uint8Array | string) => {
    const path = join(dir, name);
    await writeFile(path, data, { mode: 0o600 });
    return path;
  };
  try {
    return await fn(dir, writePrivate);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
