// In-process GOST CMS EnvelopedData (crypto/cms/gost-enveloped.ts, gost-28147.ts, crypto/gost/curves.ts), checked
// against the published Magma vector and both ways against OpenSSL + gost-engine on every curve it
// claims; decryptCms must take this path for 28147 messages and spawn no OpenSSL for them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  decryptGostKeyTransport,
  encryptGostKeyTransport,
  GostPrivateKey,
  gostPrivateKeyForCertificate,
  gostRecipient,
} from '../../src/crypto/cms/gost-enveloped.js';
import { contentOf, elementsOf, oidToString } from '../../src/crypto/cms/der.js';
import { Gost28147, GOST28147_PARAM_Z, GOST28147_SBOX_BY_OID } from '../../src/crypto/gost/gost-28147.js';
import { gostOpensslEnv, runGostOpenssl } from '../../src/crypto/openssl-gost-engine.js';
import { repoRoot } from '../helpers/paths.js';

describe('GOST 28147-89 block cipher', () => {
  // GOST R 34.12-2015 appendix A.2 (RFC 8891 A.2): Magma is 28147-89 with the tc26 Z S-box, written
  // big-endian; gost-engine's 28147 reads key words and blocks little-endian.
  it('gives the published Magma ciphertext under the Z S-box', () => {
    const magmaKey = Buffer.from('ffeeddccbbaa99887766554433221100f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff', 'hex');
    const key = Buffer.concat(Array.from({ length: 8 }, (_, i) => Buffer.from(magmaKey.subarray(4 * i, 4 * i + 4)).reverse()));
    const cipher = new Gost28147(key, GOST28147_SBOX_BY_OID.get(GOST28147_PARAM_Z)!);
    const plain = Buffer.from('fedcba9876543210', 'hex').reverse();
    const encrypted = cipher.encrypt(plain);
    assert.equal(Buffer.from(encrypted).reverse().toString('hex'), '4ee901e5c2d8ca3d');
    assert.deepEqual(cipher.decrypt(encrypted), plain);
  });
});

// The content S-boxes gost-engine writes when CRYPT_PARAMS names them ('' = its default, Z).
const CONTENT_PARAMS = [
  ['', GOST28147_PARAM_Z],
  ['id-Gost28147-89-CryptoPro-A-ParamSet', '1.2.643.2.2.31.1'],
  ['id-Gost28147-89-CryptoPro-B-ParamSet', '1.2.643.2.2.31.2'],
  ['id-Gost28147-89-CryptoPro-C-ParamSet', '1.2.643.2.2.31.3'],
  ['id-Gost28147-89-CryptoPro-D-ParamSet', '1.2.643.2.2.31.4'],
] as const;

// gost-engine's paramset names → the curves crypto/gost/curves.ts claims.
const KEYS = [
  { bits: 256, paramset: 'A', curve: 'id-GostR3410-2001-CryptoPro-A-ParamSet' },
  { bits: 256, paramset: 'B', curve: 'id-GostR3410-2001-CryptoPro-B-ParamSet' },
  { bits: 256, paramset: 'C', curve: 'id-GostR3410-2001-CryptoPro-C-ParamSet' },
  { bits: 256, paramset: 'XA', curve: 'id-GostR3410-2001-CryptoPro-A-ParamSet' },
  { bits: 256, paramset: 'XB', curve: 'id-GostR3410-2001-CryptoPro-C-ParamSet' },
  { bits: 512, paramset: 'A', curve: 'id-tc26-gost-3410-12-512-paramSetA' },
  { bits: 512, paramset: 'B', curve: 'id-tc26-gost-3410-12-512-paramSetB' },
];

/** The content-encryption S-box OID of an EnvelopedData. */
function contentParamSetOf(message: Buffer): string {
  const fields = elementsOf(elementsOf(elementsOf(message)[1]!)[0]!);
  const [, algorithm] = elementsOf(fields[2]!);
  return oidToString(elementsOf(elementsOf(algorithm!)[1]!)[1]!);
}

describe('GOST key transport against OpenSSL + gost-engine', () => {
  let dir: string;
  const made: { name: string; certPath: string; keyPath: string; cert: Buffer; key: GostPrivateKey; curve: string }[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-gostcms-'));
    for (const k of KEYS) {
      const name = `${k.bits}-${k.paramset}`;
      const keyPath = join(dir, `${name}.key`);
      const certPath = join(dir, `${name}.pem`);
      await runGostOpenssl(['genpkey', '-algorithm', `gost2012_${k.bits}`, '-pkeyopt', `paramset:${k.paramset}`, '-out', keyPath]);
      await runGostOpenssl([
        'req',
        '-new',
        '-x509',
        '-key',
        keyPath,
        `-md_gost12_${k.bits}`,
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-addext',
        'keyUsage=critical,keyEncipherment',
        '-out',
        certPath,
      ]);
      const cert = new X509Certificate(await readFile(certPath)).raw;
      const pkcs8 = (await runGostOpenssl(['pkey', '-in', keyPath, '-outform', 'DER'])).stdout;
      const key = gostPrivateKeyForCertificate(pkcs8, cert);
      assert.ok(key, `${name}: the PKCS#8 key is read and matches its certificate`);
      made.push({ name, certPath, keyPath, cert, key, curve: k.curve });
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const plaintext = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + n) & 255));
  // 0 and 1 byte, one block, a partial block, and past the 1024-byte key meshing point twice.
  const LENGTHS = [0, 1, 8, 45, 1024, 1025, 2500];

  it('reads each key on the curve it claims', () => {
    for (const m of made) assert.equal(m.key.curve.name, m.curve, m.name);
  });

  it('decrypts what `openssl cms -encrypt -gost89` writes, on every curve, every S-box and every length', async () => {
    for (const m of made)
      for (const [cryptParams, oid] of CONTENT_PARAMS)
        for (const n of m.name === '256-A' ? LENGTHS : [0, 1025]) {
          const message = (
            await runGostOpenssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-gost89', m.certPath], {
              stdin: plaintext(n),
              env: { CRYPT_PARAMS: cryptParams },
            })
          ).stdout;
          assert.equal(contentParamSetOf(message), oid, 'gost-engine used the S-box asked for');
          assert.deepEqual(decryptGostKeyTransport(message, m.cert, m.key), plaintext(n), `${m.name}, ${cryptParams || 'Z'}, ${n} bytes`);
        }
  });

  it('writes what `openssl cms -decrypt` reads, on every curve and length', async () => {
    for (const m of made)
      for (const n of m.name === '256-A' ? LENGTHS : [1, 1025]) {
        const message = encryptGostKeyTransport(plaintext(n), gostRecipient(m.cert)!);
        assert.ok(message);
        const { stdout } = await runGostOpenssl(
          ['cms', '-decrypt', '-binary', '-inform', 'DER', '-recip', m.certPath, '-inkey', m.keyPath, '-debug_decrypt'],
          { stdin: message },
        );
        assert.deepEqual(stdout, plaintext(n), `${m.name}, ${n} bytes`);
      }
  });

  it('refuses a wrong key and a damaged key wrap, and leaves other shapes to OpenSSL', async () => {
    const [a, b] = [made[0]!, made[1]!];
    const message = encryptGostKeyTransport(Buffer.from('secret'), gostRecipient(a.cert)!);
    assert.equal(decryptGostKeyTransport(message, a.cert, new GostPrivateKey(a.key.curve, 12345n)), 'not-for-this-recipient');
    // Flip one bit of the wrapped content key (KeyTransRecipientInfo → encryptedKey → sessionEncryptedKey).
    const recipientInfo = elementsOf(elementsOf(elementsOf(elementsOf(message)[1]!)[0]!)[1]!)[0]!;
    const sessionEncryptedKey = elementsOf(contentOf(elementsOf(recipientInfo)[3]!))[0]!;
    const damaged = Buffer.from(message);
    const at = message.indexOf(sessionEncryptedKey) + 4;
    damaged[at] = damaged[at]! ^ 1;
    assert.equal(decryptGostKeyTransport(damaged, a.cert, a.key), 'not-for-this-recipient');
    // Addressed to another certificate, Kuznyechik content, not DER at all: not this module's call.
    assert.equal(decryptGostKeyTransport(message, b.cert, b.key), 'unsupported');
    const kuznyechik = (
      await runGostOpenssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-kuznyechik-ctr-acpkm', a.certPath], {
        stdin: Buffer.from('x'),
      })
    ).stdout;
    assert.equal(decryptGostKeyTransport(kuznyechik, a.cert, a.key), 'unsupported');
    assert.equal(decryptGostKeyTransport(Buffer.from('not a message'), a.cert, a.key), 'unsupported');
  });

  it('reads no key it cannot prove: another certificate, or a twisted Edwards curve', async () => {
    const [a, b] = [made[0]!, made[1]!];
    const pkcs8 = (await runGostOpenssl(['pkey', '-in', a.keyPath, '-outform', 'DER'])).stdout;
    assert.equal(gostPrivateKeyForCertificate(pkcs8, b.cert), undefined);
    const edwardsKey = join(dir, 'tca.key');
    const edwardsCert = join(dir, 'tca.pem');
    await runGostOpenssl(['genpkey', '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:TCA', '-out', edwardsKey]);
    await runGostOpenssl([
      'req',
      '-new',
      '-x509',
      '-key',
      edwardsKey,
      '-md_gost12_256',
      '-days',
      '2',
      '-subj',
      '/CN=tca',
      '-out',
      edwardsCert,
    ]);
    const edwardsPkcs8 = (await runGostOpenssl(['pkey', '-in', edwardsKey, '-outform', 'DER'])).stdout;
    assert.equal(gostPrivateKeyForCertificate(edwardsPkcs8, new X509Certificate(await readFile(edwardsCert)).raw), undefined);
    assert.equal(gostRecipient(new X509Certificate(await readFile(edwardsCert)).raw), undefined);
  });

  it('never shows the private scalar', () => {
    const key = made[0]!.key;
    const hex = key.scalar().toString(16);
    assert.ok(!inspect(key).includes(hex) && !JSON.stringify({ key }).includes(hex) && !String(key.scalar).includes(hex));
    assert.match(inspect(key), /GostPrivateKey\(id-GostR3410-2001-CryptoPro-A-ParamSet\)/);
  });

  // decryptCms opens the key once with OpenSSL (cached), then must decrypt 28147 messages without
  // another process, and still hand Kuznyechik to OpenSSL. A wrapper counts the real spawns.
  it('decryptCms spawns no OpenSSL for a 28147 message once the key is open, one for Kuznyechik', async () => {
    const m = made[0]!;
    const log = join(dir, 'spawns.log');
    const wrapper = join(dir, 'openssl-counting');
    await writeFile(wrapper, `#!/bin/sh\necho "$1" >> '${log}'\nexec openssl "$@"\n`);
    await chmod(wrapper, 0o755);
    const gost89 = encryptGostKeyTransport(Buffer.from('first'), gostRecipient(m.cert, { precompute: true })!);
    const second = (
      await runGostOpenssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-gost89', m.certPath], { stdin: Buffer.from('second') })
    ).stdout;
    const kuz = (
      await runGostOpenssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-kuznyechik-ctr-acpkm', m.certPath], {
        stdin: Buffer.from('third'),
      })
    ).stdout;
    const decryptJs = join(repoRoot, 'dist', 'src', 'crypto', 'cms', 'decrypt.js');
    const script = `
      import { readFileSync, writeFileSync } from 'node:fs';
      const { decryptCms } = await import(${JSON.stringify(decryptJs)});
      const key = { format: 'pem', pem: readFileSync(${JSON.stringify(m.keyPath)}) };
      const certificate = readFileSync(${JSON.stringify(m.certPath)});
      const out = [];
      for (const cms of ${JSON.stringify([gost89, second, kuz].map((b) => b.toString('base64')))}) {
        out.push((await decryptCms({ cms, key, certificate })).toString());
        out.push(readFileSync(${JSON.stringify(log)}, 'utf8').trim().split('\\n').length);
      }
      console.log(JSON.stringify(out));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...(await gostOpensslEnv()), TRUSTFLOW_OPENSSL: wrapper },
    });
    const [p1, n1, p2, n2, p3, n3] = JSON.parse(stdout) as [string, number, string, number, string, number];
    assert.deepEqual([p1, p2, p3], ['first', 'second', 'third']);
    assert.ok(n1 > 0, 'opening the key ran OpenSSL');
    assert.equal(n2, n1, 'the second 28147 message ran no OpenSSL');
    assert.equal(n3, n2 + 1, 'the Kuznyechik message ran exactly one');
  });
});
