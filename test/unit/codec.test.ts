// Payload encryption: AES-256-GCM, random IV, key id in metadata, rotation, clear errors.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { dataConverterFor, isLocalAddress, UnencryptedRefusedError } from '../../src/codec/data-converter.js';
import { KeyringError, keyringFromEnv, newKeyEntry, parseKeyring } from '../../src/codec/keyring.js';
import { AesGcmPayloadCodec, CodecKeyMissingError, ENCRYPTED_ENCODING } from '../../src/codec/payload-codec.js';

const k1 = newKeyEntry('k1');
const k2 = newKeyEntry('k2');
const secret = { token: 'eyJ.secret-token.sig', password: 'Qwerty12' };
const payload = (): Payload => defaultPayloadConverter.toPayload(secret);
const text = (p: Payload) =>
  Buffer.concat([Buffer.from(p.data ?? []), ...Object.values(p.metadata ?? {}).map((v) => Buffer.from(v))]).toString('latin1');

describe('AesGcmPayloadCodec', () => {
  it('encrypts with the active key, names it in metadata, and round-trips', async () => {
    const codec = new AesGcmPayloadCodec(parseKeyring(k1, 't'));
    const [enc] = await codec.encode([payload()]);
    assert.equal(Buffer.from(enc!.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
    assert.equal(Buffer.from(enc!.metadata!['encryption-key-id']!).toString(), 'k1');
    assert.ok(!text(enc!).includes('secret-token') && !text(enc!).includes('Qwerty12'));
    const [dec] = await codec.decode([enc!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(dec!), secret);
  });

  it('uses a fresh IV for every payload', async () => {
    const codec = new AesGcmPayloadCodec(parseKeyring(k1, 't'));
    const [a, b] = await codec.encode([payload(), payload()]);
    assert.notDeepEqual(Buffer.from(a!.data!).subarray(0, 12), Buffer.from(b!.data!).subarray(0, 12));
  });

  it('rotates without downtime: new key encodes, old payloads still decode', async () => {
    const [old] = await new AesGcmPayloadCodec(parseKeyring(k1, 't')).encode([payload()]);
    const rotated = new AesGcmPayloadCodec(parseKeyring(`${k2},${k1}`, 't'));
    const [fresh] = await rotated.encode([payload()]);
    assert.equal(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString(), 'k2');
    const decoded = await rotated.decode([old!, fresh!]);
    assert.deepEqual(
      decoded.map((p) => defaultPayloadConverter.fromPayload(p)),
      [secret, secret],
    );
  });

  it('says which key id is missing', async () => {
    const [enc] = await new AesGcmPayloadCodec(parseKeyring(k2, 't')).encode([payload()]);
    await assert.rejects(new AesGcmPayloadCodec(parseKeyring(k1, 't')).decode([enc!]), (e: unknown) => {
      assert.ok(e instanceof CodecKeyMissingError);
      assert.equal(e.keyId, 'k2');
      assert.match(e.message, /codec key 'k2'.*TRUSTFLOW_CODEC_KEYS/);
      return true;
    });
  });

  it('refuses tampered ciphertext and a different key under the same id', async () => {
    const codec = new AesGcmPayloadCodec(parseKeyring(k1, 't'));
    const [enc] = await codec.encode([payload()]);
    const tampered = { ...enc!, data: Buffer.from(enc!.data!) };
    tampered.data[20]! ^= 1;
    await assert.rejects(codec.decode([tampered]), /failed authentication/);
    const impostor = new AesGcmPayloadCodec(parseKeyring(newKeyEntry('k1'), 't'));
    await assert.rejects(impostor.decode([enc!]), /failed authentication with codec key 'k1'/);
  });

  it('passes unencrypted payloads through on decode', async () => {
    const plain = payload();
    assert.deepEqual(await new AesGcmPayloadCodec(parseKeyring(k1, 't')).decode([plain]), [plain]);
  });
});

describe('keyring', () => {
  it('parses entries separated by commas and newlines, with comments (which may contain commas)', () => {
    const r = parseKeyring(`# keys: id:base64, first = active\n${k2}\n${k1} # old, keep for decoding`, 'file');
    assert.equal(r.activeKeyId, 'k2');
    assert.deepEqual([...r.keys.keys()], ['k2', 'k1']);
    assert.deepEqual([...parseKeyring(`${k1},${k2}`, 'env').keys.keys()], ['k1', 'k2']);
  });
  it('rejects bad entries without printing key material', () => {
    const short = `k3:${Buffer.alloc(16).toString('base64')}`;
    assert.throws(
      () => parseKeyring(short, 'env'),
      (e: unknown) =>
        e instanceof KeyringError && /key 'k3' must be 32 bytes.*got 16/.test(e.message) && !e.message.includes(short.slice(3)),
    );
    assert.throws(() => parseKeyring(`${k1},${k1}`, 'env'), /appears twice/);
    assert.throws(() => parseKeyring('no-colon-here', 'env'), /entry 1 must look like id:base64/);
    assert.throws(() => parseKeyring('# only a comment', 'env'), /no keys/);
  });
  it('reads TRUSTFLOW_CODEC_KEYS or TRUSTFLOW_CODEC_KEY_FILE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trustflow-keys-'));
    const file = join(dir, 'keys');
    await writeFile(file, `${k1}\n`);
    assert.equal(keyringFromEnv({ TRUSTFLOW_CODEC_KEYS: k2 })?.activeKeyId, 'k2');
    assert.equal(keyringFromEnv({ TRUSTFLOW_CODEC_KEY_FILE: file })?.activeKeyId, 'k1');
    assert.equal(keyringFromEnv({}), undefined);
    assert.throws(() => keyringFromEnv({ TRUSTFLOW_CODEC_KEY_FILE: join(dir, 'missing') }), /cannot read \(ENOENT\)/);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('safe defaults', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1:7233', 'localhost:7233', '[::1]:7233', '127.1.2.3:1']) assert.equal(isLocalAddress(a), true, a);
    for (const a of ['temporal.internal:7233', '10.0.0.5:7233', 'my-ns.tmprl.cloud:7233']) assert.equal(isLocalAddress(a), false, a);
  });
  it('refuses a non-local server without keys, TRUSTFLOW_ALLOW_UNENCRYPTED or not (that escape is for loopback only)', () => {
    assert.throws(() => dataConverterFor('temporal.internal:7233', {}), UnencryptedRefusedError);
    assert.throws(() => dataConverterFor('temporal.internal:7233', { TRUSTFLOW_ALLOW_UNENCRYPTED: '1' }), /loopback server only/);
    assert.equal(dataConverterFor('127.0.0.1:7233', {}).encrypted, false);
    const withKeys = dataConverterFor('temporal.internal:7233', { TRUSTFLOW_CODEC_KEYS: k1 });
    assert.equal(withKeys.encrypted, true);
    assert.equal(withKeys.dataConverter.payloadCodecs?.length, 1);
    assert.match(withKeys.dataConverter.failureConverterPath ?? '', /failure-converter\.js$/);
  });
});
