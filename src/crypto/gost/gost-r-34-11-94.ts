// GOST R 34.11-94 hash (RFC 5831), with the GOST 28147-89 block cipher inside, in plain TypeScript.
// Kazakhstan's GOST 34.311-95 is the same algorithm with the test parameter set's S-box (the default).
// Byte order: input and the 32-byte digest are byte strings as OpenSSL's gost-engine (md_gost94)
// reads and prints them; RFC 5831 §7.3 writes messages and digests as big-endian numbers, i.e. reversed.
// Internally a 256-bit value is 8 int32 words of a little-endian number: word 0 = bytes 0..3.
import { cipherTable, encryptWords, parseSbox, type GostSbox } from './gost-28147.js';

/** id-GostR3411-94-TestParamSet (1.2.643.2.2.30.0, RFC 4357 §11.2): the S-box of RFC 5831's examples and of GOST 34.311-95. */
export const TEST_PARAMSET_SBOX = parseSbox(
  '4a92d80e6b1c7f53',
  'eb4c6dfa23810759',
  '581da342efc7609b',
  '7da1089fe46cb253',
  '6c715fd84a9e03b2',
  '4ba0721d36859cfe',
  'db413f590ae7682c',
  '1fd057a4923e6b8c',
);

/** id-GostR3411-94-CryptoProParamSet (1.2.643.2.2.30.1, RFC 4357 §11.2): the S-box gost-engine's md_gost94 uses. */
export const CRYPTOPRO_PARAMSET_SBOX = parseSbox(
  'a4568137dce092bf',
  '5f402db91763cea8',
  '7fce94103b526a8d',
  '4a7c0f28e165db93',
  '764b9c2a180efd35',
  '7624d9f0a15b8ec3',
  'de41705a3c8f629b',
  '13a95b4f867ed02c',
);

/** x = A(x): A(y4|y3|y2|y1) = (y1 xor y2)|y4|y3|y2, on 64-bit words y1 = x[0], x[1]. */
function a(x: Int32Array): void {
  const lo = x[0]! ^ x[2]!;
  const hi = x[1]! ^ x[3]!;
  x.copyWithin(0, 2);
  x[6] = lo;
  x[7] = hi;
}

const KEY = new Int32Array(8);
/** KEY = P(u xor v). P moves byte 8i + k to byte i + 4k (RFC 5831 §6.1's phi, 0-based): key word k
 * gathers byte k of each 64-bit word. */
function key(u: Int32Array, v: Int32Array): void {
  for (let k = 0; k < 8; k++) {
    const half = k >> 2;
    const shift = (k & 3) << 3;
    let w = 0;
    for (let i = 0; i < 4; i++) w |= (((u[2 * i + half]! ^ v[2 * i + half]!) >>> shift) & 0xff) << (8 * i);
    KEY[k] = w;
  }
}

// C3 as RFC 5831 writes it (a big-endian number); word i is the i-th 32-bit limb from the right. C2 = C4 = 0.
const C3_HEX = 'ff00ffff000000ffff0000ff00ffff0000ff00ff00ff00ffff00ff00ff00ff00';
const C3 = Int32Array.from({ length: 8 }, (_, i) => parseInt(C3_HEX.slice(56 - 8 * i, 64 - 8 * i), 16) | 0);

const W = new Uint16Array(16 + 61);
/** x = psi^n(x xor y): psi shifts the sixteen 16-bit words down by one and puts w0^w1^w2^w3^w12^w15 on top. */
function psi(x: Int32Array, y: Int32Array, n: number): void {
  for (let i = 0; i < 8; i++) {
    const z = x[i]! ^ y[i]!;
    W[2 * i] = z;
    W[2 * i + 1] = z >>> 16;
  }
  for (let i = 0; i < n; i++) W[16 + i] = W[i]! ^ W[i + 1]! ^ W[i + 2]! ^ W[i + 3]! ^ W[i + 12]! ^ W[i + 15]!;
  for (let i = 0; i < 8; i++) x[i] = W[n + 2 * i]! | (W[n + 2 * i + 1]! << 16);
}

const U = new Int32Array(8);
const V = new Int32Array(8);
const S = new Int32Array(8);
const ZERO = new Int32Array(8);
/** The step function: h = psi^61(h xor psi(m xor psi^12(S))), S = the four 64-bit words of h
 * encrypted under keys derived from h and m. */
function step(t: Int32Array, h: Int32Array, m: Int32Array): void {
  U.set(h);
  V.set(m);
  for (let i = 0; i < 4; i++) {
    if (i > 0) {
      a(U);
      if (i === 2) for (let j = 0; j < 8; j++) U[j] = U[j]! ^ C3[j]!;
      a(V);
      a(V);
    }
    key(U, V);
    encryptWords(t, KEY, h, S, 2 * i);
  }
  psi(S, ZERO, 12);
  psi(S, m, 1);
  psi(S, h, 61);
  h.set(S);
}

/** x = x + y mod 2^256. */
function add256(x: Int32Array, y: Int32Array): void {
  let carry = 0;
  for (let i = 0; i < 8; i++) {
    const sum = (x[i]! >>> 0) + (y[i]! >>> 0) + carry;
    x[i] = sum | 0;
    carry = sum > 0xffffffff ? 1 : 0;
  }
}

/** GOST R 34.11-94 digest (32 bytes) of `data`, by default with the test parameter set's S-box. */
export function gostR341194(data: Uint8Array, sbox: GostSbox = TEST_PARAMSET_SBOX): Uint8Array {
  const t = cipherTable(sbox);
  const h = new Int32Array(8);
  const sigma = new Int32Array(8);
  const m = new Int32Array(8);
  const block = new Uint8Array(32);
  const view = new DataView(block.buffer);
  let off = 0;
  // Every full block, then the zero-padded rest. An empty message is one zero block, as the standard
  // (and OpenSSL) has it; some libraries (rhash, PHP, nettle) skip that block and print other "" values.
  do {
    block.fill(0).set(data.subarray(off, off + 32));
    for (let i = 0; i < 8; i++) m[i] = view.getInt32(4 * i, true);
    step(t, h, m);
    add256(sigma, m);
    off += 32;
  } while (off < data.length);
  const bits = data.length * 8; // < 2^53
  step(t, h, Int32Array.of(bits | 0, Math.floor(bits / 2 ** 32), 0, 0, 0, 0, 0, 0));
  step(t, h, sigma);
  const out = new DataView(new ArrayBuffer(32));
  for (let i = 0; i < 8; i++) out.setInt32(4 * i, h[i]!, true);
  return new Uint8Array(out.buffer);
}
