// AES-256-GCM payload encryption. Like Temporal's encryption samples, the whole Payload protobuf is
// encrypted; the result carries `encoding: binary/encrypted` and `encryption-key-id` in its metadata,
// and `data` = 12-byte random IV ‖ ciphertext ‖ 16-byte tag. Unlike them, the key id (UTF-8) is the
// GCM additional data, so a ciphertext cannot be passed off under another key id: a codec copied from
// a sample cannot read these payloads. docs/calling-trustflow.md and contract/codec-vectors.json are
// the contract other implementations check themselves against.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { FailureType, TrustflowError } from '../common/errors.js';
import type { Keyring } from './keyring.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_FIELD = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const { Payload: PayloadProto } = proto.temporal.api.common.v1;

export class CodecKeyMissingError extends TrustflowError {
  override readonly name = 'CodecKeyMissingError';
  constructor(readonly keyId: string) {
    super(
      `payload was encrypted with codec key '${keyId}', which this process does not have: ` +
        `add it to TRUSTFLOW_CODEC_KEYS / TRUSTFLOW_CODEC_KEY_FILE (after the active key) to decode`,
      FailureType.CodecKeyMissing,
      false,
    );
  }
}

/**
 * Encrypts the protobuf bytes of a Payload under `key` with this IV. The codec draws a fresh random
 * IV for every payload; a fixed one is for the published test vectors only (codec/vectors.ts).
 */
export function sealPayload(payloadProtobuf: Uint8Array, keyId: string, key: Buffer, iv: Buffer): Payload {
  if (iv.length !== IV_BYTES) throw new Error(`the IV must be ${IV_BYTES} bytes`);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyId, 'utf8')); // binds the ciphertext to the key id it claims
  const data = Buffer.concat([iv, cipher.update(payloadProtobuf), cipher.final(), cipher.getAuthTag()]);
  return { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_FIELD]: Buffer.from(keyId, 'utf8') }, data };
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.activeKeyId;
    const key = this.keyring.keys.get(keyId)!;
    return payloads.map((payload) => sealPayload(PayloadProto.encode(payload).finish(), keyId, key, randomBytes(IV_BYTES)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_FIELD];
      if (!keyIdBytes) throw new Error(`encrypted payload without ${KEY_ID_FIELD} metadata`);
      const keyId = Buffer.from(keyIdBytes).toString();
      const key = this.keyring.keys.get(keyId);
      if (!key) throw new CodecKeyMissingError(keyId);
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted payload is too short');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new Error(`encrypted payload failed authentication with codec key '${keyId}' (tampered, or a different key under that id)`);
      }
      return PayloadProto.decode(plain) as Payload;
    });
  }
}
