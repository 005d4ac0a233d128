// A real Temporal dev server for integration tests: the `temporal` CLI found or built by
// scripts/ensure-temporal, started by the SDK's TestWorkflowEnvironment with an existing path
// (never a download). One server per test file. Payloads are encrypted with a random test keyring
// (TEST_CODEC_KEYS, also handed to child processes), exactly as in production.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DataConverter } from '@temporalio/common';
import { encryptingDataConverter, failureConverterPath } from '../../src/codec/data-converter.js';
import { newKeyEntry, parseKeyring } from '../../src/codec/keyring.js';
import { allSearchAttributeKeys } from '../../src/common/search-attributes.js';
import { devServerDynamicConfigArgs } from '../../src/common/server-settings.js';
import { createLogger, type Logger } from '../../src/common/logger.js';
import { installRuntimeLogger } from '../../src/worker/runtime.js';
import { workflowPreloadModules, workflowsPath } from '../../src/worker/worker.js';
import { repoRoot } from './paths.js';

export const TEST_CODEC_KEYS = newKeyEntry(`test-${randomBytes(3).toString('hex')}`);
export const testKeyring = parseKeyring(TEST_CODEC_KEYS, 'test keyring');
export const testDataConverter: DataConverter = encryptingDataConverter(testKeyring);

let runtimeInstalled = false;
/** Routes the Temporal runtime's logs through a trustflow logger (WARN by default); once per process. */
export function installTestRuntime(logger: Logger = createLogger({ name: 'test', level: 'warn' })): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  installRuntimeLogger(logger);
}

export function temporalCliPath(): string {
  if (process.env.TEMPORAL_CLI_PATH) return process.env.TEMPORAL_CLI_PATH;
  return execFileSync(join(repoRoot, 'scripts', 'ensure-temporal'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export interface TestServerOptions {
  /** Default true. False only for recording replay histories that must not depend on a key. */
  encrypted?: boolean;
  /** Extra dev-server flags, e.g. the Web UI's --ui-codec-endpoint. */
  extraArgs?: string[];
  uiPort?: number;
  /** Dynamic config values that replace trustflow's server settings for this server (e.g. a lower limit). */
  dynamicConfig?: Record<string, unknown>;
}

export async function startTestServer(o: TestServerOptions = {}): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      ip: '127.0.0.1',
      searchAttributes: allSearchAttributeKeys,
      ...(o.uiPort ? { ui: true, uiPort: o.uiPort } : {}),
      // The server settings production gets too (src/common/server-settings.ts), then the test's own.
      extraArgs: [...devServerDynamicConfigArgs({ overrides: o.dynamicConfig }), ...(o.extraArgs ?? [])],
    },
    client: { dataConverter: o.encrypted === false ? {} : testDataConverter },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/**
 * The workflow bundle, built once per test process (webpack takes seconds). With the production
 * failure converter, so failures a workflow raises itself (InvalidInput, UnknownWorkflowType) are
 * stored encrypted in tests exactly as in production.
 */
export function testWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath,
    failureConverterPath,
    preloadModules: workflowPreloadModules,
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}
