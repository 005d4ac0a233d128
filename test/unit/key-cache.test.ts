// The worker's key cache (src/crypto/keys/key-cache.ts): hits, invalidation by material, expiry, the LRU
// bound, failures never cached, concurrent misses sharing one open, the off switch and its
// settings; then through its real users: openKeyStoreFile (PKCS#12 files on disk behind a secret
// reference) and decryptCms (GOST keys checked once against the recipient certificate).
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it, type TestContext } from 'node:test';
import { KeyStoreError } from '../../src/common/errors.js';
import { CmsDecryptError, decryptCms } from '../../src/crypto/cms/decrypt.js';
import { runGostOpenssl } from '../../src/crypto/openssl-gost-engine.js';
import {
  KeyCache,
  keyCache,
  keyCacheSettingsFromEnv,
  DEFAULT_KEY_CACHE_SETTINGS,
  type KeyCacheSettings,
} from '../../src/crypto/keys/key-cache.js';
import { runOpenssl } from '../../src/crypto/openssl.js';
import { openKeyStoreFile, openPkcs12File, type KeyStore } from '../../src/crypto/keys/pkcs12.js';
import { createSandboxPki, type SandboxPki } from '../../src/sandbox/pki.js';
import { resolveSecret } from '../../src/secrets/resolve.js';
import { vectorsOrSkip } from '../helpers/paths.js';

/** A KeyCache on a clock the test moves by hand. */
function cacheAt(settings: Partial<KeyCacheSettings> = {}) {
  const clock = { now: 1_000_000 };
  const cache = new KeyCache({ ...DEFAULT_KEY_CACHE_SETTINGS, ...settings }, () => clock.now);
  return { cache, clock };
}

/** An open function that makes a fresh object each time and counts its calls. */
function counter(label = 'value') {
  const calls = { n: 0 };
  const open = () => {
    calls.n += 1;
    return { label, n: calls.n };
  };
  return { calls, open };
}

describe('KeyCache', () => {
  it('same slot and same material: the same object, opened once; hits are counted', async () => {
    const { cache } = cacheAt();
    const { calls, open } = counter();
    const material = ['dev:ino:size', Buffer.from('file bytes'), 'password'];
    const first = await cache.use('slot', material, open);
    const second = await cache.use('slot', [...material], open); // equal material, not the same array
    const third = await cache.use('slot', material, open);
    assert.equal(calls.n, 1);
    assert.equal(second, first);
    assert.equal(third, first);
    assert.deepEqual(cache.stats(), { entries: 1, hits: 2, misses: 1, invalidated: 0, evicted: 0 });
  });

  it('changed material reopens, counts an invalidation, and never returns the old value again', async () => {
    const { cache } = cacheAt();
    const { calls, open } = counter();
    const old = await cache.use('slot', [Buffer.from('bytes v1'), 'pw'], open);
    const fresh = await cache.use('slot', [Buffer.from('bytes v2'), 'pw'], open);
    assert.equal(calls.n, 2);
    assert.notEqual(fresh, old);
    assert.equal(cache.stats().invalidated, 1);
    // Back to the first material: the old entry was dropped, so it opens afresh again.
    const again = await cache.use('slot', [Buffer.from('bytes v1'), 'pw'], open);
    assert.equal(calls.n, 3);
    assert.notEqual(again, old);
    assert.equal(cache.stats().invalidated, 2);
    assert.equal(cache.stats().entries, 1);
  });

  it('a changed secret alone reopens; material parts are not confused by their boundaries', async () => {
    const { cache } = cacheAt();
    const { calls, open } = counter();
    await cache.use('slot', ['bytes', 'pw1'], open);
    await cache.use('slot', ['bytes', 'pw2'], open);
    assert.equal(calls.n, 2);
    // 'ab' + 'c' and 'a' + 'bc' concatenate alike but are different material.
    await cache.use('slot2', ['ab', 'c'], open);
    await cache.use('slot2', ['a', 'bc'], open);
    assert.equal(calls.n, 4);
    // A string and the same bytes as a Uint8Array are the same material.
    await cache.use('slot3', ['x'], open);
    await cache.use('slot3', [new Uint8Array([0x78])], open);
    assert.equal(calls.n, 5);
  });

  it('expires an entry after maxAgeMs (counted as evicted), not before', async () => {
    const { cache, clock } = cacheAt({ maxAgeMs: 60_000 });
    const { calls, open } = counter();
    const first = await cache.use('slot', ['m'], open);
    clock.now += 59_999;
    assert.equal(await cache.use('slot', ['m'], open), first);
    assert.equal(calls.n, 1);
    clock.now += 2; // 60 001 ms after opening
    const second = await cache.use('slot', ['m'], open);
    assert.equal(calls.n, 2);
    assert.notEqual(second, first);
    assert.equal(cache.stats().evicted, 1);
    assert.equal(cache.stats().invalidated, 0);
    // The reopened entry has its own, new lifetime.
    clock.now += 30_000;
    assert.equal(await cache.use('slot', ['m'], open), second);
    assert.equal(calls.n, 2);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const { cache } = cacheAt({ maxEntries: 2 });
    const opens: string[] = [];
    const use = (slot: string) =>
      cache.use(slot, ['m'], () => {
        opens.push(slot);
        return { slot };
      });
    const a = await use('a');
    await use('b');
    await use('c'); // drops a
    assert.deepEqual(opens, ['a', 'b', 'c']);
    assert.equal(cache.stats().entries, 2);
    assert.equal(cache.stats().evicted, 1);
    const c = await use('c'); // still there, and now the most recently used
    assert.deepEqual(opens, ['a', 'b', 'c']);
    const a2 = await use('a'); // reopened, drops b (less recently used than c)
    assert.deepEqual(opens, ['a', 'b', 'c', 'a']);
    assert.notEqual(a2, a);
    assert.equal(await use('c'), c);
    assert.deepEqual(opens, ['a', 'b', 'c', 'a']);
    await use('b');
    assert.deepEqual(opens, ['a', 'b', 'c', 'a', 'b']);
    assert.equal(cache.stats().entries, 2);
  });

  it('uses recency, not insertion order: a slot used again survives a newer one', async () => {
    const { cache } = cacheAt({ maxEntries: 2 });
    const opens: string[] = [];
    const use = (slot: string) =>
      cache.use(slot, ['m'], () => {
        opens.push(slot);
        return slot;
      });
    await use('a');
    await use('b');
    await use('a'); // hit: a is now more recent than b
    await use('c'); // drops b, not a
    await use('a');
    assert.deepEqual(opens, ['a', 'b', 'c']);
    await use('b');
    assert.deepEqual(opens, ['a', 'b', 'c', 'b']);
  });

  it('does not cache a failed open: the next call opens again and can succeed', async () => {
    const { cache } = cacheAt();
    let calls = 0;
    const open = async () => {
      calls += 1;
      if (calls === 1) throw new Error('wrong password');
      return { ok: calls };
    };
    await assert.rejects(cache.use('slot', ['m'], open), /wrong password/);
    assert.equal(cache.stats().entries, 0);
    const value = await cache.use('slot', ['m'], open);
    assert.deepEqual(value, { ok: 2 });
    assert.equal(await cache.use('slot', ['m'], open), value);
    assert.equal(calls, 2);
    // A synchronous throw is not cached either.
    let syncCalls = 0;
    const syncOpen = () => {
      syncCalls += 1;
      if (syncCalls === 1) throw new Error('damaged');
      return 'fine';
    };
    await assert.rejects(cache.use('other', ['m'], syncOpen), /damaged/);
    assert.equal(await cache.use('other', ['m'], syncOpen), 'fine');
    assert.equal(syncCalls, 2);
  });

  it('concurrent misses for the same material share one open', async () => {
    const { cache } = cacheAt();
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const open = async () => {
      calls += 1;
      await gate;
      return { opened: calls };
    };
    const pending = Array.from({ length: 5 }, () => cache.use('slot', [Buffer.from('same'), 'pw'], open));
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1, 'the other four callers wait for the first open');
    release();
    const values = await Promise.all(pending);
    assert.equal(calls, 1);
    for (const v of values) assert.equal(v, values[0]);
    assert.equal(await cache.use('slot', [Buffer.from('same'), 'pw'], open), values[0]);
    assert.equal(calls, 1);
  });

  it('concurrent misses whose open fails all see the failure, and nothing is cached', async () => {
    const { cache } = cacheAt();
    let calls = 0;
    const open = async () => {
      calls += 1;
      await new Promise((r) => setImmediate(r));
      if (calls === 1) throw new Error('boom');
      return 'ok';
    };
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => cache.use('slot', ['m'], open)));
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(await cache.use('slot', ['m'], open), 'ok');
    assert.equal(calls, 2);
  });

  for (const settings of [{ maxAgeMs: 0 }, { maxEntries: 0 }]) {
    it(`${JSON.stringify(settings)} turns caching off: every call opens`, async () => {
      const { cache } = cacheAt(settings);
      const { calls, open } = counter();
      const a = await cache.use('slot', ['m'], open);
      const b = await cache.use('slot', ['m'], open);
      const c = await cache.use('slot', ['m'], open);
      assert.equal(calls.n, 3);
      assert.notEqual(a, b);
      assert.notEqual(b, c);
      assert.equal(cache.stats().entries, 0);
      assert.equal(cache.stats().hits, 0);
    });
  }

  it('clear() drops every entry', async () => {
    const { cache } = cacheAt();
    const { calls, open } = counter();
    const a = await cache.use('slot', ['m'], open);
    cache.clear();
    assert.equal(cache.stats().entries, 0);
    assert.notEqual(await cache.use('slot', ['m'], open), a);
    assert.equal(calls.n, 2);
  });

  it('clear() during an open: that open does not store its result afterwards', async () => {
    const { cache } = cacheAt();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pending = cache.use('slot', ['m'], async () => {
      await gate;
      return { old: true };
    });
    cache.clear();
    release();
    assert.deepEqual(await pending, { old: true }); // its caller still gets it
    assert.equal(cache.stats().entries, 0);
    const fresh = await cache.use('slot', ['m'], () => ({ old: false }));
    assert.deepEqual(fresh, { old: false });
  });

  it('an open from before clear() ending does not stop later callers joining the open after it', async () => {
    const { cache } = cacheAt();
    const gates = [0, 1].map(() => {
      let release!: () => void;
      return { done: new Promise<void>((r) => (release = r)), release: () => release() };
    });
    let opens = 0;
    const open = (gate: { done: Promise<void> }) => async () => {
      opens += 1;
      await gate.done;
      return { n: opens };
    };
    const before = cache.use('slot', ['m'], open(gates[0]!));
    cache.clear();
    const second = cache.use('slot', ['m'], open(gates[1]!));
    gates[0]!.release();
    await before;
    const third = cache.use('slot', ['m'], open(gates[1]!)); // joins the second open
    gates[1]!.release();
    assert.equal(await third, await second);
    assert.equal(opens, 2);
  });
});

describe('keyCacheSettingsFromEnv', () => {
  it('defaults to 600 s and 32 entries', () => {
    assert.deepEqual(keyCacheSettingsFromEnv({}), { maxAgeMs: 600_000, maxEntries: 32 });
    assert.deepEqual(keyCacheSettingsFromEnv({ TRUSTFLOW_KEY_CACHE_SECONDS: '', TRUSTFLOW_KEY_CACHE_ENTRIES: '' }), {
      maxAgeMs: 600_000,
      maxEntries: 32,
    });
    assert.deepEqual(DEFAULT_KEY_CACHE_SETTINGS, { maxAgeMs: 600_000, maxEntries: 32 });
  });

  it('reads both variables (seconds become milliseconds; 0 is allowed)', () => {
    assert.deepEqual(keyCacheSettingsFromEnv({ TRUSTFLOW_KEY_CACHE_SECONDS: '90', TRUSTFLOW_KEY_CACHE_ENTRIES: '5' }), {
      maxAgeMs: 90_000,
      maxEntries: 5,
    });
    assert.deepEqual(keyCacheSettingsFromEnv({ TRUSTFLOW_KEY_CACHE_SECONDS: '0' }), { maxAgeMs: 0, maxEntries: 32 });
    assert.deepEqual(keyCacheSettingsFromEnv({ TRUSTFLOW_KEY_CACHE_ENTRIES: '0' }), { maxAgeMs: 600_000, maxEntries: 0 });
  });

  for (const name of ['TRUSTFLOW_KEY_CACHE_SECONDS', 'TRUSTFLOW_KEY_CACHE_ENTRIES']) {
    for (const bad of ['abc', '-1', '1.5', ' ', '0x10', '1e3']) {
      it(`refuses ${name}=${bad}, naming the variable`, () => {
        assert.throws(
          () => keyCacheSettingsFromEnv({ [name]: bad }),
          (e: unknown) => {
            assert.ok(e instanceof Error);
            assert.ok(e.message.includes(`${name}=${bad}`), e.message);
            assert.match(e.message, /whole number/);
            return true;
          },
        );
      });
    }
  }
});

describe('openKeyStoreFile through the key cache', () => {
  const ENV = 'TRUSTFLOW_TEST_KEY_CACHE_P12_PASSWORD';
  const ref = `env:${ENV}`;
  let dir: string;
  let pki: SandboxPki;
  let workPath: string;
  let alicePassword: string;
  let bobUnderAlicePassword: Buffer;

  const passwordOf = async (name: string) => (await readFile(pki.users[name]!.passwordRef.slice('file:'.length), 'utf8')).trim();
  const nodeKey = (store: KeyStore) => {
    assert.equal(store.key.kind, 'node');
    return store.key.kind === 'node' ? store.key.keyObject : assert.fail('not a Node key');
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-key-cache-'));
    pki = await createSandboxPki(dir, [
      { name: 'alice', commonName: 'ТЕСТ АЛИСА', iin: '900101300017', encryption: 'aes-256' },
      { name: 'bob', commonName: 'ТЕСТ БОБ', iin: '850202400026', encryption: 'aes-256' },
    ]);
    alicePassword = await passwordOf('alice');
    // Bob's key and certificates re-exported under Alice's password: a replaced file, same secret.
    const pem = await runOpenssl(['pkcs12', '-in', pki.users['bob']!.p12Path, '-passin', 'env:IN', '-nodes'], {
      env: { IN: await passwordOf('bob') },
    });
    const pemPath = join(dir, 'bob.pem');
    await writeFile(pemPath, pem.stdout, { mode: 0o600 });
    bobUnderAlicePassword = (
      await runOpenssl(['pkcs12', '-export', '-in', pemPath, '-passout', 'env:OUT'], { env: { OUT: alicePassword } })
    ).stdout;
    await rm(pemPath);
    workPath = join(dir, 'work.p12');
  });
  after(async () => {
    delete process.env[ENV];
    keyCache.clear();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => keyCache.clear());
  afterEach(() => keyCache.clear());

  it('serves the opened file from the cache, and reopens when the file, its inode or the password changes', async () => {
    await copyFile(pki.users['alice']!.p12Path, workPath);
    process.env[ENV] = alicePassword;

    // Two opens: one PKCS#12 decryption, the very same objects.
    const s1 = await openKeyStoreFile(workPath, ref, resolveSecret);
    const hits = keyCache.stats().hits;
    const s2 = await openKeyStoreFile(workPath, ref, resolveSecret);
    assert.equal(s2, s1);
    assert.equal(nodeKey(s2), nodeKey(s1));
    assert.equal(keyCache.stats().hits, hits + 1);
    assert.ok(pki.users['alice']!.certificate.checkPrivateKey(nodeKey(s1)));
    // openPkcs12File goes through the same entry.
    assert.equal((await openPkcs12File(workPath, ref, resolveSecret)).privateKey, nodeKey(s1));

    // The file overwritten in place with another user's key store (same password): the new key.
    await writeFile(workPath, bobUnderAlicePassword);
    const invalidated = keyCache.stats().invalidated;
    const s3 = await openKeyStoreFile(workPath, ref, resolveSecret);
    assert.notEqual(nodeKey(s3), nodeKey(s1));
    assert.ok(pki.users['bob']!.certificate.checkPrivateKey(nodeKey(s3)));
    assert.ok(!pki.users['alice']!.certificate.checkPrivateKey(nodeKey(s3)));
    assert.equal(s3.certificates[0]!.fingerprint256, pki.users['bob']!.certificate.fingerprint256);
    assert.equal(keyCache.stats().invalidated, invalidated + 1);
    assert.equal(await openKeyStoreFile(workPath, ref, resolveSecret), s3);

    // Replaced by rename with identical bytes (a new inode): opened afresh, and correctly.
    const tmp = join(dir, 'work.p12.tmp');
    await writeFile(tmp, await readFile(workPath));
    await rename(tmp, workPath);
    const s4 = await openKeyStoreFile(workPath, ref, resolveSecret);
    assert.notEqual(s4, s3);
    assert.equal(keyCache.stats().invalidated, invalidated + 2);
    assert.ok(pki.users['bob']!.certificate.checkPrivateKey(nodeKey(s4)));
    assert.equal(await openKeyStoreFile(workPath, ref, resolveSecret), s4);

    // The secret now says something wrong: the cache does not hide it.
    process.env[ENV] = 'not-the-password';
    await assert.rejects(openKeyStoreFile(workPath, ref, resolveSecret), (e: unknown) => {
      assert.ok(e instanceof KeyStoreError, String(e));
      assert.match(e.message, /wrong password/);
      assert.ok(!e.message.includes('not-the-password'));
      return true;
    });
    await assert.rejects(openKeyStoreFile(workPath, ref, resolveSecret), KeyStoreError); // not cached either

    // Put right again: opens (and is cached again).
    process.env[ENV] = alicePassword;
    const s5 = await openKeyStoreFile(workPath, ref, resolveSecret);
    assert.ok(pki.users['bob']!.certificate.checkPrivateKey(nodeKey(s5)));
    assert.equal(await openKeyStoreFile(workPath, ref, resolveSecret), s5);
  });

  it('a different user file with its own password (file: reference) opens its own key', async () => {
    const bob = pki.users['bob']!;
    const alice = pki.users['alice']!;
    const b = await openKeyStoreFile(bob.p12Path, bob.passwordRef, resolveSecret);
    const a = await openKeyStoreFile(alice.p12Path, alice.passwordRef, resolveSecret);
    assert.notEqual(nodeKey(a), nodeKey(b));
    assert.ok(bob.certificate.checkPrivateKey(nodeKey(b)));
    assert.ok(alice.certificate.checkPrivateKey(nodeKey(a)));
    assert.equal(await openKeyStoreFile(bob.p12Path, bob.passwordRef, resolveSecret), b);
    assert.equal(await openKeyStoreFile(alice.p12Path, alice.passwordRef, resolveSecret), a);
  });

  it('a missing file is a KeyStoreError, and a file that appears later opens', async () => {
    const path = join(dir, 'later.p12');
    process.env[ENV] = alicePassword;
    await assert.rejects(openKeyStoreFile(path, ref, resolveSecret), (e: unknown) => {
      assert.ok(e instanceof KeyStoreError);
      assert.match(e.message, /does not exist/);
      return true;
    });
    await copyFile(pki.users['alice']!.p12Path, path);
    const store = await openKeyStoreFile(path, ref, resolveSecret);
    assert.ok(pki.users['alice']!.certificate.checkPrivateKey(nodeKey(store)));
  });
});

describe('decryptCms through the key cache (TC26 GOST vectors)', () => {
  async function vectors(t: TestContext) {
    const dir = vectorsOrSkip(t, 'tc26_cms');
    if (!dir) return undefined;
    const read = (f: string) => readFile(join(dir, f));
    return {
      dir,
      cms: await read('encrypted_keytrans_a231.pem'),
      key256: await read('recipient256_key.pem'),
      key512: await read('recipient512_key.pem'),
      cert256: await read('recipient256_cert.pem'),
      // The reference file ends with a newline that the CMS content does not have.
      plain: (await read('plain/text_decrypted.plain')).subarray(0, -1),
    };
  }
  beforeEach(() => keyCache.clear());
  after(() => keyCache.clear());

  it('decrypts twice, the second time with the key from the cache; a wrong key is still refused', async (t) => {
    const v = await vectors(t);
    if (!v) return;
    const first = await decryptCms({ cms: v.cms, key: { format: 'pem', pem: v.key256 }, certificate: v.cert256 });
    assert.deepEqual(first, v.plain);
    const before = keyCache.stats();
    const second = await decryptCms({ cms: v.cms, key: { format: 'pem', pem: v.key256 }, certificate: v.cert256 });
    assert.deepEqual(second, v.plain);
    const afterSecond = keyCache.stats();
    assert.equal(afterSecond.hits, before.hits + 1);
    assert.equal(afterSecond.misses, before.misses);

    // The 512-bit recipient's key with the 256-bit recipient's certificate: same cache slot (the
    // certificate), other material: checked afresh and refused.
    await assert.rejects(
      decryptCms({ cms: v.cms, key: { format: 'pem', pem: v.key512 }, certificate: v.cert256 }),
      (e: unknown) => e instanceof CmsDecryptError && e.reason === 'key-mismatch',
    );
    assert.equal(keyCache.stats().hits, afterSecond.hits);
    await assert.rejects(
      decryptCms({ cms: v.cms, key: { format: 'pem', pem: v.key512 }, certificate: v.cert256 }),
      (e: unknown) => e instanceof CmsDecryptError && e.reason === 'key-mismatch',
      'a mismatch is not cached as a success',
    );
    // And the right key still works afterwards.
    assert.deepEqual(await decryptCms({ cms: v.cms, key: { format: 'pem', pem: v.key256 }, certificate: v.cert256 }), v.plain);
  });

  it('a password-protected PEM key: right password decrypts, then the same bytes with a wrong password fail', async (t) => {
    const v = await vectors(t);
    if (!v) return;
    const encrypted = (await runGostOpenssl(['pkey', '-in', join(v.dir, 'recipient256_key.pem'), '-aes256', '-passout', 'pass:pw1']))
      .stdout;
    assert.match(encrypted.toString(), /-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const withPassword = (password: string) =>
      decryptCms({ cms: v.cms, key: { format: 'pem', pem: encrypted, password }, certificate: v.cert256 });

    assert.deepEqual(await withPassword('pw1'), v.plain);
    await assert.rejects(withPassword('wrong'), (e: unknown) => {
      assert.ok(e instanceof CmsDecryptError, String(e));
      assert.equal(e.reason, 'bad-password');
      return true;
    });
    // The right password again: still works (the failure was not cached, the good entry was not kept for 'wrong').
    assert.deepEqual(await withPassword('pw1'), v.plain);
  });
});
