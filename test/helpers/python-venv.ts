// A Python virtual environment for a caller test: `python3 -m venv` and the caller's pinned
// requirements.txt installed with pip, kept under .tools/ (git-ignored) and reused while the
// requirements and the interpreter are the same (a stamp in the venv records both).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** temporalio 1.35.0 needs Python >= 3.10. */
export const MIN_PYTHON: readonly [number, number] = [3, 10];

export type PythonVenv =
  { ok: true; python: string; reused: boolean; seconds: number; interpreter: string } | { ok: false; missing: string };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

function run(cmd: string, args: string[], o: { timeoutMs: number; cwd?: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: o.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, cwd: o.cwd, env: o.env ?? process.env },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr, ...(error ? { error: error as NodeJS.ErrnoException } : {}) });
      },
    );
  });
}

/** The last lines of a command's output, for a message. */
const tail = (r: Ran, lines = 8) =>
  (r.stderr.trim() || r.stdout.trim() || r.error?.message || '(no output)').split('\n').slice(-lines).join('\n');

/**
 * Creates (or reuses) a venv at `venvDir` with `requirements` installed. `interpreter` is the base
 * Python (TRUSTFLOW_PYTHON, else python3 on PATH). Says what is missing instead of throwing.
 */
export async function pythonVenv(o: { venvDir: string; requirements: string; interpreter?: string }): Promise<PythonVenv> {
  const started = performance.now();
  const interpreter = o.interpreter ?? process.env.TRUSTFLOW_PYTHON ?? 'python3';
  const probe = await run(interpreter, ['-c', 'import json, sys; print(json.dumps([list(sys.version_info[:3]), sys.executable]))'], {
    timeoutMs: 30_000,
  });
  if (probe.error?.code === 'ENOENT') return { ok: false, missing: `${interpreter} (not found; set TRUSTFLOW_PYTHON to a Python >= 3.10)` };
  if (probe.code !== 0) return { ok: false, missing: `a working ${interpreter} (it failed: ${tail(probe, 3)})` };
  const [version, executable] = JSON.parse(probe.stdout) as [[number, number, number], string];
  const [major, minor] = version;
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]))
    return {
      ok: false,
      missing: `Python >= ${MIN_PYTHON.join('.')} (${interpreter} is ${version.join('.')}; temporalio 1.35.0 needs 3.10 or later)`,
    };

  const python = join(o.venvDir, 'bin', 'python');
  const stampFile = join(o.venvDir, '.trustflow-requirements.sha256');
  const stamp = createHash('sha256')
    .update(await readFile(o.requirements))
    .update(`\n${version.join('.')} ${executable}\n`)
    .digest('hex');
  if (existsSync(python) && existsSync(stampFile) && (await readFile(stampFile, 'utf8')).trim() === stamp) {
    const check = await run(python, ['-c', 'import temporalio'], { timeoutMs: 60_000 });
    if (check.code === 0) return { ok: true, python, reused: true, seconds: (performance.now() - started) / 1000, interpreter: executable };
  }

  await rm(o.venvDir, { recursive: true, force: true });
  const venv = await run(interpreter, ['-m', 'venv', o.venvDir], { timeoutMs: 120_000 });
  if (venv.code !== 0 || !existsSync(python))
    return {
      ok: false,
      missing: `the venv module of ${executable} (python -m venv failed: ${tail(venv, 4)}; on Debian/Ubuntu: apt-get install python3-venv)`,
    };
  // --only-binary: every pin has a wheel; building temporalio from source would need Rust.
  const pip = await run(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--only-binary=:all:', '-r', o.requirements],
    { timeoutMs: 600_000 },
  );
  if (pip.code !== 0) return { ok: false, missing: `the pinned packages of ${o.requirements} (pip install failed:\n${tail(pip)})` };
  const check = await run(python, ['-c', 'import temporalio'], { timeoutMs: 60_000 });
  if (check.code !== 0) return { ok: false, missing: `an importable temporalio after pip install (${tail(check, 4)})` };
  await writeFile(stampFile, `${stamp}\n`);
  return { ok: true, python, reused: false, seconds: (performance.now() - started) / 1000, interpreter: executable };
}
