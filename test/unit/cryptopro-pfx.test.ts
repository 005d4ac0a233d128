// The CryptoPro PFX reader (src/crypto/keys/cryptopro-pfx.ts) on the genuine files CryptoPro CSP
// wrote (shared/vectors/cryptopro, expected.json): each key equals the expected PKCS#8 byte for
// byte, the certificate and d too; OpenSSL + gost-engine derives the certificate's public key from
// it. Wrong passwords, damaged and truncated files end in a KeyStoreError, never another error.
// Damage behind the PKCS#12 MAC is made reachable by computing the MAC again with node-forge.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import forge from 'node-forge';
import { KeyStoreError } from '../../src/common/errors.js';
import { contentOf, elementsOf, sequence, tlv, TAG } from '../../src/crypto/cms/der.js';
import { isCryptoProPfx, openCryptoProPfx } from '../../src/crypto/keys/cryptopro-pfx.js';
import { runGostOpenssl } from '../../src/crypto/openssl-gost-engine.js';
import { damaged, describeError, timed } from '../helpers/fuzz.js';
import { vectorsDir, vectorsOrSkip } from '../helpers/paths.js';
import { gostEngineAvailable } from '../helpers/gost-engine.js';

interface Expected {
  password: string;
  keys: { d_hex_be: string; pbe_rounds: number; pkcs8_pem_file: string; certificate_file: string }[];
}

const CRYPTOPRO = join(vectorsDir, 'cryptopro');
const REF = 'vault:kv/cryptopro-pfx#password';

/** expected.json's PFX entries, or undefined (skipped) without the vectors. */
function pfxVectors(t: TestContext): [string, Expected][] | undefined {
  const path = vectorsOrSkip(t, 'cryptopro', 'expected.json');
  if (!path) return undefined;
  const all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Expected>;
  const pfx = Object.entries(all).filter(([name]) => name.endsWith('.pfx'));
  assert.equal(pfx.length, 4, 'expected.json lists four CryptoPro PFX files');
  return pfx;
}

const file = (name: string) => readFileSync(join(CRYPTOPRO, name));
const derOfPem = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');

/** Calls f, which must throw a KeyStoreError (and nothing else); returns its message. */
function keyStoreErrorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof KeyStoreError, `expected a KeyStoreError, got ${describeError(err)}`);
    return err.message;
  }
  assert.fail('expected a KeyStoreError, it opened');
}

// ---- Rebuilding a PFX (to reach the parts the PKCS#12 MAC protects) ----

/** The PFX with its MAC computed again over its (changed) content, by node-forge's RFC 7292 KDF. */
function withMac(pfx: Buffer, password: string): Buffer {
  const [version, authSafe, macData] = elementsOf(pfx);
  const [digestInfo, salt, iterations] = elementsOf(macData!);
  const content = contentOf(contentOf(elementsOf(authSafe!)[1]!));
  const macKey = forge.pkcs12.generateKey(
    password,
    forge.util.createBuffer(contentOf(salt!).toString('binary')),
    3,
    parseInt(contentOf(iterations!).toString('hex'), 16),
    20,
    forge.md.sha1.create(),
  );
  const hmac = forge.hmac.create();
  hmac.start('sha1', macKey.getBytes());
  hmac.update(content.toString('binary'));
  const mac = Buffer.from(hmac.digest().getBytes(), 'binary');
  return sequence(version!, authSafe!, sequence(sequence(elementsOf(digestInfo!)[0]!, tlv(TAG.octetString, mac)), salt!, iterations!));
}

/** The ContentInfos of the PFX's AuthenticatedSafe. */
const contentInfosOf = (pfx: Buffer) => elementsOf(contentOf(contentOf(elementsOf(elementsOf(pfx)[1]!)[1]!)));

/** A PFX of these ContentInfos (MAC not yet recomputed). */
function withContentInfos(pfx: Buffer, contentInfos: Buffer[]): Buffer {
  const [version, authSafe, macData] = elementsOf(pfx);
  const [dataOid] = elementsOf(authSafe!);
  const content = tlv(TAG.context(0), tlv(TAG.octetString, sequence(...contentInfos)));
  return sequence(version!, sequence(dataOid!, content), macData!);
}

/** The CryptoPro key bag's parts: its SafeBag, the EncryptedPrivateKeyInfo's AlgorithmIdentifier and encrypted OCTET STRING. */
function keyBagOf(pfx: Buffer) {
  const [dataOid, explicit] = elementsOf(contentInfosOf(pfx)[0]!);
  const bags = elementsOf(contentOf(contentOf(explicit!)));
  const [bagId, bagValue, attributes] = elementsOf(bags[0]!);
  const [algorithm, encrypted] = elementsOf(contentOf(bagValue!));
  return { dataOid: dataOid!, bags, bagId: bagId!, attributes, algorithm: algorithm!, encrypted: encrypted! };
}

/** The PFX with the key bag's PBE parameters replaced (MAC recomputed). */
function withPbeParameters(pfx: Buffer, password: string, params: Buffer): Buffer {
  const k = keyBagOf(pfx);
  const [pbeOid] = elementsOf(k.algorithm);
  const epki = sequence(sequence(pbeOid!, params), k.encrypted);
  const bag = sequence(k.bagId, tlv(TAG.context(0), epki), ...(k.attributes ? [k.attributes] : []));
  const first = sequence(k.dataOid, tlv(TAG.context(0), tlv(TAG.octetString, sequence(bag, ...k.bags.slice(1)))));
  return withMac(withContentInfos(pfx, [first, ...contentInfosOf(pfx).slice(1)]), password);
}

describe('CryptoPro PFX: the genuine files', () => {
  it('every file: CryptoPro PFX detected, key = expected PKCS#8 byte for byte, own certificate first, d as expected', (t) => {
    const vectors = pfxVectors(t);
    if (!vectors) return;
    for (const [name, expected] of vectors) {
      const der = file(name);
      assert.equal(isCryptoProPfx(der), true, name);
      const { key, certificates } = openCryptoProPfx(der, expected.password, name, REF);
      const [want] = expected.keys;
      assert.deepEqual(key.toPkcs8(), derOfPem(readFileSync(join(CRYPTOPRO, want!.pkcs8_pem_file), 'utf8')), name);
      assert.deepEqual(certificates[0]!.raw, new X509Certificate(file(want!.certificate_file)).raw, name);
      assert.ok(key.belongsTo(certificates[0]!), name);
      // d through the PKCS#8: its key octets are d little-endian.
      const d = Buffer.from(contentOf(elementsOf(key.toPkcs8())[2]!)).reverse();
      assert.equal(d.toString('hex'), want!.d_hex_be, name);
    }
  });

  it('a wrong password is a KeyStoreError naming the file and the secret reference, never the password', (t) => {
    const vectors = pfxVectors(t);
    if (!vectors) return;
    const password = 'not-the-Pa55w0rd-7f3a';
    for (const [name] of vectors) {
      const message = keyStoreErrorOf(() => openCryptoProPfx(file(name), password, name, REF));
      assert.match(message, /wrong password \(the PKCS#12 integrity check failed\)/);
      assert.ok(message.startsWith(`${name}:`) && message.includes(REF), message);
      assert.ok(!message.includes(password), message);
    }
  });

  it('a flipped byte in the encrypted key bag: the MAC fails; with the MAC made again, "damaged key bag" or "not readable"', (t) => {
    const vectors = pfxVectors(t);
    if (!vectors) return;
    for (const [name, expected] of vectors) {
      const der = file(name);
      const encrypted = contentOf(keyBagOf(der).encrypted);
      const at = encrypted.byteOffset - der.byteOffset + encrypted.length - 1; // the last byte: inside ExportedKey's mac (CFB)
      const flipped = Buffer.from(der);
      flipped[at]! ^= 0x01;
      assert.match(
        keyStoreErrorOf(() => openCryptoProPfx(flipped, expected.password, name)),
        /wrong password/,
      );
      assert.match(
        keyStoreErrorOf(() => openCryptoProPfx(withMac(flipped, expected.password), expected.password, name)),
        /not a readable CryptoPro PFX \(damaged key bag/,
      );
    }
    // Every 5th byte of one key bag, MAC made again: refused, whichever part of the key or its header it hits.
    const name = 'cryptopro-corefx/pfx/dotnet_core_2012_256.pfx';
    const der = file(name);
    const encrypted = contentOf(keyBagOf(der).encrypted);
    for (let i = 0; i < encrypted.length; i += 5) {
      const flipped = Buffer.from(der);
      flipped[encrypted.byteOffset - der.byteOffset + i]! ^= 0x80;
      const message = keyStoreErrorOf(() => openCryptoProPfx(withMac(flipped, ''), '', name));
      assert.match(message, /not a readable CryptoPro PFX|holds a key of algorithm/, `byte ${i}: ${message}`);
    }
  });

  it('a truncated file is a KeyStoreError, and no longer a CryptoPro PFX', (t) => {
    const vectors = pfxVectors(t);
    if (!vectors) return;
    for (const [name, expected] of vectors) {
      const der = file(name);
      for (const length of [0, 1, 2, 4, 100, 500, der.length >> 1, der.length - 30, der.length - 1]) {
        const message = keyStoreErrorOf(() => openCryptoProPfx(der.subarray(0, length), expected.password, name));
        assert.match(message, /not a readable CryptoPro PFX/, `${length} bytes`);
        assert.equal(isCryptoProPfx(der.subarray(0, length)), false, `${length} bytes`);
      }
    }
  });

  it('a key without its certificate: "no certificate for its private key"', (t) => {
    if (!pfxVectors(t)) return;
    const own = file('cryptopro-corefx/pfx/dotnet_core_2012_256.pfx');
    const other = file('cryptopro-corefx/pfx/dotnet_core_2012_512.pfx');
    const noCertificates = withMac(withContentInfos(own, [contentInfosOf(own)[0]!]), '');
    assert.match(
      keyStoreErrorOf(() => openCryptoProPfx(noCertificates, '', 'a.pfx')),
      /^a\.pfx: .*no certificate for its private key/,
    );
    const foreignCertificate = withMac(withContentInfos(own, [contentInfosOf(own)[0]!, contentInfosOf(other)[1]!]), '');
    assert.match(
      keyStoreErrorOf(() => openCryptoProPfx(foreignCertificate, '', 'a.pfx')),
      /no certificate for its private key/,
    );
  });

  it('key-derivation rounds are bounded (the counter is two bytes) and must be positive', (t) => {
    if (!pfxVectors(t)) return;
    const name = 'cryptopro-corefx/pfx/dotnet_core_2012_256.pfx';
    const der = file(name);
    const [salt] = elementsOf(elementsOf(keyBagOf(der).algorithm)[1]!);
    const rounds = (n: number[]) => withPbeParameters(der, '', sequence(salt!, tlv(TAG.integer, Buffer.from(n))));
    const started = performance.now();
    assert.match(
      keyStoreErrorOf(() => openCryptoProPfx(rounds([0x7f, 0xff, 0xff, 0xff]), '', name)),
      /asks for 2147483647 key-derivation rounds .*refused/,
    );
    assert.match(
      keyStoreErrorOf(() => openCryptoProPfx(rounds([0x01, 0x00, 0x00]), '', name)),
      /asks for 65536 key-derivation rounds/,
    );
    assert.ok(performance.now() - started < 1000, 'refused before any work');
    assert.match(
      keyStoreErrorOf(() => openCryptoProPfx(rounds([0]), '', name)),
      /not a readable CryptoPro PFX \(key-derivation rounds: 0\)/,
    );
    // The same count rewritten (2000): still opens, so the rebuilding itself is sound.
    assert.ok(openCryptoProPfx(rounds([0x07, 0xd0]), '', name).key);
  });
});

describe('CryptoPro PFX: other files', () => {
  it('NCA PKCS#12 files are not CryptoPro PFX files, and opening one says so', (t) => {
    const dir = vectorsOrSkip(t, 'nca');
    if (!dir) return;
    const p12 = readdirSync(dir).filter((f) => f.endsWith('.p12'));
    assert.ok(p12.length >= 3, 'the NCA PKCS#12 files');
    for (const f of p12) {
      const der: Buffer = readFileSync(join(dir, f));
      assert.equal(isCryptoProPfx(der), false, f);
      assert.match(
        keyStoreErrorOf(() => openCryptoProPfx(der, 'Qwerty12', f)),
        new RegExp(`^${f}: `),
      );
    }
  });

  it('random bytes are not a CryptoPro PFX, and opening them is a KeyStoreError', () => {
    for (let i = 0; i < 200; i++) {
      const der = randomBytes(i % 7 === 0 ? 0 : 1 + ((i * 37) % 2048));
      if (i % 2) der[0] = 0x30; // a SEQUENCE with a random length
      assert.equal(isCryptoProPfx(der), false);
      keyStoreErrorOf(() => openCryptoProPfx(der, '', 'random.pfx'));
    }
  });

  it('damaged files (bytes, re-encoded trees, MAC stripped): a key or a KeyStoreError, in bounded time', (t) => {
    const vectors = pfxVectors(t);
    if (!vectors) return;
    const samples = vectors.filter(([, e]) => e.password === '').map(([name]) => file(name));
    fc.assert(
      fc.property(damaged(samples, { tree: true, stripMac: true }), (der) => {
        const detected = timed(1000, 'isCryptoProPfx', () => isCryptoProPfx(der));
        assert.ok(detected.ok, 'isCryptoProPfx never throws');
        const opened = timed(3000, 'openCryptoProPfx', () => openCryptoProPfx(der, '', 'fuzz.pfx'));
        if (!opened.ok) assert.ok(opened.error instanceof KeyStoreError, describeError(opened.error));
      }),
      { numRuns: 150 },
    );
  });
});

describe('CryptoPro PFX: the derived key against OpenSSL + gost-engine', () => {
  let engine = false;
  before(async () => {
    engine = await gostEngineAvailable();
  });

  it('`pkey -pubout` of the derived PKCS#8 = `x509 -pubkey` of the certificate, for every file', async (t) => {
    const vectors = pfxVectors(t);
    if (!vectors) return;
    if (!engine) return t.skip('gost-engine is not installed');
    for (const [name, expected] of vectors) {
      const { key, certificates } = openCryptoProPfx(file(name), expected.password, name);
      const fromKey = await runGostOpenssl(['pkey', '-pubout'], { stdin: Buffer.from(key.toPkcs8Pem()) });
      const fromCertificate = await runGostOpenssl(['x509', '-noout', '-pubkey'], { stdin: Buffer.from(certificates[0]!.toString()) });
      assert.match(fromKey.stdout.toString(), /-----BEGIN PUBLIC KEY-----/, name);
      assert.equal(fromKey.stdout.toString(), fromCertificate.stdout.toString(), name);
    }
  });
});
