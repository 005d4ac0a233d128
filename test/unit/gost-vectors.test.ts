// The TC26 CMS control examples (published with gost-engine, in ../shared/vectors/tc26_cms):
// trustflow's decryptCms must return exactly the reference plaintext, and fail, not return garbage,
// with a wrong key. The signed examples must verify through OpenSSL + gost-engine.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { CmsDecryptError, decryptCms } from '../../src/crypto/cms/decrypt.js';
import { runGostOpenssl } from '../../src/crypto/openssl-gost-engine.js';
import { vectorsOrSkip } from '../helpers/paths.js';

async function vectors(t: TestContext) {
  const dir = vectorsOrSkip(t, 'tc26_cms');
  if (!dir) return undefined;
  const read = (f: string) => readFile(join(dir, f));
  // The reference file ends with a newline that the CMS content does not have.
  const plain = (await read('plain/text_decrypted.plain')).subarray(0, -1);
  return { dir, read, plain };
}

const CASES = [
  { name: 'KeyTrans a231 (256-bit, Kuznyechik)', file: 'encrypted_keytrans_a231.pem', recipient: 'recipient256', originator: undefined },
  { name: 'KeyTrans a241 (512-bit, Magma)', file: 'encrypted_keytrans_a241.pem', recipient: 'recipient512', originator: undefined },
  { name: 'KeyAgree a211 (512-bit)', file: 'encrypted_keyagree_a211.pem', recipient: 'recipient512', originator: 'sender512_cert.pem' },
  { name: 'KeyAgree a221 (256-bit)', file: 'encrypted_keyagree_a221.pem', recipient: 'recipient256', originator: 'sender256_cert.pem' },
];

describe('TC26 CMS vectors through decryptCms', () => {
  for (const c of CASES) {
    it(`decrypts ${c.name} to the reference plaintext`, async (t) => {
      const v = await vectors(t);
      if (!v) return;
      const out = await decryptCms({
        cms: await v.read(c.file),
        key: { format: 'pem', pem: await v.read(`${c.recipient}_key.pem`) },
        certificate: await v.read(`${c.recipient}_cert.pem`),
        ...(c.originator ? { originator: await v.read(c.originator) } : {}),
      });
      assert.deepEqual(out, v.plain);
    });
  }

  it('fails with a wrong key of the same size instead of returning garbage', async (t) => {
    const v = await vectors(t);
    if (!v) return;
    // sender256's key with recipient256's certificate: plain OpenSSL exits 0 with random bytes here.
    await assert.rejects(
      decryptCms({
        cms: await v.read('encrypted_keytrans_a231.pem'),
        key: { format: 'pem', pem: await v.read('sender256_key.pem') },
        certificate: await v.read('recipient256_cert.pem'),
      }),
      (e: unknown) => e instanceof CmsDecryptError && e.reason === 'key-mismatch',
    );
    // A matching key and certificate to which the message is not addressed.
    await assert.rejects(
      decryptCms({
        cms: await v.read('encrypted_keytrans_a231.pem'),
        key: { format: 'pem', pem: await v.read('sender256_key.pem') },
        certificate: await v.read('sender256_cert.pem'),
      }),
      (e: unknown) => e instanceof CmsDecryptError && e.reason === 'not-for-this-recipient',
    );
  });

  it('says a key-agreement message needs the originator certificate', async (t) => {
    const v = await vectors(t);
    if (!v) return;
    await assert.rejects(
      decryptCms({
        cms: await v.read('encrypted_keyagree_a221.pem'),
        key: { format: 'pem', pem: await v.read('recipient256_key.pem') },
        certificate: await v.read('recipient256_cert.pem'),
      }),
      /key-agreement message: it also needs --originator/,
    );
  });

  for (const s of ['signed_a111.pem', 'signed_a121.pem']) {
    it(`verifies ${s} through OpenSSL + gost-engine`, async (t) => {
      const v = await vectors(t);
      if (!v) return;
      // The TC26 root has no CA basicConstraints, so OpenSSL rejects it as a trust anchor:
      // check the signature (-noverify) and that the signer certificate was issued by the root.
      const { stdout } = await runGostOpenssl(['cms', '-verify', '-binary', '-inform', 'PEM', '-in', join(v.dir, s), '-noverify']);
      assert.deepEqual(stdout, iconv1251('Контрольный пример для структуры SignedData.'));
      const signer = await runGostOpenssl(['cms', '-cmsout', '-print', '-inform', 'PEM', '-in', join(v.dir, s)]);
      assert.match(signer.stdout.toString(), /GOST R 34\.10-2012/);
      // A tampered copy must fail.
      const der = (await runGostOpenssl(['cms', '-cmsout', '-inform', 'PEM', '-in', join(v.dir, s), '-outform', 'DER'])).stdout;
      const i = der.indexOf(iconv1251('SignedData'));
      assert.ok(i > 0);
      der[i]! ^= 0x01;
      await assert.rejects(runGostOpenssl(['cms', '-verify', '-binary', '-inform', 'DER', '-noverify'], { stdin: der }));
    });
  }
});

/** cp1251 encoding of Cyrillic and ASCII text (what the TC26 examples use). */
function iconv1251(s: string): Buffer {
  return Buffer.from(
    [...s].map((ch) => {
      const c = ch.codePointAt(0)!;
      if (c < 0x80) return c;
      if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0;
      if (c === 0x401) return 0xa8;
      if (c === 0x451) return 0xb8;
      throw new Error(`no cp1251 mapping for ${ch}`);
    }),
  );
}
