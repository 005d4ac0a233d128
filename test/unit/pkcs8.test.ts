// PKCS#8 encryption (crypto/keys/pkcs8.ts): what trustflow writes OpenSSL reads, what OpenSSL writes
// trustflow reads, wrong passwords are told apart from damage, and PEM blocks come out as written.
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { KeyStoreError } from '../../src/common/errors.js';
import {
  decryptPkcs8,
  encryptPkcs8,
  pemBlocks,
  pkcs8Encryption,
  PKCS8_PBKDF2_ITERATIONS,
  privateKeyInfoAlgorithm,
  ruGostKeyFromPkcs8,
  toPem,
} from '../../src/crypto/keys/pkcs8.js';
import { RuGostPrivateKey } from '../../src/crypto/keys/ru-gost-key.js';
import { oid, sequence, TAG, tlv } from '../../src/crypto/cms/der.js';
import { runOpenssl } from '../../src/crypto/openssl.js';

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' });

describe('PKCS#8 encryption', () => {
  it('writes PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) that OpenSSL opens to the same key, the password as UTF-8', async () => {
    const pkcs8 = ec();
    const password = 'пароль ü';
    const encrypted = encryptPkcs8(pkcs8, password, { iterations: 1000 });
    assert.deepEqual(pkcs8Encryption(encrypted, 'k'), {
      schemeOid: '1.2.840.113549.1.5.13',
      kdf: 'PBKDF2-HMAC-SHA256',
      iterations: 1000,
      cipher: 'AES-256-CBC',
      description: 'PBES2 (PBKDF2-HMAC-SHA256, 1000 iterations, AES-256-CBC)',
    });
    const { stdout } = await runOpenssl(['pkey', '-passin', 'env:P', '-outform', 'DER'], {
      env: { P: password },
      stdin: Buffer.from(toPem('ENCRYPTED PRIVATE KEY', encrypted)),
    });
    // OpenSSL writes an EC key in its traditional form (SEC1): the same key, in PKCS#8 again.
    assert.deepEqual(createPrivateKey({ key: stdout, format: 'der', type: 'sec1' }).export({ type: 'pkcs8', format: 'der' }), pkcs8);
    assert.deepEqual(decryptPkcs8(encrypted, password, 'k'), pkcs8);
    assert.ok(PKCS8_PBKDF2_ITERATIONS >= 100_000);
    assert.throws(() => encryptPkcs8(pkcs8, ''), RangeError);
  });

  it('reads what OpenSSL 3 writes (its default PBES2, and 3DES with HMAC-SHA1); a wrong password is said as one', async () => {
    const pkcs8 = ec();
    for (const args of [[], ['-v2', 'des3', '-v2prf', 'hmacWithSHA1'], ['-v2', 'aes-128-cbc', '-v2prf', 'hmacWithSHA512']]) {
      const { stdout } = await runOpenssl(['pkcs8', '-topk8', '-inform', 'DER', '-outform', 'DER', '-passout', 'env:P', ...args], {
        env: { P: 'secret' },
        stdin: pkcs8,
      });
      assert.deepEqual(decryptPkcs8(stdout, 'secret', 'k'), pkcs8, args.join(' '));
      assert.throws(
        () => decryptPkcs8(stdout, 'Secret', 'k.pem', 'env:P'),
        (e: unknown) =>
          e instanceof KeyStoreError && /^k\.pem: wrong password for the encrypted key; check the secret behind env:P$/.test(e.message),
      );
    }
  });

  it('refuses a scheme it does not read, and absurd iteration counts, saying which', () => {
    const octets = (n: number) => tlv(TAG.octetString, Buffer.alloc(n));
    const integer = (bytes: number[]) => tlv(TAG.integer, Buffer.from(bytes));
    // PBES1 pbeWithMD5AndDES-CBC { salt, iterations }.
    const pbes1 = sequence(sequence(oid('1.2.840.113549.1.5.3'), sequence(octets(8), integer([8]))), octets(16));
    assert.throws(
      () => decryptPkcs8(pbes1, 'x', 'old.pem'),
      /^KeyStoreError: old\.pem: the key is encrypted with an older scheme \(1\.2\.840\.113549\.1\.5\.3\), not PBES2/,
    );
    // PBES2 asking for 2^31-1 rounds: refused from the count alone, before any PBKDF2 work.
    const pbkdf2 = sequence(oid('1.2.840.113549.1.5.12'), sequence(octets(16), integer([0x7f, 0xff, 0xff, 0xff])));
    const huge = sequence(
      sequence(oid('1.2.840.113549.1.5.13'), sequence(pbkdf2, sequence(oid('2.16.840.1.101.3.4.1.42'), octets(16)))),
      octets(32),
    );
    assert.throws(() => decryptPkcs8(huge, 'x', 'huge.pem'), /huge\.pem: asks for 2147483647 PBKDF2 iterations/);
  });
});

describe('PKCS#8 helpers', () => {
  it('pemBlocks: labels, DER, and the headers of a traditional encrypted key', () => {
    const text = `junk\n${toPem('CERTIFICATE', Buffer.from([1, 2, 3]))}-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAQID\n-----END RSA PRIVATE KEY-----\n`;
    const blocks = pemBlocks(text);
    assert.deepEqual(
      blocks.map((b) => [b.label, [...b.der]]),
      [
        ['CERTIFICATE', [1, 2, 3]],
        ['RSA PRIVATE KEY', [1, 2, 3]],
      ],
    );
    assert.match(blocks[1]!.headers, /^Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n$/);
  });

  it("ruGostKeyFromPkcs8 reads gost-engine's form and the older INTEGER form to the same key; not a GOST key: undefined", () => {
    const key = new RuGostPrivateKey(
      { algorithm: '1.2.643.7.1.1.1.1', curve: '1.2.643.2.2.36.0', digest: '1.2.643.7.1.1.2.2' },
      123456789n,
    );
    const pkcs8 = key.toPkcs8();
    assert.deepEqual(ruGostKeyFromPkcs8(pkcs8, 'k')?.publicKey(), key.publicKey());
    // The same key with the scalar as an INTEGER (big-endian) inside the OCTET STRING.
    const head = pkcs8.subarray(0, pkcs8.length - 34);
    const integerForm = Buffer.concat([head, Buffer.from([0x04, 6, 0x02, 4, 0x07, 0x5b, 0xcd, 0x15])]);
    integerForm[1] = integerForm.length - 2;
    assert.deepEqual(ruGostKeyFromPkcs8(integerForm, 'k')?.publicKey(), key.publicKey());
    assert.equal(ruGostKeyFromPkcs8(ec(), 'k'), undefined);
    assert.equal(privateKeyInfoAlgorithm(ec())?.oid, '1.2.840.10045.2.1');
  });
});
