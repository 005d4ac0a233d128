// GOST R 34.11-2012 "Streebog" hash (RFC 6986), 512- and 256-bit, in plain TypeScript.
// Byte order: input and output are byte strings as OpenSSL's gost-engine (md_gost12_*) reads and
// prints them. RFC 6986 writes messages, constants and digests as big-endian numbers, i.e. the
// same bytes reversed; the algorithm itself treats a 64-byte block as a little-endian number.
// A 512-bit value is held as 16 int32 words, (lo, hi) per 64-bit lane, lane k = bytes 8k..8k+7.

// RFC 6986 §6.1: the substitution Pi (the same table as Kuznyechik's).
const PI_HEX =
  'fceedd11cf6e3116fbc4fada23c5044de977f0db932e99ba1736f1bb14cd5fc1f918655ae25cef21811c3c428b018e4f' +
  '058402aee36a8fa0060bed987fd4d31feb342c51eac848abf22a68a2fd3aceccb5700e56080c7612bf7213479cb75d87' +
  '15a19629107b9ac7f391786f9d9eb2b13275193dff358a7e6d54c680c3bd0d57dff524a93ea843c9d779d6f67c22b903' +
  'e00fecde7a94b0bcdce828504e330a4aa79760731e0062441ab83882649f2641ad454692275e552f8ca3a57d69d5953b' +
  '0758b34086ac1df730376be488d9e789e11b83494c3ff8fe8d53aa90cad88561207167a42d2b095bcb9b25d0bee56c52' +
  '59a674d2e6f4b4c0d166afc2394b63b6';

// RFC 6986 §6.3: the rows of the matrix A of the linear map l; A[0] belongs to the top bit.
const A_HEX = `
  8e20faa72ba0b470 47107ddd9b505a38 ad08b0e0c3282d1c d8045870ef14980e
  6c022c38f90a4c07 3601161cf205268d 1b8e0b0e798c13c8 83478b07b2468764
  a011d380818e8f40 5086e740ce47c920 2843fd2067adea10 14aff010bdd87508
  0ad97808d06cb404 05e23c0468365a02 8c711e02341b2d01 46b60f011a83988e
  90dab52a387ae76f 486dd4151c3dfdb9 24b86a840e90f0d2 125c354207487869
  092e94218d243cba 8a174a9ec8121e5d 4585254f64090fa0 accc9ca9328a8950
  9d4df05d5f661451 c0a878a0a1330aa6 60543c50de970553 302a1e286fc58ca7
  18150f14b9ec46dd 0c84890ad27623e0 0642ca05693b9f70 0321658cba93c138
  86275df09ce8aaa8 439da0784e745554 afc0503c273aa42a d960281e9d1d5215
  e230140fc0802984 71180a8960409a42 b60c05ca30204d21 5b068c651810a89e
  456c34887a3805b9 ac361a443d1c8cd2 561b0d22900e4669 2b838811480723ba
  9bcf4486248d9f5d c3e9224312c8c1a0 effa11af0964ee50 f97d86d98a327728
  e4fa2054a80b329c 727d102a548b194e 39b008152acb8227 9258048415eb419d
  492c024284fbaec0 aa16012142f35760 550b8e9e21f7a530 a48b474f9ef5dc18
  70a6a56e2440598e 3853dc371220a247 1ca76e95091051ad 0edd37c48a08a6d8
  07e095624504536c 8d70c431ac02a736 c83862965601dd1b 641c314b2b8ee083
`
  .trim()
  .split(/\s+/);

// RFC 6986 §6.4: the round constants C1..C12, as the RFC writes them (big-endian numbers).
const C_HEX = [
  'b1085bda1ecadae9ebcb2f81c0657c1f2f6a76432e45d016714eb88d7585c4fc4b7ce09192676901a2422a08a460d31505767436cc744d23dd806559f2a64507',
  '6fa3b58aa99d2f1a4fe39d460f70b5d7f3feea720a232b9861d55e0f16b501319ab5176b12d699585cb561c2db0aa7ca55dda21bd7cbcd56e679047021b19bb7',
  'f574dcac2bce2fc70a39fc286a3d843506f15e5f529c1f8bf2ea7514b1297b7bd3e20fe490359eb1c1c93a376062db09c2b6f443867adb31991e96f50aba0ab2',
  'ef1fdfb3e81566d2f948e1a05d71e4dd488e857e335c3c7d9d721cad685e353fa9d72c82ed03d675d8b71333935203be3453eaa193e837f1220cbebc84e3d12e',
  '4bea6bacad4747999a3f410c6ca923637f151c1f1686104a359e35d7800fffbdbfcd1747253af5a3dfff00b723271a167a56a27ea9ea63f5601758fd7c6cfe57',
  'ae4faeae1d3ad3d96fa4c33b7a3039c02d66c4f95142a46c187f9ab49af08ec6cffaa6b71c9ab7b40af21f66c2bec6b6bf71c57236904f35fa68407a46647d6e',
  'f4c70e16eeaac5ec51ac86febf240954399ec6c7e6bf87c9d3473e33197a93c90992abc52d822c3706476983284a05043517454ca23c4af38886564d3a14d493',
  '9b1f5b424d93c9a703e7aa020c6e41414eb7f8719c36de1e89b4443b4ddbc49af4892bcb929b069069d18d2bd1a5c42f36acc2355951a8d9a47f0dd4bf02e71e',
  '378f5a541631229b944c9ad8ec165fde3a7d3a1b258942243cd955b7e00d0984800a440bdbb2ceb17b2b8a9aa6079c540e38dc92cb1f2a607261445183235adb',
  'abbedea680056f52382ae548b2e4f3f38941e71cff8a78db1fffe18a1b3361039fe76702af69334b7a1e6c303b7652f43698fad1153bb6c374b4c7fb98459ced',
  '7bcd9ed0efc889fb3002c6cd635afe94d8fa6bbbebab076120018021148466798a1d71efea48b9caefbacd1d7d476e98dea2594ac06fd85d6bcaa4cd81f32d1b',
  '378ee767f11631bad21380b00449b17acda43c32bcdf1d77f82012d430219f9b5d80ef9d1891cc86e71da4aa88e12852faf417d5d9b21b9948bc924af11bd720',
];

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// S, P (the byte transpose tau) and L fused into one lookup: output lane i is the XOR over input
// lanes j of l(Pi[byte i of lane j] placed in byte j). T holds those 8 x 256 values as (lo, hi)
// pairs at 2 * (256j + v); built once from Pi and A, 16 KiB.
const T = new Int32Array(4096);
{
  const pi = hexBytes(PI_HEX);
  for (let j = 0; j < 8; j++)
    for (let v = 0; v < 256; v++) {
      let lo = 0;
      let hi = 0;
      for (let b = 0; b < 8; b++)
        if ((pi[v]! >> b) & 1) {
          const row = A_HEX[63 - (8 * j + b)]!;
          hi ^= parseInt(row.slice(0, 8), 16);
          lo ^= parseInt(row.slice(8), 16);
        }
      T[2 * ((j << 8) | v)] = lo;
      T[2 * ((j << 8) | v) + 1] = hi;
    }
}

function wordsOf(bytes: Uint8Array, offset = 0): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 64);
  const w = new Int32Array(16);
  for (let i = 0; i < 16; i++) w[i] = view.getInt32(4 * i, true);
  return w;
}

const C = C_HEX.map((hex) => wordsOf(hexBytes(hex).reverse()));

const R = new Int32Array(16); // scratch, so that lpsx may write over its own inputs
const R8 = new Uint8Array(R.buffer);
// Byte p (little-endian) of word w sits at R8[4w + (p ^ SWAP)], whatever the platform's byte order.
const SWAP = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 3;

/** out = L(P(S(a xor b))): output lane i takes byte i of every input lane j. */
function lpsx(a: Int32Array, b: Int32Array, out: Int32Array): void {
  for (let i = 0; i < 16; i++) R[i] = a[i]! ^ b[i]!;
  for (let i = 0; i < 8; i++) {
    const k = i ^ SWAP;
    const t0 = R8[k]! << 1;
    const t1 = 0x200 | (R8[8 + k]! << 1);
    const t2 = 0x400 | (R8[16 + k]! << 1);
    const t3 = 0x600 | (R8[24 + k]! << 1);
    const t4 = 0x800 | (R8[32 + k]! << 1);
    const t5 = 0xa00 | (R8[40 + k]! << 1);
    const t6 = 0xc00 | (R8[48 + k]! << 1);
    const t7 = 0xe00 | (R8[56 + k]! << 1);
    out[2 * i] = T[t0]! ^ T[t1]! ^ T[t2]! ^ T[t3]! ^ T[t4]! ^ T[t5]! ^ T[t6]! ^ T[t7]!;
    out[2 * i + 1] = T[t0 + 1]! ^ T[t1 + 1]! ^ T[t2 + 1]! ^ T[t3 + 1]! ^ T[t4 + 1]! ^ T[t5 + 1]! ^ T[t6 + 1]! ^ T[t7 + 1]!;
  }
}

const K = new Int32Array(16);
const STATE = new Int32Array(16);
/** The compression function g_N: h = E(LPS(h xor N), m) xor h xor m. */
function compress(h: Int32Array, n: Int32Array, m: Int32Array): void {
  lpsx(h, n, K);
  lpsx(K, m, STATE);
  for (let i = 0; i < 11; i++) {
    lpsx(K, C[i]!, K);
    lpsx(K, STATE, STATE);
  }
  lpsx(K, C[11]!, K);
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ STATE[i]! ^ K[i]! ^ m[i]!;
}

/** a = a + b mod 2^512, over little-endian 32-bit words. */
function add512(a: Int32Array, b: Int32Array): void {
  let carry = 0;
  for (let i = 0; i < 16; i++) {
    const sum = (a[i]! >>> 0) + (b[i]! >>> 0) + carry;
    a[i] = sum | 0;
    carry = sum > 0xffffffff ? 1 : 0;
  }
}

function addSmall(a: Int32Array, x: number): void {
  for (let i = 0; i < 16 && x; i++) {
    const sum = (a[i]! >>> 0) + x;
    a[i] = sum | 0;
    x = sum > 0xffffffff ? 1 : 0;
  }
}

function streebog(data: Uint8Array, iv: number): Uint8Array {
  const h = new Int32Array(16).fill(iv);
  const n = new Int32Array(16);
  const sigma = new Int32Array(16);
  // RFC 6986 takes 512-bit blocks from the low end of the message number, i.e. from the start of the bytes.
  let off = 0;
  for (; data.length - off >= 64; off += 64) {
    const m = wordsOf(data, off);
    compress(h, n, m);
    addSmall(n, 512);
    add512(sigma, m);
  }
  // The rest (possibly nothing) is padded with one 0x01 byte and zeros: a block is always hashed here.
  const last = new Uint8Array(64);
  last.set(data.subarray(off));
  last[data.length - off] = 1;
  const m = wordsOf(last);
  compress(h, n, m);
  addSmall(n, (data.length - off) * 8);
  add512(sigma, m);
  const zero = new Int32Array(16);
  compress(h, zero, n);
  compress(h, zero, sigma);
  const out = new Uint8Array(64);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 16; i++) view.setInt32(4 * i, h[i]!, true);
  return out;
}

/** Streebog-512 digest (64 bytes) of `data`. */
export function streebog512(data: Uint8Array): Uint8Array {
  return streebog(data, 0);
}

/** Streebog-256 digest (32 bytes): IV of 0x01 bytes, and the most significant half, i.e. the last 32 bytes. */
export function streebog256(data: Uint8Array): Uint8Array {
  return streebog(data, 0x01010101).slice(32);
}
