// scripts/local-cluster's default folder (DIR = ./.local-cluster) where the caller's folder is private:
// a clone under /root (0700), run as root. PostgreSQL then runs as the postgres user, which must reach
// its data folder. `check` prepares DIR and that folder exactly as `up` does before its long build,
// so this runs in seconds (initdb proves PostgreSQL can use the folder), without Go or a server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/paths.js';

const run = promisify(execFile);
const script = join(repoRoot, 'scripts', 'local-cluster');
const asRoot = process.getuid?.() === 0;
let clone: string;

/** `scripts/local-cluster ARGS` in `cwd`: exit code and output, never a throw. */
async function localCluster(cwd: string, ...args: string[]) {
  return run(script, args, { cwd, timeout: 120_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

const field = (stdout: string, name: string) => new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(stdout)?.[1];

before(async () => {
  // mkdtemp makes it 0700: a private folder, as /root is.
  clone = await mkdtemp(join(tmpdir(), 'trustflow-private-clone-'));
});

after(async () => {
  await localCluster(clone, 'down', '--purge');
  await rm(clone, { recursive: true, force: true });
});

describe('scripts/local-cluster in a private folder, with its default DIR', () => {
  it('prepares a PostgreSQL folder the user PostgreSQL runs as can use, without opening the private folder', async () => {
    assert.equal(statSync(clone).mode & 0o777, 0o700);
    const checked = await localCluster(clone, 'check');
    assert.equal(checked.code, 0, checked.stderr);
    const dir = field(checked.stdout, 'local cluster folder');
    const pgDir = field(checked.stdout, 'PostgreSQL folder');
    const pgBin = field(checked.stdout, 'PostgreSQL programs');
    assert.equal(dir, join(clone, '.local-cluster'), 'the default DIR: .local-cluster in the current folder');
    assert.ok(pgDir && pgBin, checked.stdout);
    assert.equal(statSync(clone).mode & 0o777, 0o700, 'the private folder stays private');

    if (asRoot) {
      // PostgreSQL refuses root: it runs as postgres, which cannot enter the clone, so its folder is elsewhere.
      assert.ok(!pgDir.startsWith(clone + '/'), `PostgreSQL's folder ${pgDir} is inside the private folder`);
      assert.ok(lstatSync(join(dir, 'pg')).isSymbolicLink(), 'DIR/pg points at it, for down and the next up');
      const initdb = await run(
        'runuser',
        ['-u', 'postgres', '--', join(pgBin, 'initdb'), '-D', join(pgDir, 'data'), '-U', 'temporal', '--auth=trust'],
        {
          cwd: '/',
          timeout: 120_000,
        },
      ).then(
        () => 0,
        (e: { code: number; stderr: string }) => assert.fail(`initdb as postgres in ${pgDir}: ${e.stderr}`),
      );
      assert.equal(initdb, 0);
    } else {
      assert.equal(pgDir, join(dir, 'pg'), 'as another user PostgreSQL runs as that user, in DIR/pg');
    }

    // Again: the same folder (a later up finds its database).
    const again = await localCluster(clone, 'check');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(field(again.stdout, 'PostgreSQL folder'), pgDir);

    const down = await localCluster(clone, 'down', '--purge');
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!existsSync(dir), 'down --purge removed DIR');
    assert.ok(!existsSync(pgDir), "down --purge removed PostgreSQL's folder");
  });

  it('keeps PostgreSQL in DIR/pg when the postgres user can reach DIR (a --dir under the system temp folder)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trustflow-cluster-dir-')); // 0700 itself, in a searchable /tmp
    try {
      const checked = await localCluster(clone, 'check', '--dir', dir);
      assert.equal(checked.code, 0, checked.stderr);
      assert.equal(field(checked.stdout, 'PostgreSQL folder'), join(dir, 'pg'));
      assert.ok(!lstatSync(join(dir, 'pg')).isSymbolicLink());
      if (asRoot) assert.match(checked.stdout, /\(owner postgres\)/);
    } finally {
      await localCluster(clone, 'down', '--dir', dir, '--purge');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
