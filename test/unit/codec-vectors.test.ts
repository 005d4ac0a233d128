// The published codec test vectors (contract/codec-vectors.json): the committed file is what the code
// produces, trustflow's codec and codec server read every vector and refuse every mustFail entry, and
// WebCrypto (another AES-GCM API, reading the documented format only) decrypts them too. The Go
// caller's tests check the same file from an independent implementation (test/callers/go).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { parseKeyring } from '../../src/codec/keyring.js';
import { AesGcmPayloadCodec, sealPayload } from '../../src/codec/payload-codec.js';
import { CodecServer } from '../../src/codec/server.js';
import { codecTestVectors, type CodecVectorKey, type PayloadJson } from '../../src/codec/vectors.js';
import { createLogger } from '../../src/common/logger.js';
import { codecVectorsPath } from '../helpers/caller-env.js';

const committed = JSON.parse(readFileSync(codecVectorsPath, 'utf8')) as ReturnType<typeof codecTestVectors>;
const keyringOf = (keys: CodecVectorKey[]) => parseKeyring(keys.map((k) => `${k.id}:${k.keyBase64}`).join(','), 'vector keys');
const fromJson = (p: PayloadJson): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): PayloadJson => {
  const out: PayloadJson = {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
  if (p.data && p.data.length > 0) out.data = Buffer.from(p.data).toString('base64');
  return out;
};

describe('codec test vectors', () => {
  it('the committed file is what src/codec/vectors.ts produces (regenerate: trustflow schema --write contract)', () => {
    assert.deepEqual(committed, codecTestVectors());
    assert.ok(committed.vectors.length >= 3 && committed.mustFail.length >= 3);
  });

  for (const v of committed.vectors) {
    it(`${v.name}: sealed with its IV gives exactly the published bytes; the codec reads it back`, async () => {
      const sealed = sealPayload(
        Buffer.from(v.payloadProtobufBase64, 'base64'),
        v.key.id,
        Buffer.from(v.key.keyBase64, 'base64'),
        Buffer.from(v.ivHex, 'hex'),
      );
      assert.deepEqual(toJson(sealed), v.encrypted);
      const [decoded] = await new AesGcmPayloadCodec(keyringOf([v.key])).decode([fromJson(v.encrypted)]);
      assert.deepEqual(toJson(decoded!), v.payload);
    });

    it(`${v.name}: WebCrypto decrypts it from the documented format alone`, async () => {
      const data = Buffer.from(v.encrypted.data!, 'base64');
      assert.equal(data.subarray(0, 12).toString('hex'), v.ivHex, 'data starts with the IV');
      const key = await webcrypto.subtle.importKey('raw', Buffer.from(v.key.keyBase64, 'base64'), 'AES-GCM', false, ['decrypt']);
      const keyId = Buffer.from(v.encrypted.metadata['encryption-key-id']!, 'base64');
      assert.equal(keyId.toString(), v.key.id);
      const plain = await webcrypto.subtle.decrypt(
        { name: 'AES-GCM', iv: data.subarray(0, 12), additionalData: keyId, tagLength: 128 },
        key,
        data.subarray(12),
      );
      assert.equal(Buffer.from(plain).toString('base64'), v.payloadProtobufBase64);
      const payload = proto.temporal.api.common.v1.Payload.decode(new Uint8Array(plain));
      assert.deepEqual(toJson(payload as Payload), v.payload);
    });
  }

  for (const f of committed.mustFail) {
    it(`${f.name}: refused (${f.why})`, async () => {
      await assert.rejects(new AesGcmPayloadCodec(keyringOf(f.keys)).decode([fromJson(f.encrypted)]));
    });
  }

  it('the codec server decodes every vector and refuses every mustFail entry with a 400', async () => {
    const post = async (keys: CodecVectorKey[], payloads: PayloadJson[]) => {
      const server = new CodecServer({
        codec: new AesGcmPayloadCodec(keyringOf(keys)),
        port: 0,
        corsOrigins: [],
        logger: createLogger({ level: 'silent' }),
      });
      await server.listen();
      try {
        const res = await fetch(`${server.url}/default/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ payloads }),
        });
        return { status: res.status, body: (await res.json()) as { payloads?: PayloadJson[]; error?: string } };
      } finally {
        await server.close();
      }
    };
    const keys = [...new Map(committed.vectors.map((v) => [v.key.id, v.key])).values()];
    const ok = await post(
      keys,
      committed.vectors.map((v) => v.encrypted),
    );
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ok.body.payloads!.map((p) => ({ metadata: p.metadata, ...(p.data ? { data: p.data } : {}) })),
      committed.vectors.map((v) => v.payload),
    );
    for (const f of committed.mustFail) {
      const refused = await post(f.keys, [f.encrypted]);
      assert.equal(refused.status, 400, f.name);
      assert.match(refused.body.error ?? '', /codec key/, f.name);
    }
  });
});
