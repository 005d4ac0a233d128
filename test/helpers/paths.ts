// Where things are, seen from the compiled tests (dist/test/...).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const sharedDir = process.env.TRUSTFLOW_SHARED_DIR ?? resolve(repoRoot, '..', 'shared');
export const vectorsDir = join(sharedDir, 'vectors');

/**
 * Published vectors live outside the repository (../shared/vectors). Without them a test skips with
 * a printed reason on a developer machine, and fails in CI (CI=true), where they must be present.
 */
export function vectorsOrSkip(t: TestContext, ...parts: string[]): string | undefined {
  return sharedOrSkip(t, 'published vectors', join(vectorsDir, ...parts));
}

/** A provider's seed document (../shared/seeds), under the same rule as the vectors. */
export function seedOrSkip(t: TestContext, file: string): string | undefined {
  return sharedOrSkip(t, 'provider seed', join(sharedDir, 'seeds', file));
}

function sharedOrSkip(t: TestContext, what: string, path: string): string | undefined {
  if (existsSync(path)) return path;
  const reason = `${what} not found at ${path} (set TRUSTFLOW_SHARED_DIR)`;
  if (process.env.CI) throw new Error(reason);
  console.log(`# SKIP: ${reason}`);
  t.skip(reason);
  return undefined;
}
