// The sandbox in a process of its own, as providers are: the bench and the drills measure the
// worker's process without the simulators' CPU in it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SandboxManifest } from '../src/sandbox/index.js';

export interface SandboxProcess {
  manifest: SandboxManifest;
  /** A service's admin base URL (without /__sandbox). */
  admin(service: string): string;
  stop(): Promise<void>;
}

export async function startSandboxProcess(dir: string): Promise<SandboxProcess> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(new URL('../src/sandbox/main.js', import.meta.url)), '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const manifestPath = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the sandbox process exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /manifest (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as SandboxManifest;
  return {
    manifest,
    admin: (service) => manifest.services[service]!.admin.replace(/\/__sandbox$/, ''),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
