// The CryptoPro container reader (src/crypto/keys/cryptopro-container.ts, -folder.ts) against the
// genuine containers CryptoPro CSP made (../shared/vectors/cryptopro: README.md says where they come
// from and how their expected keys were checked). Every container of expected.json must open to its
// expected PKCS#8 from both copies, agree with OpenSSL + gost-engine on the public key, and every
// kind of damage must end in a CryptoProContainerError naming the problem and the file, never the
// password. The vectors are read where they are (copies into os.tmpdir() only, made and removed here).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { derOf } from '../../src/common/x509-der.js';
import { contentOf, elementsOf, oid, sequence, TAG, tlv } from '../../src/crypto/cms/der.js';
import { Gost28147, GOST28147_PARAM_Z, GOST28147_SBOX_BY_OID } from '../../src/crypto/gost/gost-28147.js';
import { CRYPTOPRO_PARAMSET_SBOX, gostR341194 } from '../../src/crypto/gost/gost-r-34-11-94.js';
import { streebog256 } from '../../src/crypto/gost/streebog.js';
import {
  CryptoProContainerError,
  cryptoProKdf,
  cryptoProPin,
  inspectCryptoProContainer,
  openCryptoProContainer,
  pickContainerKey,
  type CryptoProContainerFiles,
  type CryptoProContainerProblem,
  type CryptoProKeyInfo,
} from '../../src/crypto/keys/cryptopro-container.js';
import {
  inspectCryptoProContainerFolder,
  looksLikeCryptoProContainer,
  openCryptoProContainerFolder,
  readCryptoProContainerFolder,
} from '../../src/crypto/keys/cryptopro-container-folder.js';
import { runGostOpenssl } from '../../src/crypto/openssl-gost-engine.js';
import { vectorsOrSkip } from '../helpers/paths.js';

// =================================================================================================
// The vectors
// =================================================================================================

interface ExpectedKey {
  slot: string;
  params: { flags: { bitstring_hex: string; exportable: boolean }; algorithm: string; curve: string; digest: string };
  d_hex_be: string;
  d_hex_le: string;
  pkcs8_pem_file: string;
  certificate_file: string;
  /** The header's fingerprint: primaryFP_hex for one-key containers, fingerprint_hex for two-key ones. */
  primaryFP_hex?: string;
  fingerprint_hex?: string;
}
interface ExpectedContainer {
  password: string;
  /** The header's [2]: '00000000' when no password is set, null when there is no [2] (two-key containers). */
  hmacPassword_hex?: string | null;
  keys: ExpectedKey[];
}

const FILE_NAMES = ['header', 'masks', 'primary', 'masks2', 'primary2', 'name'] as const;

interface Vectors {
  dir: string;
  /** Every container of expected.json (the .pfx entries are not containers). */
  containers: [string, ExpectedContainer][];
  files: (container: string) => CryptoProContainerFiles;
  pem: (file: string) => string;
}

function cryptoPro(t: TestContext): Vectors | undefined {
  const dir = vectorsOrSkip(t, 'cryptopro');
  if (!dir) return undefined;
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, ExpectedContainer>;
  return {
    dir,
    containers: Object.entries(expected).filter(([name]) => !name.endsWith('.pfx')),
    files: (container) => {
      const files: Partial<Record<(typeof FILE_NAMES)[number], Buffer>> = {};
      for (const f of FILE_NAMES) files[f] = readFileSync(join(dir, container, `${f}.key`));
      return files as CryptoProContainerFiles;
    },
    pem: (file) => readFileSync(join(dir, file), 'latin1'),
  };
}

const G2001 = 'get-cpcert/g2001.000';
const G2012256 = 'get-cpcert/g2012256.000';
const ONE_KEY = 'cryptopro-corefx/containers/G2001256.000';
const TWO_KEYS = 'cryptopro-corefx/containers/G2012256.001';
const OTHER_FORMATS = ['cryptopro-corefx/other-formats/pfx-0829.000', 'cryptopro-corefx/other-formats/pfx-3407.000'];

const der = (pem: string) => Buffer.from(derOf(pem));
/** The scalar of a PKCS#8 as gost-engine writes it: the OCTET STRING of little-endian bytes. */
const dLeOf = (pkcs8: Buffer) => contentOf(elementsOf(pkcs8)[2]!);
const flipped = (bytes: Uint8Array, at: number) => {
  const b = Buffer.from(bytes);
  b[at]! ^= 0x01;
  return b;
};

/**
 * Runs `f`, which must throw a CryptoProContainerError of `problem` whose message names every one
 * of `mentions` and never `password`.
 */
function refused(f: () => unknown, problem: CryptoProContainerProblem, mentions: string[], password?: string): CryptoProContainerError {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  return checkRefusal(error, problem, mentions, password);
}
async function refusedAsync(f: () => Promise<unknown>, problem: CryptoProContainerProblem, mentions: string[], password?: string) {
  let error: unknown;
  try {
    await f();
  } catch (e) {
    error = e;
  }
  return checkRefusal(error, problem, mentions, password);
}
function checkRefusal(error: unknown, problem: CryptoProContainerProblem, mentions: string[], password?: string): CryptoProContainerError {
  assert.ok(error !== undefined, `expected a CryptoProContainerError '${problem}', but it opened`);
  assert.ok(error instanceof CryptoProContainerError, `expected a CryptoProContainerError, got ${String(error)}`);
  assert.equal(error.problem, problem, error.message);
  for (const m of mentions) assert.ok(error.message.includes(m), `the message names ${m}: ${error.message}`);
  if (password) assert.ok(!error.message.includes(password), `the message shows the password: ${error.message}`);
  return error;
}

// =================================================================================================
// The genuine containers
// =================================================================================================

describe('CryptoPro containers made by CryptoPro CSP open to their expected keys', () => {
  it('every container of expected.json: PKCS#8, d, certificate, usage, exportable, stored algorithm, fingerprint, passwordSet', async (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    assert.ok(v.containers.length >= 7, `expected.json lists ${v.containers.length} containers`);
    for (const [name, c] of v.containers) {
      await t.test(name, () => {
        const files = v.files(name);
        const opened = openCryptoProContainer(files, c.password, name);
        const info = inspectCryptoProContainer(files, name);
        assert.equal(opened.length, c.keys.length);
        assert.equal(info.keys.length, c.keys.length);
        assert.equal(info.passwordSet, c.hmacPassword_hex === null ? undefined : c.hmacPassword_hex !== '00000000');
        assert.ok(info.name, 'name.key is read');
        for (const [i, e] of c.keys.entries()) {
          const { key, info: keyInfo, warning } = opened[i]!;
          assert.equal(warning, undefined);
          const plain = (k: CryptoProKeyInfo) => ({ ...k, certificate: k.certificate?.raw });
          assert.deepEqual(plain(keyInfo), plain(info.keys[i]!), 'open and inspect describe the key alike');
          const pkcs8 = key.toPkcs8();
          assert.deepEqual(pkcs8, der(v.pem(e.pkcs8_pem_file)), `${keyInfo.slot}: PKCS#8 byte for byte`);
          assert.equal(key.toPkcs8Pem().replace(/\s/g, ''), v.pem(e.pkcs8_pem_file).replace(/\s/g, ''));
          assert.equal(dLeOf(pkcs8).toString('hex'), e.d_hex_le);
          assert.equal(Buffer.from(dLeOf(pkcs8)).reverse().toString('hex'), e.d_hex_be);
          const certPem = v.pem(e.certificate_file);
          assert.ok(key.belongsTo(certPem), `${keyInfo.slot}: the key belongs to its expected certificate`);
          assert.ok(key.belongsTo(new X509Certificate(certPem)));
          assert.deepEqual(keyInfo.certificate?.raw, der(certPem), 'the stored certificate is the expected one');
          assert.equal(keyInfo.slot, i === 0 ? 'primary' : 'secondary');
          assert.equal(keyInfo.storedAlgorithm, e.params.algorithm);
          assert.equal(keyInfo.usage, /^1\.2\.643\.(2\.2\.98|7\.1\.1\.6\.[12])$/.test(e.params.algorithm) ? 'exchange' : 'signature');
          assert.equal(keyInfo.exportable, e.params.flags.exportable);
          assert.equal(keyInfo.parameters.curve, e.params.curve);
          assert.equal(keyInfo.parameters.digest, e.params.digest);
          assert.equal(keyInfo.parameters.algorithm, key.parameters.algorithm);
          assert.deepEqual(keyInfo.fingerprint?.toString('hex'), e.primaryFP_hex ?? e.fingerprint_hex);
          assert.deepEqual(key.fingerprint(), keyInfo.fingerprint);
        }
      });
    }
  });

  it('usage and exportable, spelled out: two-key containers hold signature + exchange; 0000rtin.001 is not exportable', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    const usages = (name: string) =>
      inspectCryptoProContainer(v.files(name), name).keys.map((k) => `${k.usage}${k.exportable ? '' : ' (not exportable)'}`);
    assert.deepEqual(usages(TWO_KEYS), ['signature', 'exchange']);
    assert.deepEqual(usages('cryptopro-corefx/containers/G2012512.000'), ['signature', 'exchange']);
    assert.deepEqual(usages('cryptopro-corefx/containers/0000rtin.001'), ['exchange (not exportable)']);
    assert.deepEqual(usages(G2001), ['exchange']);
  });

  it('both copies agree: primary2.key/masks2.key alone (given as primary/masks) give the same PKCS#8', async (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    for (const [name, c] of v.containers) {
      await t.test(name, () => {
        const files = v.files(name);
        const first = openCryptoProContainer({ header: files.header, masks: files.masks, primary: files.primary }, c.password, name);
        const second = openCryptoProContainer({ header: files.header, masks: files.masks2!, primary: files.primary2! }, c.password, name);
        assert.equal(second.length, first.length);
        for (const [i, k] of second.entries()) assert.deepEqual(k.key.toPkcs8(), first[i]!.key.toPkcs8());
        // The copies really are different bytes (another mask and salt), not one file twice.
        assert.notDeepEqual(files.masks2, files.masks);
        assert.notDeepEqual(files.primary2, files.primary);
      });
    }
  });

  it('OpenSSL + gost-engine agrees: `pkey -pubout` of each PKCS#8 = `x509 -pubkey` of its certificate', async (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    for (const [name, c] of v.containers) {
      await t.test(name, async () => {
        const opened = openCryptoProContainer(v.files(name), c.password, name);
        for (const [i, e] of c.keys.entries()) {
          const fromKey = await runGostOpenssl(['pkey', '-pubout'], { stdin: Buffer.from(opened[i]!.key.toPkcs8Pem()) });
          const fromCert = await runGostOpenssl(['x509', '-noout', '-pubkey'], { stdin: Buffer.from(v.pem(e.certificate_file)) });
          assert.match(fromKey.stdout.toString(), /^-----BEGIN PUBLIC KEY-----/);
          assert.equal(fromKey.stdout.toString(), fromCert.stdout.toString(), `${name} key ${i}`);
        }
      });
    }
  });
});

// =================================================================================================
// The KDF and the password bytes
// =================================================================================================

const SBOX_CRYPTOPRO_A = GOST28147_SBOX_BY_OID.get('1.2.643.2.2.31.1')!;
const SBOX_TC26_Z = GOST28147_SBOX_BY_OID.get(GOST28147_PARAM_Z)!;
const gost94 = (d: Uint8Array) => gostR341194(d, CRYPTOPRO_PARAMSET_SBOX);

describe('cryptoProKdf and cryptoProPin', () => {
  it("reproduces the get-cpcert containers' password MAC: MAC(KDF(password, fingerprint), 16 zero bytes) = [2]", (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    const cases = [
      { name: G2001, hash: gost94, block: 32 as const, sbox: SBOX_CRYPTOPRO_A },
      { name: G2012256, hash: streebog256, block: 64 as const, sbox: SBOX_TC26_Z },
    ];
    for (const c of cases) {
      const e: ExpectedContainer = v.containers.find(([n]) => n === c.name)![1];
      const fingerprint = Buffer.from(e.keys[0]!.primaryFP_hex!, 'hex');
      const mac = (password: string) =>
        new Gost28147(cryptoProKdf(c.hash, c.block, password, fingerprint), c.sbox)
          .mac(new Uint8Array(8), new Uint8Array(16))
          .toString('hex');
      assert.equal(mac(e.password), e.hmacPassword_hex, c.name);
      assert.notEqual(mac('2'), e.hmacPassword_hex, `${c.name}: another password gives another MAC`);
    }
  });

  it("reproduces li0ard/gost's CPKDF test vector (Streebog-256)", () => {
    // From li0ard/gost, src/kdf.spec.ts, test "CPKDF" (commit 0fe112c9180d2399fb48ace19aafc940f90df822):
    // cpkdf("qawsqaws", 98e4f49415555d8ab20567a0) = b551b396…0fd9f5, on Streebog-256 (a 64-byte block).
    const k = cryptoProKdf(streebog256, 64, 'qawsqaws', Buffer.from('98e4f49415555d8ab20567a0', 'hex'));
    assert.equal(k.toString('hex'), 'b551b39608787399ba85c59c68906b8f83c289ccee3c6141700dfc75ec0fd9f5');
  });

  it('gives 32 bytes and depends on password, salt and hash (the empty password, 2 rounds, is pinned by the containers above)', () => {
    const salt = Buffer.from('000102030405060708090a0b', 'hex');
    const a = cryptoProKdf(streebog256, 64, '', salt);
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, cryptoProKdf(streebog256, 64, '', Buffer.from(salt).reverse()));
    assert.notDeepEqual(a, cryptoProKdf(streebog256, 64, 'a', salt));
    assert.notDeepEqual(cryptoProKdf(gost94, 32, 'a', salt), cryptoProKdf(streebog256, 64, 'a', salt));
  });

  it('cryptoProPin: ASCII characters each followed by three zero bytes', () => {
    assert.equal(cryptoProPin('').length, 0);
    assert.equal(cryptoProPin('1').toString('hex'), '31000000');
    assert.equal(cryptoProPin('Ab1').toString('hex'), '410000006200000031000000');
  });

  it('cryptoProPin: non-ASCII passwords take the low byte of each UTF-16 code unit, then three zeros (unverified against CryptoPro: no vector)', () => {
    // п U+043F, а U+0430, р U+0440, о U+043E, л U+043B, ь U+044C: the documented rule keeps 3F 30 40 3E 3B 4C.
    assert.equal(cryptoProPin('пароль').toString('hex'), '3f000000' + '30000000' + '40000000' + '3e000000' + '3b000000' + '4c000000');
    // So, under that rule, these two passwords are one and the same for the KDF...
    assert.deepEqual(cryptoProPin('пароль'), cryptoProPin('?0@>;L'));
    // ...and a character outside the BMP counts as its two surrogates (U+1F511: D83D DD11).
    assert.equal(cryptoProPin('🔑').toString('hex'), '3d000000' + '11000000');
  });
});

// =================================================================================================
// Refusals
// =================================================================================================

describe('CryptoPro containers: every refusal is a CryptoProContainerError naming problem and file', () => {
  it('a wrong password: wrong-password; no password: password-required; the secret reference is named, the password never', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    for (const name of [G2001, G2012256]) {
      const files = v.files(name);
      refused(() => openCryptoProContainer(files, '2', name), 'wrong-password', [name, 'wrong password']);
      refused(() => openCryptoProContainer(files, '', name), 'password-required', [name, 'password']);
      const secret = 'Не-тот-пароль-42';
      refused(
        () => openCryptoProContainer(files, secret, name, 'env:KONTUR_KEY_PASSWORD'),
        'wrong-password',
        [name, 'env:KONTUR_KEY_PASSWORD'],
        secret,
      );
    }
  });

  it('a password given for a container that has none (its [2] is 00000000) is ignored', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    const files = v.files(ONE_KEY);
    assert.deepEqual(
      openCryptoProContainer(files, 'anything', ONE_KEY)[0]!.key.toPkcs8(),
      openCryptoProContainer(files, '', ONE_KEY)[0]!.key.toPkcs8(),
    );
  });

  it('a two-key container (no password MAC) with a wrong password: wrong-password, saying it may also be damaged', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    const secret = 'Wr0ng-secret';
    const e = refused(
      () => openCryptoProContainer(v.files(TWO_KEYS), secret, TWO_KEYS, 'vault:cp'),
      'wrong-password',
      [TWO_KEYS, 'vault:cp'],
      secret,
    );
    assert.match(e.message, /may also be damaged/);
  });

  it('a flipped byte in header.key: damaged wherever the header MAC covers it; other-format only in the format OID', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    for (const [name, password] of [
      [G2001, '1'],
      [G2012256, '1'],
      [TWO_KEYS, ''],
    ] as const) {
      const files = v.files(name);
      const header = Buffer.from(files.header);
      const [content, mac] = elementsOf(header);
      const fields = elementsOf(content!);
      const at = (element: Buffer) => header.indexOf(element);
      const certificate = fields.find((f) => f[0] === 0x85)!;
      const keyParams = fields.find((f, i) => i > 0 && f[0] === 0x30)!;
      const [flags, algorithmIdentifier] = elementsOf(keyParams);
      const [algorithmOid, algorithmParams] = elementsOf(algorithmIdentifier!);
      const [curveOid, digestOid] = elementsOf(algorithmParams!);
      // Expected damaged everywhere the header MAC covers, the key parameters included: the MAC is checked
      // before they are believed (a flipped algorithm or curve OID once gave other-format/unsupported-key).
      const positions: [string, number][] = [
        ['the middle of the certificate', at(certificate) + (certificate.length >> 1)],
        ['the certificate signature', at(certificate) + certificate.length - 3],
        ['the certificate version/serial', at(certificate) + 12],
        ['the header MAC', at(mac!) + mac!.length - 1],
        ['the key flags (exportable bit)', at(flags!) + flags!.length - 1],
        ['the algorithm OID', at(algorithmOid!) + algorithmOid!.length - 1],
        ['the curve OID', at(curveOid!) + 4],
        ['the digest OID', at(digestOid!) + digestOid!.length - 1],
        ['the container flags', at(fields[1]!) + fields[1]!.length - 1],
      ];
      if (name === TWO_KEYS) {
        const secondary = fields.find((f) => f[0] === 0xa4)!;
        positions.push(['the secondary key parameters', at(secondary) + secondary.length - 2]);
        positions.push(['the secondary fingerprint [11]', at(fields.find((f) => f[0] === 0x8b)!) + 3]);
      } else {
        positions.push(['the password MAC [2]', at(fields.find((f) => f[0] === 0x82)!) + 2]);
      }
      for (const [where, position] of positions) {
        assert.ok(position > 0 && position < header.length, where);
        const damaged = { ...files, header: flipped(header, position) };
        refused(() => openCryptoProContainer(damaged, password, name), 'damaged', [name, 'header.key']);
        refused(() => inspectCryptoProContainer(damaged, name), 'damaged', [name, 'header.key']);
      }
      // The format OID itself: an unknown format, whose MAC cannot be checked: other-format.
      const formatOid = elementsOf(fields[0]!)[0]!;
      const other = { ...files, header: flipped(header, at(formatOid) + formatOid.length - 2) };
      refused(() => openCryptoProContainer(other, password, name), 'other-format', [name, 'header.key']);
      // Broken DER (an outer length byte): damaged.
      refused(() => openCryptoProContainer({ ...files, header: flipped(header, 3) }, password, name), 'damaged', [name, 'header.key']);
    }
  });

  it('a hand-edited header.key with its MAC recomputed (the MAC key is all zeros): judged by what it says', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    const files = v.files(ONE_KEY); // a 2001 key: the header MAC is under S-box CryptoPro-A
    const fields = elementsOf(elementsOf(files.header)[0]!);
    const k = fields.findIndex((f, i) => i > 0 && f[0] === TAG.sequence);
    const [flags, algorithmIdentifier] = elementsOf(fields[k]!);
    const [algorithmOid, algorithmParams] = elementsOf(algorithmIdentifier!);
    /** header.key with the primary key's curve/digest parameters replaced, and a header MAC that verifies. */
    const edited = (params: Buffer) => {
      const keyParams = sequence(flags!, tlv(TAG.context(0), algorithmOid!, params));
      const content = sequence(...fields.map((f, i) => (i === k ? keyParams : f)));
      return sequence(content, tlv(TAG.octetString, new Gost28147(new Uint8Array(32), SBOX_CRYPTOPRO_A).mac(new Uint8Array(8), content)));
    };
    // The control: the same parameters re-encoded give the genuine header back.
    assert.deepEqual(edited(algorithmParams!), Buffer.from(files.header));
    // No curve at all: damaged (not 'unsupported-key: curve undefined').
    refused(() => inspectCryptoProContainer({ header: edited(sequence()) }, ONE_KEY), 'damaged', [ONE_KEY, 'header.key']);
    refused(() => openCryptoProContainer({ ...files, header: edited(sequence()) }, '', ONE_KEY), 'damaged', [ONE_KEY, 'header.key']);
    // A curve trustflow does not compute on (tc26 256-bit paramSetA, twisted Edwards), the MAC valid: unsupported-key.
    const edwards = edited(sequence(oid('1.2.643.7.1.2.1.1.1'), oid('1.2.643.2.2.30.1')));
    refused(() => inspectCryptoProContainer({ header: edwards }, ONE_KEY), 'unsupported-key', [ONE_KEY, '1.2.643.7.1.2.1.1.1']);
  });

  it('a flipped byte in masks.key: the key opens from the second copy, with a warning naming masks.key; in both masks files: damaged', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    for (const [name, password] of [
      [ONE_KEY, ''],
      [TWO_KEYS, ''],
      [G2012256, '1'],
    ] as const) {
      const files = v.files(name);
      const expected = openCryptoProContainer(files, password, name).map((k) => k.key.toPkcs8());
      // In the mask, in the salt, in the MAC.
      const masks = Buffer.from(files.masks);
      const [mask, salt, mac] = elementsOf(masks);
      for (const at of [masks.indexOf(mask!) + 5, masks.indexOf(salt!) + 4, masks.indexOf(mac!) + 3]) {
        const opened = openCryptoProContainer({ ...files, masks: flipped(files.masks, at) }, password, name);
        assert.deepEqual(
          opened.map((k) => k.key.toPkcs8()),
          expected,
        );
        for (const k of opened) assert.match(k.warning ?? '', /masks\.key is damaged.*second copy \(masks2\.key \+ primary2\.key\)/);
        refused(
          () => openCryptoProContainer({ ...files, masks: flipped(files.masks, at), masks2: flipped(files.masks2!, at) }, password, name),
          'damaged',
          [name, 'masks.key'],
        );
      }
    }
  });

  it('a flipped byte in primary.key: the key opens from the second copy with a warning; in both primary files: damaged', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    for (const [name, password] of [
      [ONE_KEY, ''],
      ['cryptopro-corefx/containers/pfx-6b72.000', ''],
      [G2001, '1'],
    ] as const) {
      const files = v.files(name);
      const expected = openCryptoProContainer(files, password, name)[0]!.key.toPkcs8();
      // Inside the key value (bytes 4..35 of SEQUENCE { OCTET STRING key }): its first, a middle and its last byte.
      for (const at of [4, 20, files.primary.length - 1]) {
        const opened = openCryptoProContainer({ ...files, primary: flipped(files.primary, at) }, password, name);
        assert.deepEqual(opened[0]!.key.toPkcs8(), expected);
        assert.match(opened[0]!.warning ?? '', /primary\.key is damaged.*second copy/);
        refused(
          () =>
            openCryptoProContainer(
              { ...files, primary: flipped(files.primary, at), primary2: flipped(files.primary2!, at) },
              password,
              name,
            ),
          'damaged',
          [name, 'primary.key'],
        );
      }
    }
  });

  it('two-key container: a damaged primary.key opens from the second copy; both copies of one key damaged is damage, not a password', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    const files = v.files(TWO_KEYS);
    const expected = openCryptoProContainer(files, '', TWO_KEYS).map((k) => k.key.toPkcs8());
    // primary.key = SEQUENCE { OCTET STRING signature key (bytes 4..35), [0] exchange key (bytes 38..69) }.
    for (const at of [10, 50]) {
      const opened = openCryptoProContainer({ ...files, primary: flipped(files.primary, at) }, '', TWO_KEYS);
      assert.deepEqual(
        opened.map((k) => k.key.toPkcs8()),
        expected,
      );
      assert.match(opened[0]!.warning ?? '', /primary\.key is damaged/);
    }
    // One key damaged in both copies: the other key matched its fingerprint with this password, so the
    // password is right and the container is damaged, whichever key it is.
    const both = (...at: number[]) => ({
      ...files,
      primary: at.reduce<Buffer>((b, i) => flipped(b, i), Buffer.from(files.primary)),
      primary2: at.reduce<Buffer>((b, i) => flipped(b, i), Buffer.from(files.primary2!)),
    });
    refused(() => openCryptoProContainer(both(50), '', TWO_KEYS), 'damaged', [TWO_KEYS, 'primary.key', 'secondary key']);
    refused(() => openCryptoProContainer(both(10), '', TWO_KEYS), 'damaged', [TWO_KEYS, 'primary.key', 'primary key']);
    // Both keys wrong in both copies is what a password gives: this container keeps no password check,
    // so that is reported as a password problem that may also be damage.
    refused(() => openCryptoProContainer(both(10, 50), '', TWO_KEYS), 'password-required', [TWO_KEYS, 'or it is damaged']);
    refused(() => openCryptoProContainer(both(10, 50), 'x', TWO_KEYS), 'wrong-password', [TWO_KEYS, 'may also be damaged']);
  });

  it('truncated header, masks or primary (lengths 0, 1, 2, half, all but one): damaged; masks/primary open from the second copy', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    for (const [name, password] of [
      [ONE_KEY, ''],
      [TWO_KEYS, ''],
      ['cryptopro-corefx/containers/G2012512.000', ''],
    ] as const) {
      const files = v.files(name);
      for (const file of ['header', 'masks', 'primary'] as const) {
        const bytes = files[file];
        for (const length of [0, 1, 2, bytes.length >> 1, bytes.length - 1]) {
          const cut = bytes.subarray(0, length);
          refused(
            () => openCryptoProContainer({ header: files.header, masks: files.masks, primary: files.primary, [file]: cut }, password, name),
            'damaged',
            [name, `${file}.key`],
          );
          if (file === 'header') {
            refused(() => openCryptoProContainer({ ...files, header: cut }, password, name), 'damaged', [name, 'header.key']);
            refused(() => inspectCryptoProContainer({ header: cut }, name), 'damaged', [name, 'header.key']);
          } else {
            const opened = openCryptoProContainer({ ...files, [file]: cut }, password, name);
            assert.match(opened[0]!.warning ?? '', new RegExp(`${file}\\.key is damaged`));
          }
        }
      }
      // A damaged or missing name.key changes nothing but the name.
      const noName = inspectCryptoProContainer({ header: files.header, name: files.name!.subarray(0, 3) }, name);
      assert.equal(noName.name, undefined);
      assert.equal(openCryptoProContainer({ ...files, name: Buffer.alloc(0) }, password, name).length, noName.keys.length);
    }
  });

  it("CryptoPro's newer container format (ECDSA P-521, RSA): other-format, from open, inspect and the folder API", async (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    for (const name of OTHER_FORMATS) {
      const files = v.files(name);
      refused(() => openCryptoProContainer(files, '', name), 'other-format', [name, '1.2.643.2.2.37.4']);
      refused(() => openCryptoProContainer(files, 'x', name), 'other-format', [name]);
      refused(() => inspectCryptoProContainer(files, name), 'other-format', [name]);
      const path = join(v.dir, name);
      await refusedAsync(() => openCryptoProContainerFolder(path, ''), 'other-format', [path]);
      await refusedAsync(() => inspectCryptoProContainerFolder(path), 'other-format', [path]);
    }
  });

  it('pickContainerKey: signature on a one-key exchange container is no-such-key; the default on a two-key container is the exchange key', (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    const one = openCryptoProContainer(v.files(ONE_KEY), '', ONE_KEY);
    refused(() => pickContainerKey(one, 'signature', ONE_KEY), 'no-such-key', [ONE_KEY, 'signature', 'exchange']);
    refused(() => pickContainerKey(inspectCryptoProContainer(v.files(ONE_KEY), ONE_KEY).keys, 'signature', ONE_KEY), 'no-such-key', [
      ONE_KEY,
    ]);
    assert.equal(pickContainerKey(one, undefined, ONE_KEY), 0);
    assert.equal(pickContainerKey(one, 'exchange', ONE_KEY), 0);

    const two = openCryptoProContainer(v.files(TWO_KEYS), '', TWO_KEYS);
    const exchange = pickContainerKey(two, undefined, TWO_KEYS);
    assert.equal(two[exchange]!.info.usage, 'exchange');
    assert.equal(two[exchange]!.info.slot, 'secondary');
    assert.equal(pickContainerKey(two, 'exchange', TWO_KEYS), exchange);
    assert.equal(two[pickContainerKey(two, 'signature', TWO_KEYS)]!.info.usage, 'signature');
    assert.equal(pickContainerKey(inspectCryptoProContainer(v.files(TWO_KEYS), TWO_KEYS).keys, undefined, TWO_KEYS), exchange);
  });
});

// =================================================================================================
// The folder API, on copies made in os.tmpdir() for the test
// =================================================================================================

describe('CryptoPro container folders', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'trustflow-cryptopro-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  /** A copy of a vector container in the scratch folder, each file name passed through `rename`. */
  const copyOf = (v: Vectors, container: string, as: string, rename: (f: string) => string = (f) => f) => {
    const to = join(scratch, as);
    mkdirSync(to);
    for (const f of readdirSync(join(v.dir, container))) copyFileSync(join(v.dir, container, f), join(to, rename(f)));
    return to;
  };

  it('opens a container folder through the key cache, and inspects it, as the bytes API does', async (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    const path = join(v.dir, G2012256);
    assert.equal(looksLikeCryptoProContainer(path), true);
    const opened = await openCryptoProContainerFolder(path, '1', 'env:CP');
    const again = await openCryptoProContainerFolder(path, '1', 'env:CP'); // from the cache
    const direct = openCryptoProContainer(v.files(G2012256), '1', G2012256);
    assert.deepEqual(opened[0]!.key.toPkcs8(), direct[0]!.key.toPkcs8());
    assert.deepEqual(again[0]!.key.toPkcs8(), direct[0]!.key.toPkcs8());
    const info = await inspectCryptoProContainerFolder(path);
    assert.equal(info.passwordSet, true);
    assert.equal(info.name, 'g2012256');
    const secret = 'folder-wrong-pw';
    await refusedAsync(() => openCryptoProContainerFolder(path, secret, 'env:CP'), 'wrong-password', [path, 'env:CP'], secret);
    const folder = await readCryptoProContainerFolder(path);
    assert.deepEqual(Object.keys(folder.files).sort(), [...FILE_NAMES].sort());
  });

  it('upper-case file names (HEADER.KEY, …, as Windows copies have them) open the same', async (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    for (const [name, c] of v.containers.filter(([n]) => n === TWO_KEYS || n === G2001)) {
      const path = copyOf(v, name, `upper-${name.replace(/\W/g, '_')}`, (f) => f.toUpperCase());
      assert.ok(readdirSync(path).includes('HEADER.KEY'));
      assert.equal(looksLikeCryptoProContainer(path), true);
      const opened = await openCryptoProContainerFolder(path, c.password);
      assert.deepEqual(
        opened.map((k) => k.key.toPkcs8()),
        c.keys.map((e) => der(v.pem(e.pkcs8_pem_file))),
      );
      assert.equal((await inspectCryptoProContainerFolder(path)).keys.length, c.keys.length);
    }
  });

  it('a folder that is not a container, a path to header.key, a missing folder, a file: not-a-container', async (t) => {
    const v = cryptoPro(t);
    if (!v) return;
    const notContainer = join(scratch, 'not-a-container');
    mkdirSync(notContainer);
    writeFileSync(join(notContainer, 'readme.txt'), 'hello');
    writeFileSync(join(notContainer, 'masks.key'), 'x');
    assert.equal(looksLikeCryptoProContainer(notContainer), false);
    for (const f of [openCryptoProContainerFolder, inspectCryptoProContainerFolder, readCryptoProContainerFolder])
      await refusedAsync(() => f(notContainer, ''), 'not-a-container', [notContainer, 'header.key', 'primary.key']);

    const container = copyOf(v, ONE_KEY, 'one-key');
    const headerFile = join(container, 'header.key');
    assert.equal(looksLikeCryptoProContainer(headerFile), false);
    await refusedAsync(() => openCryptoProContainerFolder(headerFile, ''), 'not-a-container', [
      headerFile,
      `give the container's folder (${container})`,
    ]);

    const missing = join(scratch, 'no-such-folder.000');
    assert.equal(looksLikeCryptoProContainer(missing), false);
    await refusedAsync(() => openCryptoProContainerFolder(missing, ''), 'not-a-container', [missing, 'does not exist']);
    await refusedAsync(() => inspectCryptoProContainerFolder(missing), 'not-a-container', [missing]);

    const file = join(scratch, 'key.pem');
    writeFileSync(file, 'not a container');
    await refusedAsync(() => openCryptoProContainerFolder(file, ''), 'not-a-container', [file]);

    // Without the second copy, a container folder still opens from the first.
    const firstOnly = copyOf(v, ONE_KEY, 'first-copy-only');
    rmSync(join(firstOnly, 'masks2.key'));
    rmSync(join(firstOnly, 'primary2.key'));
    rmSync(join(firstOnly, 'name.key'));
    assert.equal((await openCryptoProContainerFolder(firstOnly, '')).length, 1);
    // ...and without primary.key it is not a container.
    rmSync(join(firstOnly, 'primary.key'));
    await refusedAsync(() => openCryptoProContainerFolder(firstOnly, ''), 'not-a-container', [firstOnly, 'primary.key missing']);
  });
});
