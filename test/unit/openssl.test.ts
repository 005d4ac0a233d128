import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpensslError, runOpenssl, withPrivateTempDir } from '../../src/crypto/openssl.js';
import { existsSync, statSync } from 'node:fs';

describe('runOpenssl', () => {
  it('rejects with OpensslError (not an uncaught EPIPE) when openssl exits before reading its input', async () => {
    // 10 MB cannot fit in a pipe buffer: the write surely meets a closed pipe.
    await assert.rejects(
      runOpenssl(['cms', '-verify', '-in', '/nonexistent/trustflow.p7s'], { stdin: Buffer.alloc(10 * 1024 * 1024) }),
      (e: unknown) => {
        assert.ok(e instanceof OpensslError);
        assert.notEqual(e.exitCode, 0);
        return true;
      },
    );
  });

  it('passes stdin through and returns stdout', async () => {
    const { stdout } = await runOpenssl(['dgst', '-sha256', '-r'], { stdin: Buffer.from('abc') });
    assert.match(stdout.toString(), /^ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad/);
  });

  it('removes its private temp dir and files (0600) whatever happens', async () => {
    let seen = '';
    await assert.rejects(
      withPrivateTempDir(async (dir, writePrivate) => {
        seen = dir;
        const f = await writePrivate('key.pem', 'secret');
        assert.equal(statSync(f).mode & 0o777, 0o600);
        assert.equal(statSync(dir).mode & 0o777, 0o700);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.ok(seen && !existsSync(seen));
  });
});
