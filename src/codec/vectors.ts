// The published test vectors of trustflow's payload encryption (contract/codec-vectors.json): fixed
// keys, IVs and payloads → the exact encrypted payloads, plus payloads a correct decoder must refuse.
// Another implementation (a Go or Java service that encrypts locally) checks itself against them.
// Deterministic: the keys are SHA-256 of a label, so the file can be regenerated and compared.
import { createHash } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { ENCRYPTED_ENCODING, sealPayload } from './payload-codec.js';

const { Payload: PayloadProto } = proto.temporal.api.common.v1;

/** A Payload as the codec server's JSON carries it: metadata values and data in base64. */
export interface PayloadJson {
  metadata: Record<string, string>;
  data?: string;
}

export interface CodecVectorKey {
  id: string;
  /** 32 bytes, base64. A published test key: never use it for anything else. */
  keyBase64: string;
}

export interface CodecVector {
  name: string;
  key: CodecVectorKey;
  ivHex: string;
  /** The payload before encryption (what a payload converter made). */
  payload: PayloadJson;
  /** Its protobuf encoding (temporal.api.common.v1.Payload): the exact bytes that were encrypted. */
  payloadProtobufBase64: string;
  /** The result: metadata {encoding, encryption-key-id}, data = IV ‖ ciphertext ‖ tag. */
  encrypted: PayloadJson;
}

export interface CodecRefusalVector {
  name: string;
  /** Why a correct decoder refuses it. */
  why: string;
  keys: CodecVectorKey[];
  encrypted: PayloadJson;
}

export interface CodecVectorsDocument {
  description: string;
  format: Record<string, string>;
  vectors: CodecVector[];
  mustFail: CodecRefusalVector[];
}

function testKey(id: string): CodecVectorKey {
  return { id, keyBase64: createHash('sha256').update(`trustflow codec test vector key ${id}`).digest('base64') };
}

function toJson(p: Payload): PayloadJson {
  const out: PayloadJson = {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
  if (p.data && p.data.length > 0) out.data = Buffer.from(p.data).toString('base64');
  return out;
}

function vector(name: string, key: CodecVectorKey, ivHex: string, payload: Payload): CodecVector {
  const plain = PayloadProto.encode(payload).finish();
  return {
    name,
    key,
    ivHex,
    payload: toJson(payload),
    payloadProtobufBase64: Buffer.from(plain).toString('base64'),
    encrypted: toJson(sealPayload(plain, key.id, Buffer.from(key.keyBase64, 'base64'), Buffer.from(ivHex, 'hex'))),
  };
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

export function codecTestVectors(): CodecVectorsDocument {
  const k1 = testKey('vector-k1');
  const k2 = testKey('k2026b');
  const json = vector(
    'json input',
    k1,
    '000102030405060708090a0b',
    // One metadata entry per payload: a map's entry order is not fixed across protobuf libraries.
    {
      metadata: { encoding: utf8('json/plain') },
      data: utf8('{"baseUrl":"https://stand.example/api/v3/true-api","note":"Қазақ тілі, русский"}'),
    },
  );
  const nil = vector('null (no data)', k1, 'ffeeddccbbaa998877665544', { metadata: { encoding: utf8('binary/null') } });
  const other = vector('another key id', k2, 'a1a2a3a4a5a6a7a8a9aaabac', {
    metadata: { encoding: utf8('json/plain') },
    data: utf8('{"token":"not-a-real-token"}'),
  });

  const data = Buffer.from(json.encrypted.data!, 'base64');
  const flipped = Buffer.from(data);
  flipped[flipped.length - 1]! ^= 0x01;
  return {
    description:
      "trustflow's payload encryption (src/codec/payload-codec.ts): fixed keys, IVs and payloads and the exact encrypted " +
      'payloads they give. The keys are published test keys, never to be used for anything else. Payloads are written as the ' +
      "codec server's JSON carries them: metadata values and data in base64; an absent data means empty bytes.",
    format: {
      algorithm: 'AES-256-GCM, 12-byte IV, 16-byte tag',
      plaintext: 'the protobuf encoding of the whole temporal.api.common.v1.Payload (metadata and data)',
      additionalData: 'the key id, UTF-8 (the value of the encryption-key-id metadata)',
      data: 'IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes)',
      metadata: `encoding = "${ENCRYPTED_ENCODING}", encryption-key-id = the key id (both UTF-8)`,
      keyring: 'TRUSTFLOW_CODEC_KEYS="id:base64,id:base64": the first key encrypts, every key decrypts',
      decoding:
        'a payload whose encoding is not binary/encrypted passes through unchanged; an unknown key id, a failed tag or a missing key id is an error, never a pass-through',
    },
    vectors: [json, nil, other],
    mustFail: [
      {
        name: 'key id changed',
        why: 'the key id is the additional data: the same key under another id does not authenticate',
        keys: [k1, { id: 'vector-k1-renamed', keyBase64: k1.keyBase64 }],
        encrypted: {
          ...json.encrypted,
          metadata: { ...json.encrypted.metadata, 'encryption-key-id': utf8('vector-k1-renamed').toString('base64') },
        },
      },
      {
        name: 'tag changed',
        why: 'the last byte of the tag was flipped',
        keys: [k1],
        encrypted: { ...json.encrypted, data: flipped.toString('base64') },
      },
      {
        name: 'unknown key id',
        why: 'the decoder has no key of that id (CodecKeyMissing), and must not pass the payload through',
        keys: [k2],
        encrypted: json.encrypted,
      },
    ],
  };
}
