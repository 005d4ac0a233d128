// HMAC on Streebog and KDF_GOSTR3411_2012_256 against the examples of RFC 7836, appendix B. The
// appendix writes byte strings in transmission order (no reversal, unlike RFC 6986's numbers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gost28147, GOST28147_PARAM_Z, GOST28147_SBOX_BY_OID } from '../../src/crypto/gost/gost-28147.js';
import { streebog256, streebog512 } from '../../src/crypto/gost/streebog.js';
import { hmacGostR3411_2012_256, hmacGostR3411_2012_512, kdfGostR3411_2012_256 } from '../../src/crypto/gost/kdf-gostr3411-2012.js';

const bytes = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

// RFC 7836 appendix B: K = 00..1f, T = 01 ‖ label 26bdb878 ‖ 00 ‖ seed af21434145656378 ‖ 01 00.
const K = bytes('000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f');
const T = bytes('0126bdb87800af214341456563780100');
const LABEL = bytes('26bdb878');
const SEED = bytes('af21434145656378');

describe('RFC 7836 HMAC and KDF on GOST R 34.11-2012 (appendix B examples)', () => {
  it('HMAC_GOSTR3411_2012_256 (§4.1.1)', () => {
    assert.equal(hmacGostR3411_2012_256(K, T).toString('hex'), 'a1aa5f7de402d7b3d323f2991c8d4534013137010a83754fd0af6d7cd4922ed9');
  });

  it('HMAC_GOSTR3411_2012_512 (§4.1.2)', () => {
    assert.equal(
      hmacGostR3411_2012_512(K, T).toString('hex'),
      'a59bab22ecae19c65fbde6e5f4e9f5d8549d31f037f9df9b905500e171923a77' +
        '3d5f1530f2ed7e964cb2eedc29e9ad2f3afe93b2814f79f5000ffc0366c251e6',
    );
  });

  it('KDF_GOSTR3411_2012_256 (§4.5): label 26bdb878, seed af21434145656378', () => {
    // The example's T above is exactly the KDF's HMAC message, hence the same value.
    assert.equal(kdfGostR3411_2012_256(K, LABEL, SEED).toString('hex'), 'a1aa5f7de402d7b3d323f2991c8d4534013137010a83754fd0af6d7cd4922ed9');
  });

  it("the appendix's key wrap example: KEK = KDF(K, 26bdb878, UKM), then GOST 28147-89 ECB and MAC (IV = UKM), param Z", () => {
    // The same steps (under S-box CryptoPro-A) wrap the key of a CryptoPro PFX (cryptopro-pfx.ts).
    const cek = bytes('202122232425262728292a2b2c2d2e2f 303132333435363738393a3b3c3d3e3f');
    const cipher = new Gost28147(kdfGostR3411_2012_256(K, LABEL, SEED), GOST28147_SBOX_BY_OID.get(GOST28147_PARAM_Z)!);
    assert.equal(cipher.encrypt(cek).toString('hex'), 'd15547f8ee85121bc87d4b1027d26027ecc071bba6e72f3fec6f620f56834c5a');
    assert.equal(cipher.mac(SEED, cek).toString('hex'), 'be33f052');
  });

  it('a key longer than the 64-byte block is replaced by its hash (RFC 2104 §2)', () => {
    const long = Buffer.alloc(65, 7);
    assert.deepEqual(hmacGostR3411_2012_256(long, T), hmacGostR3411_2012_256(streebog256(long), T));
    assert.deepEqual(hmacGostR3411_2012_512(long, T), hmacGostR3411_2012_512(streebog512(long), T));
  });
});
