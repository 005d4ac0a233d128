// The GOST R 34.10-2001/2012 elliptic curves trustflow computes on in-process (@noble/curves), by
// their parameter-set OIDs. Values from RFC 4357 §11.4 and RFC 7836 appendix A, as gost-engine has
// them. Only curves of cofactor 1: the twisted Edwards sets (tc26 256 A, 512 C) are left to OpenSSL.
import { weierstrass, type WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';

export interface GostCurve {
  name: string;
  /** Bytes per coordinate: 32 (256-bit keys) or 64 (512-bit). */
  size: 32 | 64;
  Point: WeierstrassPointCons<bigint>;
}

const curve = (name: string, size: 32 | 64, p: bigint, a: bigint, b: bigint, n: bigint, Gx: bigint, Gy: bigint): GostCurve => ({
  name,
  size,
  Point: weierstrass({ p, n, h: 1n, a, b, Gx, Gy }),
});

export const CRYPTOPRO_A = curve(
  'id-GostR3410-2001-CryptoPro-A-ParamSet',
  32,
  0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97n,
  0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd94n,
  0xa6n,
  0xffffffffffffffffffffffffffffffff6c611070995ad10045841b09b761b893n,
  1n,
  0x8d91e471e0989cda27df505a453f2b7635294f2ddf23e3b122acc99c9e9f1e14n,
);

const CRYPTOPRO_B = curve(
  'id-GostR3410-2001-CryptoPro-B-ParamSet',
  32,
  0x8000000000000000000000000000000000000000000000000000000000000c99n,
  0x8000000000000000000000000000000000000000000000000000000000000c96n,
  0x3e1af419a269a5f866a7d3c25c3df80ae979259373ff2b182f49d4ce7e1bbc8bn,
  0x800000000000000000000000000000015f700cfff1a624e5e497161bcc8a198fn,
  1n,
  0x3fa8124359f96680b83d1c3eb2c070e5c545c9858d03ecfb744bf8d717717efcn,
);

const CRYPTOPRO_C = curve(
  'id-GostR3410-2001-CryptoPro-C-ParamSet',
  32,
  0x9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d759bn,
  0x9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d7598n,
  0x805an,
  0x9b9f605f5a858107ab1ec85e6b41c8aa582ca3511eddfb74f02f3a6598980bb9n,
  0n,
  0x41ece55743711a8c3cbf3783cd08c0ee4d4dc440d4641a8f366e550dfdb3bb67n,
);

export const TC26_512_A = curve(
  'id-tc26-gost-3410-12-512-paramSetA',
  64,
  0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc7n,
  0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc4n,
  0xe8c2505dedfc86ddc1bd0b2b6667f1da34b82574761cb0e879bd081cfd0b6265ee3cb090f30d27614cb4574010da90dd862ef9d4ebee4761503190785a71c760n,
  0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff27e69532f48d89116ff22b8d4e0560609b4b38abfad2b85dcacdb1411f10b275n,
  3n,
  0x7503cfe87a836ae3a61b8816e25450e6ce5e1c93acf1abc1778064fdcbefa921df1626be4fd036e93d75e6a50e3a41e98028fe5fc235f5b889a589cb5215f2a4n,
);

const TC26_512_B = curve(
  'id-tc26-gost-3410-12-512-paramSetB',
  64,
  0x8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006fn,
  0x8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006cn,
  0x687d1b459dc841457e3e06cf6f5e2517b97c7d614af138bcbf85dc806c4b289f3e965d2db1416d217f8b276fad1ab69c50f78bee1fa3106efb8ccbc7c5140116n,
  0x800000000000000000000000000000000000000000000000000000000000000149a1ec142565a545acfdb77bd9d40cfa8b996712101bea0ec6346c54374f25bdn,
  2n,
  0x1a8f7eda389b094c2c071e3647a8940f3c123b697578c213be6dd9e6c8ec7335dcb228fd1edf4a39152cbcaaf8c0398828041055f94ceeec7e21340780fe41bdn,
);

/** Curve parameter-set OID → curve. Aliases (XchA, tc26 256 B–D) name the same curves. */
export const GOST_CURVE_BY_OID: ReadonlyMap<string, GostCurve> = new Map([
  ['1.2.643.2.2.35.1', CRYPTOPRO_A],
  ['1.2.643.2.2.36.0', CRYPTOPRO_A], // XchA
  ['1.2.643.7.1.2.1.1.2', CRYPTOPRO_A], // tc26 256 paramSetB
  ['1.2.643.2.2.35.2', CRYPTOPRO_B],
  ['1.2.643.7.1.2.1.1.3', CRYPTOPRO_B], // tc26 256 paramSetC
  ['1.2.643.2.2.35.3', CRYPTOPRO_C],
  ['1.2.643.2.2.36.1', CRYPTOPRO_C], // XchB
  ['1.2.643.7.1.2.1.1.4', CRYPTOPRO_C], // tc26 256 paramSetD
  ['1.2.643.7.1.2.1.2.1', TC26_512_A],
  ['1.2.643.7.1.2.1.2.2', TC26_512_B],
]);

export function leToBigint(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

export function bigintToLe(n: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  if (n !== 0n) throw new RangeError(`value does not fit in ${size} bytes`);
  return out;
}
