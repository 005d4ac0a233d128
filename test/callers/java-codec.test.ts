// The Java snippet of docs/calling-trustflow.md, compiled against the Temporal Java SDK with Maven,
// and its codec checked against contract/codec-vectors.json by JUnit (test/callers/java). It starts no
// flow: the Go and Python callers do that. Without Java and Maven it skips with the reason, and fails
// in CI (CI set), where .ci/run installs them.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

const projectDir = join(repoRoot, 'test', 'callers', 'java');
/** A cold Maven repository downloads ~50 MB: tens of seconds; more on a loaded machine. */
const MAVEN_TIMEOUT_MS = 10 * 60_000;

function missingTools(): string | undefined {
  const missing = ['java', 'mvn'].filter((tool) => spawnSync(tool, ['-version'], { stdio: 'ignore' }).status !== 0);
  return missing.length ? `${missing.join(' and ')} (a JDK >= 17 and Maven)` : undefined;
}

describe("the docs' Java codec (Temporal Java SDK, Maven)", () => {
  it('compiles and reads, writes and refuses exactly what the published vectors say', async (t) => {
    const missing = missingTools();
    if (missing) {
      const reason = `Java caller: missing ${missing}`;
      if (process.env.CI) assert.fail(reason);
      console.log(`# SKIP: ${reason}`);
      t.skip(reason);
      return;
    }
    const reportsDir = join(projectDir, 'target', 'surefire-reports');
    rmSync(reportsDir, { recursive: true, force: true }); // only this run's reports are read below
    const started = Date.now();
    const child = spawn('mvn', ['-q', '-B', 'test'], { cwd: projectDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n(test: mvn still running after ${MAVEN_TIMEOUT_MS / 1000} s; killed)`;
      child.kill('SIGKILL');
    }, MAVEN_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    assert.equal(code, 0, `mvn -q -B test failed:\n${output.slice(-4000)}`);

    const summary = readdirSync(reportsDir)
      .filter((f) => f.endsWith('.txt'))
      .map((f) => readFileSync(join(reportsDir, f), 'utf8'))
      .join('\n');
    // One summary line per test class: add them up.
    const lines = [...summary.matchAll(/Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)/g)];
    assert.ok(lines.length > 0, `no surefire summary in ${reportsDir}`);
    const [run, failures, errors, skipped] = [1, 2, 3, 4].map((i) => lines.reduce((sum, m) => sum + Number(m[i]), 0));
    t.diagnostic(
      `JUnit: ${run} run, ${failures} failures, ${errors} errors, ${skipped} skipped in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    assert.ok(run! >= 10, `${run} JUnit tests ran`);
    assert.deepEqual([failures, errors, skipped], [0, 0, 0]);
  });
});
