// HMAC on Streebog and the key derivation function of RFC 7836 §4, in plain TypeScript: CryptoPro
// CSP derives the key-encryption key of an exported 2012 key with KDF_GOSTR3411_2012_256 (the
// CryptoPro PFX key bag, cryptopro-pfx.ts). Pinned by test/unit/gost-kdf.test.ts against the RFC's
// appendix B examples.
import { streebog256, streebog512 } from './streebog.js';

/** Streebog's block: HMAC pads its key to 64 bytes (RFC 7836 §4.1). */
const BLOCK = 64;

// RFC 2104 HMAC: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ text)); a key longer than a block is hashed first.
function hmac(hash: (data: Uint8Array) => Uint8Array, key: Uint8Array, data: Uint8Array): Buffer {
  const k = Buffer.alloc(BLOCK);
  k.set(key.length > BLOCK ? hash(key) : key);
  const inner = hash(Buffer.concat([k.map((b) => b ^ 0x36), data]));
  return Buffer.from(hash(Buffer.concat([k.map((b) => b ^ 0x5c), inner])));
}

/** HMAC_GOSTR3411_2012_256 (RFC 7836 §4.1.1): a 32-byte tag. */
export const hmacGostR3411_2012_256 = (key: Uint8Array, data: Uint8Array): Buffer => hmac(streebog256, key, data);

/** HMAC_GOSTR3411_2012_512 (RFC 7836 §4.1.2): a 64-byte tag. */
export const hmacGostR3411_2012_512 = (key: Uint8Array, data: Uint8Array): Buffer => hmac(streebog512, key, data);

/**
 * KDF_GOSTR3411_2012_256 (RFC 7836 §4.5): HMAC256(K, 0x01 ‖ label ‖ 0x00 ‖ seed ‖ 0x01 ‖ 0x00),
 * one 256-bit block of KDF_TREE (counter 1, length 256 as two bytes).
 */
export const kdfGostR3411_2012_256 = (key: Uint8Array, label: Uint8Array, seed: Uint8Array): Buffer =>
  hmacGostR3411_2012_256(key, Buffer.concat([Buffer.of(0x01), label, Buffer.of(0x00), seed, Buffer.of(0x01, 0x00)]));
