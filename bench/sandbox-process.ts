// What the bench scripts start: the sandbox in a process of its own, as providers are (the bench
// and the drills measure the worker's process without the simulators' CPU in it), and a dev server
// with the settings production gets (src/common/server-settings.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DataConverter } from '@temporalio/common';
import { allSearchAttributeKeys } from '../src/common/search-attributes.js';
import { devServerDynamicConfigArgs } from '../src/common/server-settings.js';
import type { SandboxManifest } from '../src/sandbox/index.js';
import { temporalCliPath } from '../test/helpers/temporal.js';

/** A dev server with trustflow's search attributes and server settings, its client on `dataConverter`. */
export function startScriptServer(dataConverter: DataConverter): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      ip: '127.0.0.1',
      searchAttributes: allSearchAttributeKeys,
      extraArgs: devServerDynamicConfigArgs(),
    },
    client: { dataConverter },
  });
}

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
