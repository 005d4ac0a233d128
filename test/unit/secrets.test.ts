import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretUnavailableError } from '../../src/common/errors.js';
import { SecretRefSchema } from '../../src/contracts/fields.js';
import { resolveSecret } from '../../src/secrets/resolve.js';

describe('secret references', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'trustflow-secrets-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('accepts env:NAME and file:/path only', () => {
    for (const ok of ['env:A', 'env:P12_PASSWORD', 'file:/etc/trustflow/pw']) assert.equal(SecretRefSchema.safeParse(ok).success, true, ok);
    for (const bad of ['Qwerty12', 'env:', 'env:1X', 'file:relative', 'vault:x', ''])
      assert.equal(SecretRefSchema.safeParse(bad).success, false, bad);
  });

  it('resolves an environment variable', async () => {
    process.env.TRUSTFLOW_TEST_SECRET = 's3cr3t';
    assert.equal(await resolveSecret('env:TRUSTFLOW_TEST_SECRET'), 's3cr3t');
  });

  it('resolves a file without its trailing newline', async () => {
    const f = join(dir, 'pw');
    await writeFile(f, 'Пароль-123\n');
    assert.equal(await resolveSecret(`file:${f}`), 'Пароль-123');
  });

  it('names the reference, never a value, when it cannot resolve', async () => {
    await assert.rejects(resolveSecret('env:TRUSTFLOW_TEST_UNSET'), (e: unknown) => {
      assert.ok(e instanceof SecretUnavailableError);
      assert.equal(e.reference, 'env:TRUSTFLOW_TEST_UNSET');
      assert.match(e.message, /env:TRUSTFLOW_TEST_UNSET: environment variable TRUSTFLOW_TEST_UNSET is not set/);
      return true;
    });
    await assert.rejects(resolveSecret(`file:${dir}/missing`), /file:.*missing: file does not exist/);
    // A secret pasted where a reference belongs is refused without being echoed.
    await assert.rejects(resolveSecret('Qwerty12'), (e: unknown) => {
      assert.ok(e instanceof SecretUnavailableError);
      assert.ok(!e.message.includes('Qwerty12'), e.message);
      assert.match(e.message, /expected 'env:NAME' or 'file:\/absolute\/path'/);
      return true;
    });
  });
});
