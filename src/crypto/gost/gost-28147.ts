// GOST 28147-89, the block cipher under GOST R 34.11-94 and under Kontur's CMS EnvelopedData, in
// plain TypeScript: the block function, CFB with CryptoPro key meshing (RFC 4357 §2.3), the MAC
// (imitovstavka, RFC 5830 §7) and the CryptoPro key wrap (RFC 4357 §6.3, §6.5).
// Byte order as OpenSSL's gost-engine: a block is two 32-bit words read little-endian (n1 = bytes
// 0..3), a key is eight little-endian words. Pinned by test/unit/gost-28147.test.ts against the
// published Magma vector of GOST R 34.12-2015 and against gost-engine's own output.

/** A GOST 28147-89 S-box: 8 rows of 16 values; row 0 (K1) substitutes the lowest 4 bits of a word. */
export type GostSbox = readonly (readonly number[])[];

export const parseSbox = (...rows: string[]): GostSbox => Object.freeze(rows.map((r) => Object.freeze([...r].map((c) => parseInt(c, 16)))));

/** Cipher parameter sets (RFC 4357 §11.1, RFC 7836 appendix C) by their OIDs. */
export const GOST28147_SBOX_BY_OID: ReadonlyMap<string, GostSbox> = new Map([
  // id-Gost28147-89-CryptoPro-A-ParamSet: what CryptoPro CSP writes.
  [
    '1.2.643.2.2.31.1',
    parseSbox(
      '96328b17a4efc0d5',
      '37e98af0526cb4d1',
      'e462b3d8cf5a0719',
      'e7acd13902b4f856',
      'b5198df0e423c7a6',
      '3adc120b75948fe6',
      '1d297a608c45f3be',
      'baf50ce8623917d4',
    ),
  ],
  [
    '1.2.643.2.2.31.2',
    parseSbox(
      '84b135092eacd67f',
      '012a4d5c973fb86e',
      'ec0a92db758f3614',
      '750db6123acf4e98',
      '27cf95ab140d68e3',
      '83264debc17fa095',
      '52ab91c374d06f8e',
      '04be8371a296fd5c',
    ),
  ],
  [
    '1.2.643.2.2.31.3',
    parseSbox(
      '1bc29d0f458ea763',
      '017db4528efc9a63',
      '825049fa37cd6e1b',
      '36015da8b297efc4',
      '8db0451293ce6fa7',
      'c9b18e247365a0fd',
      'a968de20f35b41c7',
      '7405a2fec61bd938',
    ),
  ],
  [
    '1.2.643.2.2.31.4',
    parseSbox(
      'fc2a645079ed1b83',
      'b634cfe27d805a91',
      '1cb0fe65ad489372',
      '15eca70d62b493f8',
      '0c89d2ab73654ef1',
      '80f325eb1a47c9d6',
      '306f1e92d8c4ba57',
      '1a68fb04c3597d2e',
    ),
  ],
  // id-tc26-gost-28147-param-Z: GOST R 34.12-2015's Magma S-box; gost-engine's default.
  [
    '1.2.643.7.1.2.5.1.1',
    parseSbox(
      'c462a5b9e8d703f1',
      '68239a5c1e47bd0f',
      'b3582fade174c960',
      'c821d4f670a53e9b',
      '7f5a816d093eb42c',
      '5df692cab78143e0',
      '8e25691cf4b0da37',
      '17ed05834fa69cb2',
    ),
  ],
]);

export const GOST28147_PARAM_Z = '1.2.643.7.1.2.5.1.1';

// f(x) = rotl11(S(x)) is computed as four byte lookups whose results are pre-rotated: 4 x 256 words.
const tables = new WeakMap<GostSbox, Int32Array>();
export function cipherTable(s: GostSbox): Int32Array {
  let t = tables.get(s);
  if (t) return t;
  if (s.length !== 8 || s.some((row) => row.length !== 16 || row.some((v) => !Number.isInteger(v) || v < 0 || v > 15)))
    throw new TypeError('a GOST 28147-89 S-box is 8 rows of 16 values 0..15');
  t = new Int32Array(1024);
  for (let byte = 0; byte < 4; byte++)
    for (let v = 0; v < 256; v++) {
      const x = ((s[2 * byte + 1]![v >> 4]! << 4) | s[2 * byte]![v & 15]!) << (8 * byte);
      t[256 * byte + v] = (x << 11) | (x >>> 21);
    }
  tables.set(s, t);
  return t;
}

const round = (t: Int32Array, y: number) => t[y & 255]! ^ t[256 | ((y >>> 8) & 255)]! ^ t[512 | ((y >>> 16) & 255)]! ^ t[768 | (y >>> 24)]!;

/** Encrypts the 64-bit block (n1, n2) = (x[i], x[i + 1]) under key k into out[i], out[i + 1]. */
export function encryptWords(t: Int32Array, k: Int32Array, x: Int32Array, out: Int32Array, i: number, rounds = 32): void {
  let n1 = x[i]!;
  let n2 = x[i + 1]!;
  // 32 rounds: key words 0..7 three times, then 7..0; the halves alternate instead of being swapped.
  // The MAC runs the first 16 only.
  for (let r = 0; r < rounds; r += 2) {
    n2 ^= round(t, (n1 + k[r < 24 ? r & 7 : 7 - (r & 7)]!) | 0);
    n1 ^= round(t, (n2 + k[r < 24 ? (r & 7) + 1 : 6 - (r & 7)]!) | 0);
  }
  if (rounds === 32) {
    out[i] = n2;
    out[i + 1] = n1;
  } else {
    out[i] = n1;
    out[i + 1] = n2;
  }
}

/** The inverse of encryptWords: key words 0..7 once, then 7..0 three times. */
function decryptWords(t: Int32Array, k: Int32Array, x: Int32Array, out: Int32Array, i: number): void {
  let n1 = x[i]!;
  let n2 = x[i + 1]!;
  for (let r = 0; r < 32; r += 2) {
    n2 ^= round(t, (n1 + k[r < 8 ? r : 7 - (r & 7)]!) | 0);
    n1 ^= round(t, (n2 + k[r < 8 ? r + 1 : 6 - (r & 7)]!) | 0);
  }
  out[i] = n2;
  out[i + 1] = n1;
}

const words = (bytes: Uint8Array): Int32Array => {
  if (bytes.length % 4 !== 0) throw new RangeError('GOST 28147-89: a whole number of 32-bit words expected');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int32Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(4 * i, true));
};
const bytesOf = (w: Int32Array): Buffer => {
  const out = Buffer.alloc(4 * w.length);
  for (let i = 0; i < w.length; i++) out.writeInt32LE(w[i]!, 4 * i);
  return out;
};

/** One key under one S-box. Keys are 32 bytes; blocks 8. */
export class Gost28147 {
  readonly #t: Int32Array;
  readonly #k: Int32Array;
  constructor(key: Uint8Array, sbox: GostSbox) {
    if (key.length !== 32) throw new RangeError(`GOST 28147-89 keys are 32 bytes, got ${key.length}`);
    this.#t = cipherTable(sbox);
    this.#k = words(key);
  }
  /** ECB over whole blocks (what the key wrap and key meshing use). */
  encrypt(data: Uint8Array): Buffer {
    const x = words(this.#whole(data));
    for (let i = 0; i < x.length; i += 2) encryptWords(this.#t, this.#k, x, x, i);
    return bytesOf(x);
  }
  decrypt(data: Uint8Array): Buffer {
    const x = words(this.#whole(data));
    for (let i = 0; i < x.length; i += 2) decryptWords(this.#t, this.#k, x, x, i);
    return bytesOf(x);
  }
  /** The 32-bit MAC (imitovstavka) of `data` from an 8-byte IV: gost-engine's gost_mac_iv. */
  mac(iv: Uint8Array, data: Uint8Array): Buffer {
    const state = words(Uint8Array.from(iv));
    const block = new Uint8Array(8);
    // A short last block is zero-padded; a message of one block gets a zero block after it.
    const blocks = Math.ceil(data.length / 8) === 1 ? 2 : Math.ceil(data.length / 8);
    for (let b = 0; b < blocks; b++) {
      block.fill(0).set(data.subarray(8 * b, 8 * b + 8));
      const m = words(block);
      state[0] = state[0]! ^ m[0]!;
      state[1] = state[1]! ^ m[1]!;
      encryptWords(this.#t, this.#k, state, state, 0, 16);
    }
    return bytesOf(state).subarray(0, 4);
  }
  #whole(data: Uint8Array): Uint8Array {
    if (data.length % 8 !== 0) throw new RangeError('GOST 28147-89 ECB: whole 8-byte blocks only');
    return data;
  }
}

// RFC 4357 §2.3.2: the constant the current key "decrypts" to give the next one.
const KEY_MESHING_CONSTANT = Buffer.from('6900722264c904238d3adb9646e92ac418feac9400ed0712c086dcc2ef4ca92b', 'hex');

/**
 * CFB with CryptoPro key meshing, as `id-Gost28147-89` content encryption in CMS (RFC 4490 §5.1):
 * after every 1024 bytes the key becomes D_K(C) and the feedback register is encrypted under it.
 * No padding: the last block may be short.
 */
export function gost28147CfbMeshed(
  direction: 'encrypt' | 'decrypt',
  key: Uint8Array,
  sbox: GostSbox,
  iv: Uint8Array,
  data: Uint8Array,
): Buffer {
  if (iv.length !== 8) throw new RangeError('GOST 28147-89 CFB: the IV is 8 bytes');
  let cipher = new Gost28147(key, sbox);
  let register: Buffer = Buffer.from(iv);
  const out = Buffer.alloc(data.length);
  for (let at = 0; at < data.length; at += 8) {
    if (at > 0 && at % 1024 === 0) {
      cipher = new Gost28147(cipher.decrypt(KEY_MESHING_CONSTANT), sbox);
      register = cipher.encrypt(register);
    }
    const gamma = cipher.encrypt(register);
    const end = Math.min(at + 8, data.length);
    for (let j = at; j < end; j++) out[j] = data[j]! ^ gamma[j - at]!;
    register = Buffer.from(direction === 'encrypt' ? out.subarray(at, at + 8) : data.subarray(at, at + 8));
  }
  return out;
}

/** RFC 4357 §6.5: the key-encryption key diversified by the 8-byte UKM (eight CFB passes). */
export function diversifyCryptoPro(kek: Uint8Array, sbox: GostSbox, ukm: Uint8Array): Buffer {
  let key: Buffer = Buffer.from(kek);
  for (let i = 0; i < 8; i++) {
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < 8; j++) {
      const k = key.readUInt32LE(4 * j);
      if (ukm[i]! & (1 << j)) s1 = (s1 + k) >>> 0;
      else s2 = (s2 + k) >>> 0;
    }
    const s = Buffer.alloc(8);
    s.writeUInt32LE(s1, 0);
    s.writeUInt32LE(s2, 4);
    key = gost28147CfbMeshed('encrypt', key, sbox, s, key);
  }
  return key;
}

/** The CryptoPro key wrap (RFC 4357 §6.3): the CEK encrypted (ECB) under the diversified KEK, and its MAC. */
export function wrapKeyCryptoPro(kek: Uint8Array, sbox: GostSbox, ukm: Uint8Array, cek: Uint8Array): { encryptedKey: Buffer; mac: Buffer } {
  const cipher = new Gost28147(diversifyCryptoPro(kek, sbox, ukm), sbox);
  return { encryptedKey: cipher.encrypt(cek), mac: cipher.mac(ukm, cek) };
}

/** The inverse of wrapKeyCryptoPro; undefined when the MAC does not match (wrong key or damaged message). */
export function unwrapKeyCryptoPro(
  kek: Uint8Array,
  sbox: GostSbox,
  ukm: Uint8Array,
  encryptedKey: Uint8Array,
  mac: Uint8Array,
): Buffer | undefined {
  const cipher = new Gost28147(diversifyCryptoPro(kek, sbox, ukm), sbox);
  const cek = cipher.decrypt(encryptedKey);
  return cipher.mac(ukm, cek).equals(Buffer.from(mac)) ? cek : undefined;
}
