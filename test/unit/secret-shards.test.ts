// k-of-n shards of a container password: every k-subset recovers the secret, k-1 shards give a
// wrong value that does not open the container, a wrong password names the shard, and the envelopes
// are standard PKCS#8 PBES2 (checked with openssl asn1parse and re-decrypted with Node's own primitives).
import assert from 'node:assert/strict';
import { createDecipheriv, createPrivateKey, generateKeyPairSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import forge from 'node-forge';
import { InvalidInputError, KeyStoreError } from '../../src/common/errors.js';
import { runOpenssl } from '../../src/crypto/openssl.js';
import { protectSecretWithShards, recoverSecretFromShards, SECRET_SHARE_OID } from '../../src/sandbox/kpsis/secret-shards.js';

/** All k-element subsets of [0..n). */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k), ...subsets(n - 1, k - 1).map((s) => [...s, n - 1])];
}

describe('secret shards (Shamir k-of-n, each share in a PKCS#8 PBES2 envelope)', () => {
  const ITERATIONS = 10_000;
  // Repeated passwords as in the KPSIS seed, and a Cyrillic one (UTF-8 bytes into PBKDF2).
  const passwords = ['12345678', 'пароль-хранителя-2', '12345678', 'p@ss word 4', '87654321'];
  const secret = new Uint8Array(randomBytes(16));
  let pems: string[];
  const shardsAt = (idx: number[]) => idx.map((i) => ({ pem: pems[i]!, password: passwords[i]! }));

  before(async () => {
    pems = await protectSecretWithShards(secret, passwords, 3, ITERATIONS);
  });

  it('makes one shard per password, all different, each an ENCRYPTED PRIVATE KEY PEM', () => {
    assert.equal(pems.length, 5);
    for (const pem of pems) {
      assert.ok(pem.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----\n'), pem.slice(0, 40));
      assert.ok(pem.trimEnd().endsWith('-----END ENCRYPTED PRIVATE KEY-----'));
      assert.ok(!pem.includes('\r'));
    }
    assert.equal(new Set(pems).size, 5);
  });

  it('recovers the secret from EVERY 3-subset, 4-subset and the 5-set (10 + 5 + 1), in any order', async () => {
    let tried = 0;
    for (const k of [3, 4, 5]) {
      for (const idx of subsets(5, k)) {
        const recovered = await recoverSecretFromShards(shardsAt(idx));
        assert.deepEqual(Buffer.from(recovered), Buffer.from(secret), `subset ${idx.join(',')}`);
        tried++;
      }
    }
    assert.equal(tried, 16);
    assert.deepEqual(Buffer.from(await recoverSecretFromShards(shardsAt([4, 0, 2]))), Buffer.from(secret));
  });

  it('accepts a Buffer as the secret (the Shamir library itself takes only a plain Uint8Array)', async () => {
    const buf = randomBytes(24);
    const shards = await protectSecretWithShards(buf, ['a', 'b', 'c'], 2, ITERATIONS);
    const recovered = await recoverSecretFromShards([
      { pem: shards[2]!, password: 'c' },
      { pem: shards[0]!, password: 'a' },
    ]);
    assert.deepEqual(Buffer.from(recovered), buf);
    assert.equal(buf.length, 24);
    assert.ok(
      buf.some((b) => b !== 0),
      "the caller's secret is not wiped",
    );
  });

  it('2 shards (below the threshold) yield a wrong value of the same length, and the container under the secret does not open with it', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const container = privateKey.export({
      type: 'pkcs8',
      format: 'der',
      cipher: 'aes-256-cbc',
      passphrase: Buffer.from(secret).toString('hex'),
    });
    // Control: the real secret opens it.
    createPrivateKey({ key: container, format: 'der', type: 'pkcs8', passphrase: Buffer.from(secret).toString('hex') });
    for (const idx of subsets(5, 2)) {
      const wrong = await recoverSecretFromShards(shardsAt(idx));
      assert.equal(wrong.length, secret.length);
      assert.notDeepEqual(Buffer.from(wrong), Buffer.from(secret), `subset ${idx.join(',')}`);
      assert.throws(
        () => createPrivateKey({ key: container, format: 'der', type: 'pkcs8', passphrase: Buffer.from(wrong).toString('hex') }),
        `subset ${idx.join(',')} must not open the container`,
      );
    }
  });

  it('a wrong password on one shard throws KeyStoreError naming its position, never the password', async () => {
    const shards = shardsAt([0, 1, 2]);
    shards[1] = { ...shards[1]!, password: 'не-тот-пароль' };
    await assert.rejects(recoverSecretFromShards(shards), (e: unknown) => {
      assert.ok(e instanceof KeyStoreError, String(e));
      assert.match(e.message, /shard 2 of 3/);
      for (const p of [...passwords, 'не-тот-пароль']) assert.ok(!e.message.includes(p), 'message must not contain a password');
      return true;
    });
    // The right password for another shard is still the wrong one here.
    await assert.rejects(recoverSecretFromShards([{ pem: pems[1]!, password: passwords[0]! }, ...shardsAt([2, 3])]), /shard 1 of 3/);
  });

  it('refuses a shard given twice, something that is not a shard, fewer than 2 shards and bad parameters', async () => {
    await assert.rejects(recoverSecretFromShards(shardsAt([0, 0, 1])), KeyStoreError);
    await assert.rejects(
      recoverSecretFromShards([
        ...shardsAt([0, 1]),
        { pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', password: 'x' },
      ]),
      /shard 3 of 3/,
    );
    // A real PKCS#8 key under the right password is still not a share.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    await assert.rejects(recoverSecretFromShards([...shardsAt([0, 1]), { pem: ecPem, password: 'pw' }]), /shard 3 of 3/);
    await assert.rejects(recoverSecretFromShards(shardsAt([0])), InvalidInputError);
    await assert.rejects(protectSecretWithShards(secret, ['a', 'b'], 3, ITERATIONS), InvalidInputError);
    await assert.rejects(
      protectSecretWithShards(
        secret,
        Array.from({ length: 17 }, (_, i) => `p${i}`),
        3,
        ITERATIONS,
      ),
      InvalidInputError,
    );
    await assert.rejects(protectSecretWithShards(secret, ['a', 'b'], 2, 9_999), InvalidInputError);
    await assert.rejects(protectSecretWithShards(secret, ['a', ''], 2, ITERATIONS), InvalidInputError);
    await assert.rejects(protectSecretWithShards(new Uint8Array(0), ['a', 'b'], 2, ITERATIONS), InvalidInputError);
  });

  it('openssl asn1parse shows PBES2, PBKDF2, hmacWithSHA256, aes-256-cbc, an 8-byte salt and the iteration count', async () => {
    const [pem] = await protectSecretWithShards(secret, ['a', 'b'], 2, 12_345);
    for (const [p, iterations] of [
      [pems[0]!, ITERATIONS],
      [pem!, 12_345],
    ] as const) {
      const out = (await runOpenssl(['asn1parse'], { stdin: Buffer.from(p) })).stdout.toString();
      assert.match(out, /OBJECT +:PBES2/);
      assert.match(out, /OBJECT +:PBKDF2/);
      assert.match(out, /OBJECT +:hmacWithSHA256/);
      assert.match(out, /OBJECT +:aes-256-cbc/);
      assert.match(out, /l= +8 prim: +OCTET STRING +\[HEX DUMP\]:[0-9A-F]{16}\n/);
      assert.match(out, new RegExp(`INTEGER +:${iterations.toString(16).toUpperCase()}\\n`), `iteration count ${iterations}`);
    }
  });

  it("opens with Node's own PBKDF2-HMAC-SHA256 + AES-256-CBC under the UTF-8 password: a PrivateKeyInfo with the share OID", async () => {
    const i = 1; // the Cyrillic password
    const epki = forge.asn1.fromDer(forge.pem.decode(pems[i]!)[0]!.body);
    const der = Buffer.from(forge.asn1.toDer(epki).getBytes(), 'binary');
    const parsed = (await runOpenssl(['asn1parse', '-inform', 'DER'], { stdin: der })).stdout.toString();
    const hex = (re: RegExp) => Buffer.from(re.exec(parsed)![1]!, 'hex');
    const salt = hex(/OCTET STRING +\[HEX DUMP\]:([0-9A-F]{16})\n/);
    const iv = hex(/aes-256-cbc\n.*OCTET STRING +\[HEX DUMP\]:([0-9A-F]{32})\n/);
    const iterations = parseInt(/INTEGER +:([0-9A-F]+)\n/.exec(parsed)![1]!, 16);
    const data = hex(/d=1 .*OCTET STRING +\[HEX DUMP\]:([0-9A-F]+)\n/);
    assert.equal(iterations, ITERATIONS);
    const key = pbkdf2Sync(Buffer.from(passwords[i]!, 'utf8'), salt, iterations, 32, 'sha256');
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    const info = Buffer.concat([decipher.update(data), decipher.final()]);
    const inner = (await runOpenssl(['asn1parse', '-inform', 'DER'], { stdin: info })).stdout.toString();
    assert.match(inner, /INTEGER +:00\n/);
    assert.ok(inner.includes(`OBJECT            :${SECRET_SHARE_OID}`), inner);
    assert.match(inner, /l= +17 prim: OCTET STRING/, 'share = 16 secret bytes + 1 x-coordinate byte');
  });
});
