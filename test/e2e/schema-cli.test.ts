// `trustflow schema` as a caller's developer uses it: no server, no keys; one schema on stdout for jq,
// usage errors that say what to type, and --check/--write keeping a copy of contract/ in step.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { trustflowCli } from '../helpers/processes.js';

// An environment without Temporal or codec settings: the command must need none.
const cli = trustflowCli(() => ({ PATH: process.env.PATH ?? '' }));
let tmp: string;

describe('trustflow schema', () => {
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'trustflow-schema-'));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('prints the committed schema of a flow, by workflow type or CLI name, as JSON jq reads', async () => {
    const byType = await cli('schema', 'kiscVerifyIdentity', '--result');
    assert.equal(byType.code, 0, byType.stderr);
    assert.equal(byType.stdout, await readFile(join(repoRoot, 'contract', 'schemas', 'kiscVerifyIdentity.result.schema.json'), 'utf8'));
    const byCliName = await cli('schema', 'kisc-verify-identity', '--result');
    assert.equal(byCliName.stdout, byType.stdout);
    const signer = execFileSync('jq', ['-c', '.properties.signer.oneOf | map(.properties.kind.const)'], {
      input: (await cli('schema', 'mptSignIn')).stdout,
    });
    assert.equal(signer.toString().trim(), '["pkcs12","person"]');
  });

  it('prints contract.json with --index', async () => {
    const r = await cli('schema', '--index');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, await readFile(join(repoRoot, 'contract', 'contract.json'), 'utf8'));
  });

  it('answers a misspelled flow, a flow with --index, nothing at all, and an empty directory with usage errors', async () => {
    const typo = await cli('schema', 'mptSigin');
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown flow 'mptSigin'; did you mean 'mptSignIn'\?/);
    assert.equal(typo.stdout, '');
    for (const args of [['mptSignIn', '--index'], [], ['--write', ''], ['--check', ' ']]) {
      const r = await cli('schema', ...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /usage: trustflow schema \[<flow>\]/);
    }
    assert.equal((await cli('schema', 'mptTokenKeeper')).code, 2, 'an entity is not a flow callers start');
  });

  it('--check says which files differ (exit 1); --write brings the copy back in step and removes a stale schema', async () => {
    const copy = join(tmp, 'contract');
    await cp(join(repoRoot, 'contract'), copy, { recursive: true });
    assert.equal((await cli('schema', '--check', copy)).code, 0);

    await writeFile(join(copy, 'schemas', 'mptSignIn.input.schema.json'), '{}\n');
    await writeFile(join(copy, 'schemas', 'oldFlow.input.schema.json'), '{}\n');
    const differs = await cli('schema', '--check', copy);
    assert.equal(differs.code, 1);
    assert.match(
      differs.stderr,
      /schemas\/mptSignIn\.input\.schema\.json, schemas\/oldFlow\.input\.schema\.json \(stale\); run: trustflow schema --write/,
    );

    const written = await cli('schema', '--write', copy);
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stderr, /1 written, 1 stale removed/);
    assert.equal((await cli('schema', '--check', copy)).code, 0);
  });
});
