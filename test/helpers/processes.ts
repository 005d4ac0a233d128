// What the by-hand e2e tests run as separate processes: `npm run sandbox` (waiting for its manifest)
// and the `trustflow` CLI (its exit code and output, never a throw).
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SandboxManifest } from '../../src/sandbox/index.js';
import { repoRoot } from './paths.js';

const run = promisify(execFile);

/** The sandbox as `npm run sandbox -- --dir DIR` runs it, once it has written DIR/sandbox.json. */
export async function startSandboxProcess(dir: string): Promise<{ proc: ChildProcess; manifest: SandboxManifest }> {
  const proc = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'sandbox', 'main.js'), '--dir', dir], { stdio: 'ignore' });
  // Seconds when the machine is idle; a minute leaves room for a loaded CI machine (2 cores, other suites).
  for (let i = 0; !existsSync(join(dir, 'sandbox.json')); i++) {
    assert.ok(proc.exitCode === null, `sandbox exited (${proc.exitCode}) before writing its manifest`);
    assert.ok(i < 1200, 'sandbox did not write its manifest within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, manifest: JSON.parse(await readFile(join(dir, 'sandbox.json'), 'utf8')) as SandboxManifest };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A `trustflow ...` runner with the given environment. */
export function trustflowCli(env: () => NodeJS.ProcessEnv): (...args: string[]) => Promise<CliResult> {
  return (...args) =>
    run(process.execPath, [join(repoRoot, 'bin', 'trustflow.js'), ...args], { env: env() }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
}
