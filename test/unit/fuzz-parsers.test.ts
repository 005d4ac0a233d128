// Property-based (fast-check) tests of every parser that reads outside data: PKCS#12 key stores, CMS
// (SignedData, EnvelopedData), X.509 DER, ZIP archives, provider JSON bodies and KISC's news text.
// Each is fed random bytes and mutated valid samples: bit flips, truncation, inserted bytes, corrupted
// length fields, and structure-aware edits (a BER tree with a node replaced, dropped, duplicated or
// retagged, then re-encoded, so that damage reaches past the outer length checks). Each must end,
// in bounded time, in a result or in the error its module documents (a TrustflowError subclass
// where it has one), never in a TypeError from deep inside a library.
//
// Seeds are random on every run; on failure fast-check prints the seed and the (shrunk)
// counterexample. When first run these found seven bugs, fixed with them: unbounded PKCS#12
// iteration counts, untyped errors from damaged PKCS#12/CMS/X.509/ZIP input, years 0-99 read as
// 19xx, and two in the KISC news parser (a quadratic pattern, New Year ranges).
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import forge from 'node-forge';
import yazl from 'yazl';
import type { z } from 'zod';
import { ProviderContractViolation, ProviderHttpError, ProviderNetworkError, TrustflowError } from '../../src/common/errors.js';
import { certificateFacts, certificationRequestFacts, derOf, DerFormatError } from '../../src/common/x509-der.js';
import { extractZip, UnsafeArchiveError } from '../../src/client/cli/zip.js';
import {
  decryptGostKeyTransport,
  encryptGostKeyTransport,
  gostPrivateKeyForCertificate,
  gostRecipient,
} from '../../src/crypto/cms/gost-enveloped.js';
import { cmsToDer, signCmsRsaSha256, verifyCms, verifyCmsDer, type CmsVerification } from '../../src/crypto/cms/cms.js';
import { recipientKinds } from '../../src/crypto/cms/decrypt.js';
import * as der from '../../src/crypto/cms/der.js';
import { bigintToLe, CRYPTOPRO_A } from '../../src/crypto/gost/curves.js';
import { CipherClient, VerifierResponseSchema } from '../../src/providers/cipher/index.js';
import { ChallengeSchema, IsmptClient, SignInResponseSchema } from '../../src/providers/ismpt/index.js';
import { parseMaintenanceNews } from '../../src/providers/kisc/maintenance.js';
import type { NewsItem } from '../../src/providers/kisc/schemas.js';
import { AuthenticateResponseSchema, KonturClient, SessionResponseSchema } from '../../src/providers/kontur/index.js';
import { vectorsDir, vectorsOrSkip } from '../helpers/paths.js';

// The reason of a failure in the report itself: node:test prints messages, not causes.
fc.configureGlobal({ includeErrorInReport: true });

const NCA_PASSWORD = 'Qwerty12';

// =================================================================================================
// Mutators
// =================================================================================================

/** A BER/DER element as a tree: constructed (kids), an OCTET STRING holding DER (inner), or primitive (raw). */
interface BerNode {
  tag: number;
  kids?: BerNode[];
  inner?: BerNode;
  raw?: Buffer;
}

/** Parses BER (indefinite lengths included, as NCA's PKCS#12 files have them); throws on anything else. */
function parseBer(buf: Buffer): BerNode {
  const [node, end] = berAt(buf, 0, buf.length, 0);
  if (end !== buf.length) throw new Error('trailing bytes');
  return node;
}

function berAt(buf: Buffer, at: number, limit: number, depth: number): [BerNode, number] {
  if (depth > 64 || at + 2 > limit) throw new Error('truncated');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte tag');
  let p = at + 2;
  const first = buf[at + 1]!;
  if (first === 0x80) {
    if (!(tag & 0x20)) throw new Error('indefinite primitive');
    const kids: BerNode[] = [];
    for (;;) {
      if (p + 2 > limit) throw new Error('truncated');
      if (buf[p] === 0 && buf[p + 1] === 0) return [{ tag, kids }, p + 2];
      const [kid, next] = berAt(buf, p, limit, depth + 1);
      kids.push(kid);
      p = next;
    }
  }
  let length = first;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4 || p + n > limit) throw new Error('bad length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p + i]!;
    p += n;
  }
  const end = p + length;
  if (end > limit) throw new Error('truncated');
  if (tag & 0x20) {
    const kids: BerNode[] = [];
    for (let q = p; q < end;) {
      const [kid, next] = berAt(buf, q, end, depth + 1);
      kids.push(kid);
      q = next;
    }
    return [{ tag, kids }, end];
  }
  const content = buf.subarray(p, end);
  if (tag === der.TAG.octetString && content.length >= 2 && (content[0] === 0x30 || content[0] === 0x31)) {
    try {
      return [{ tag, inner: parseBer(content) }, end];
    } catch {
      // plain octets
    }
  }
  return [{ tag, raw: Buffer.from(content) }, end];
}

const toDer = (n: BerNode): Buffer => (n.kids ? der.tlv(n.tag, ...n.kids.map(toDer)) : der.tlv(n.tag, n.inner ? toDer(n.inner) : n.raw!));

function nodesOf(n: BerNode, out: BerNode[] = []): BerNode[] {
  out.push(n);
  n.kids?.forEach((k) => nodesOf(k, out));
  if (n.inner) nodesOf(n.inner, out);
  return out;
}

interface TreeMutation {
  at: number;
  op: 'integer' | 'widen' | 'oid' | 'content' | 'drop' | 'duplicate' | 'retag' | 'empty';
  bytes: Uint8Array;
  n: number;
}
const treeMutationModel = {
  at: fc.nat(),
  op: fc.constantFrom<TreeMutation['op'][]>('integer', 'widen', 'oid', 'content', 'drop', 'duplicate', 'retag', 'empty'),
  bytes: fc.uint8Array({ maxLength: 8 }),
  n: fc.nat(255),
};
const treeMutation: fc.Arbitrary<TreeMutation> = fc.record(treeMutationModel);

/** The sample re-encoded as DER with the mutations applied (e.g. a 4-byte INTEGER where a 2-byte one was). */
function mutateTree(sample: Buffer, mutations: TreeMutation[], o: { stripMac?: boolean } = {}): Buffer {
  const root = parseBer(sample);
  if (o.stripMac && root.kids?.length === 3) root.kids.length = 2; // PFX without MacData: nothing is integrity-checked
  for (const m of mutations) {
    const all = nodesOf(root);
    const node = all[m.at % all.length]!;
    const leaf = (tag: number, raw: Buffer) => Object.assign(node, { tag, raw, kids: undefined, inner: undefined });
    switch (m.op) {
      case 'integer': // a positive INTEGER of 1..8 bytes: iteration counts, versions, key sizes
        if (node !== root) leaf(der.TAG.integer, Buffer.from([(m.bytes[0] ?? 1) & 0x7f, ...m.bytes.subarray(1)]));
        break;
      case 'widen': {
        // One of the existing INTEGERs (versions, iteration counts, key lengths) gets a new value of 1..8 bytes.
        const integers = all.filter((x) => x.tag === der.TAG.integer && x.raw);
        const target = integers[m.n % Math.max(1, integers.length)];
        if (target) target.raw = Buffer.from([(m.bytes[0] ?? 1) & 0x7f, ...m.bytes.subarray(1)]);
        break;
      }
      case 'oid':
        if (node !== root) leaf(der.TAG.oid, Buffer.from(m.bytes));
        break;
      case 'content':
        if (!node.kids) leaf(node.tag, Buffer.from(m.bytes));
        break;
      case 'drop':
        if (node.kids?.length) node.kids.splice(m.n % node.kids.length, 1);
        break;
      case 'duplicate':
        if (node.kids?.length) node.kids.splice(m.n % node.kids.length, 0, node.kids[m.n % node.kids.length]!);
        break;
      case 'retag': // keep the constructed bit; never a multi-byte tag
        if (node !== root) node.tag = (node.kids ? 0x20 : 0) | (m.n & 0xc0) | (m.n % 31);
        break;
      case 'empty':
        if (node.kids) node.kids = [];
        break;
    }
  }
  return toDer(root);
}

type ByteMutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'overwrite'; at: number; bytes: Uint8Array }
  | { op: 'length'; at: number; value: number };
const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({
    op: fc.constant('length' as const),
    at: fc.nat(),
    value: fc.oneof(fc.nat(255), fc.constantFrom(0x00, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xff)),
  }),
);

/** Tags after which a byte is (the first byte of) a DER length: where 'length' mutations aim. */
const COMMON_TAGS = new Set([0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x18, 0x30, 0x31, 0xa0, 0xa1, 0xa3, 0x80, 0x24]);

function mutateBytes(sample: Uint8Array, m: ByteMutation): Buffer {
  const b = Buffer.from(sample);
  const at = b.length ? m.at % b.length : 0;
  switch (m.op) {
    case 'flip':
      if (b.length) b[at]! ^= 1 << m.bit;
      return b;
    case 'truncate':
      return b.subarray(0, at);
    case 'insert':
      return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    case 'overwrite':
      b.set(m.bytes.subarray(0, Math.max(0, b.length - at)), at);
      return b;
    case 'length': {
      const places: number[] = [];
      for (let i = 0; i + 1 < b.length; i++) if (COMMON_TAGS.has(b[i]!)) places.push(i + 1);
      if (places.length) b[places[m.at % places.length]!] = m.value;
      return b;
    }
  }
}

/** Random bytes, mutated samples, or structure-aware mutated samples (when the sample parses as BER). */
function damaged(samples: Buffer[], o: { tree?: boolean; stripMac?: boolean } = {}): fc.Arbitrary<Buffer> {
  const sample = fc.constantFrom(...samples);
  const arbitraries: fc.Arbitrary<Buffer>[] = [
    fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
    fc.tuple(sample, fc.array(byteMutation, { minLength: 1, maxLength: 4 })).map(([s, ms]) => ms.reduce<Buffer>(mutateBytes, s)),
  ];
  if (o.tree)
    arbitraries.push(
      fc
        .tuple(sample, fc.array(treeMutation, { minLength: 1, maxLength: 3 }), fc.boolean())
        .map(([s, ms, strip]) => mutateTree(s, ms, { stripMac: o.stripMac && strip })),
    );
  return fc.oneof(...arbitraries);
}

/** Calls `f`, returning its outcome; fails when it took longer than `maxMs`. */
function timed<T>(maxMs: number, what: string, f: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  const started = performance.now();
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: f() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const ms = performance.now() - started;
  assert.ok(ms < maxMs, `${what} took ${ms.toFixed(0)} ms`);
  return outcome;
}
async function timedAsync<T>(maxMs: number, what: string, f: () => Promise<T>) {
  const started = performance.now();
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await f() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const ms = performance.now() - started;
  assert.ok(ms < maxMs, `${what} took ${ms.toFixed(0)} ms`);
  return outcome;
}
const describeError = (e: unknown) => `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;

// =================================================================================================
// Samples built here (no published vectors needed): certificates, a CSR, CMS, PKCS#12
// =================================================================================================

const NAME = der.sequence(der.setOf(der.sequence(der.oid('2.5.4.3'), der.tlv(0x0c, Buffer.from('ТЕСТ фаззинг')))));
const SHA256_RSA = der.sequence(der.oid('1.2.840.113549.1.1.11'), der.tlv(der.TAG.null));
const ECDSA_SHA256 = der.sequence(der.oid('1.2.840.10045.4.3.2'));

interface CertSpec {
  serial?: Buffer;
  notBefore?: Date;
  notAfter?: Date;
  subject?: Buffer;
}

/** A self-signed X.509 v3 certificate written with der.ts and signed by Node. */
function selfSigned(key: { privateKey: KeyObject; publicKey: KeyObject }, spec: CertSpec = {}): Buffer {
  const sigAlg = key.privateKey.asymmetricKeyType === 'rsa' ? SHA256_RSA : ECDSA_SHA256;
  const tbs = der.sequence(
    der.tlv(der.TAG.context(0), der.smallInteger(2)),
    der.tlv(der.TAG.integer, spec.serial ?? Buffer.from([0x01, 0x23, 0x45, 0x67])),
    sigAlg,
    NAME,
    der.sequence(der.time(spec.notBefore ?? new Date('2024-01-01T00:00:00Z')), der.time(spec.notAfter ?? new Date('2044-01-01T00:00:00Z'))),
    spec.subject ?? NAME,
    key.publicKey.export({ type: 'spki', format: 'der' }),
  );
  return der.sequence(tbs, sigAlg, der.tlv(0x03, Buffer.from([0]), sign('sha256', tbs, key.privateKey)));
}

/** A PKCS#10 request with a subjectAltName extension request. */
function certificationRequest(key: { privateKey: KeyObject; publicKey: KeyObject }, commonName: string, dnsNames: string[]): Buffer {
  const subject = der.sequence(der.setOf(der.sequence(der.oid('2.5.4.3'), der.tlv(0x0c, Buffer.from(commonName)))));
  const san = der.sequence(...dnsNames.map((n) => der.tlv(0x82, Buffer.from(n, 'latin1'))));
  const extensions = der.sequence(der.sequence(der.oid('2.5.29.17'), der.tlv(der.TAG.octetString, san)));
  const attribute = der.sequence(der.oid('1.2.840.113549.1.9.14'), der.setOf(extensions));
  const info = der.sequence(
    der.smallInteger(0),
    subject,
    key.publicKey.export({ type: 'spki', format: 'der' }),
    der.tlv(der.TAG.context(0), attribute),
  );
  return der.sequence(info, ECDSA_SHA256, der.tlv(0x03, Buffer.from([0]), sign('sha256', info, key.privateKey)));
}

const rsaKey = generateKeyPairSync('rsa', { modulusLength: 1024 });
const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaCert = new X509Certificate(selfSigned(rsaKey));
const ecCert = new X509Certificate(selfSigned(ecKey));
const csr = certificationRequest(ecKey, 'api.example.by', ['api.example.by', '*.example.by']);

/** A PKCS#12 of the RSA key written by node-forge: AES-256/PBES2 key bag, MAC over it. */
function forgePkcs12(): Buffer {
  const key = forge.pki.privateKeyFromPem(rsaKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(rsaCert.raw.toString('binary')));
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [cert], NCA_PASSWORD, { algorithm: 'aes256', count: 1024 });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}

/**
 * The published vectors of `folder` whose names match, as DER. Without them: undefined, and the test
 * is skipped with the reason printed (fails under CI=true), or, for an 'optional' use, the property
 * just runs on the samples built here.
 */
function vectors(t: TestContext | 'optional', folder: string, match: RegExp): Buffer[] | undefined {
  const dir = t === 'optional' ? (existsSync(join(vectorsDir, folder)) ? join(vectorsDir, folder) : undefined) : vectorsOrSkip(t, folder);
  if (!dir) return undefined;
  return readdirSync(dir)
    .filter((f) => match.test(f))
    .sort()
    .map((f) => {
      const bytes = readFileSync(join(dir, f));
      return bytes.includes('-----BEGIN') ? Buffer.from(derOf(bytes.toString('latin1'))) : bytes;
    });
}

// =================================================================================================
// PKCS#12
// =================================================================================================

interface Pkcs12Outcome {
  ok: boolean;
  ms: number;
  timedOut?: boolean;
  errorName?: string;
  keyStoreError?: boolean;
  trustflowError?: boolean;
  type?: string;
  message?: string;
}

/**
 * openKeyStore/openPkcs12 in a worker thread: they are synchronous (node-forge), so a key store
 * that makes them loop for minutes would freeze this test. The worker is ended at the deadline and
 * the run fails as a hang.
 */
class IsolatedPkcs12 {
  private worker: Worker | undefined;
  private next = 0;
  private readonly waiting = new Map<number, (o: Pkcs12Outcome) => void>();

  private start(): Worker {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const loaded = Promise.all([import(workerData.pkcs12), import(workerData.errors)]);
      parentPort.on('message', async (m) => {
        const [{ openKeyStore, openPkcs12 }, { KeyStoreError, TrustflowError }] = await loaded;
        const started = performance.now();
        try {
          (m.fn === 'openPkcs12' ? openPkcs12 : openKeyStore)(m.der, m.password, 'fuzz.p12');
          parentPort.postMessage({ id: m.id, ok: true, ms: performance.now() - started });
        } catch (e) {
          parentPort.postMessage({
            id: m.id, ok: false, ms: performance.now() - started,
            errorName: e && e.constructor && e.constructor.name, keyStoreError: e instanceof KeyStoreError,
            trustflowError: e instanceof TrustflowError, type: e && e.type, message: String(e && e.message),
          });
        }
      });`;
    const w = new Worker(code, {
      eval: true,
      workerData: {
        pkcs12: new URL('../../src/crypto/keys/pkcs12.js', import.meta.url).href,
        errors: new URL('../../src/common/errors.js', import.meta.url).href,
      },
    });
    w.on('message', (o: Pkcs12Outcome & { id: number }) => {
      this.waiting.get(o.id)?.(o);
      this.waiting.delete(o.id);
    });
    w.unref();
    return w;
  }

  async open(fn: 'openKeyStore' | 'openPkcs12', bytes: Buffer, password: string, deadlineMs: number): Promise<Pkcs12Outcome> {
    this.worker ??= this.start();
    const id = this.next++;
    const started = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        void this.worker?.terminate();
        this.worker = undefined;
        resolve({ ok: false, timedOut: true, ms: performance.now() - started });
      }, deadlineMs);
      this.waiting.set(id, (o) => {
        clearTimeout(timer);
        resolve(o);
      });
      this.worker!.postMessage({ id, fn, der: bytes, password });
    });
  }

  async stop() {
    await this.worker?.terminate();
  }
}

describe('PKCS#12 (openKeyStore, openPkcs12) under random and damaged files', () => {
  const isolated = new IsolatedPkcs12();
  after(() => isolated.stop());
  const generated = forgePkcs12();

  /** A refusal must be a KeyStoreError: a damaged file is never an untyped crash, nor a hang. */
  const assertRefusedOrOpened = (o: Pkcs12Outcome, deadlineMs: number) => {
    assert.ok(!o.timedOut, `no answer within ${deadlineMs} ms: the worker would hang`);
    if (!o.ok) assert.ok(o.keyStoreError && o.trustflowError, `threw ${o.errorName}: ${o.message}`);
  };

  it('the samples open (sanity), the generated one and the NCA RK files', async (t) => {
    for (const sample of [generated, ...(vectors(t, 'nca', /\.p12$/) ?? [])]) {
      const o = await isolated.open('openKeyStore', sample, NCA_PASSWORD, 10_000);
      assert.equal(o.ok, true, `${o.errorName}: ${o.message}`);
    }
  });

  it('random bytes and byte-level damage (flips, truncation, insertion, length bytes): opened or KeyStoreError, within 3 s', async (t) => {
    const samples = [generated, ...(vectors(t, 'nca', /\.p12$/) ?? [])];
    await fc.assert(
      fc.asyncProperty(damaged(samples), fc.constantFrom('openKeyStore' as const, 'openPkcs12' as const), async (bytes, fn) => {
        assertRefusedOrOpened(await isolated.open(fn, bytes, NCA_PASSWORD, 3000), 3000);
      }),
      { numRuns: 300 },
    );
  });

  // Structure-aware damage with every INTEGER kept at two bytes at most (iteration counts ≤ 65535).
  const smallTreeMutation = fc.record({ ...treeMutationModel, bytes: fc.uint8Array({ maxLength: 2 }) });

  it('structure-aware damage (re-encoded BER tree, MacData kept or stripped, small integers): opened or KeyStoreError', {}, async () => {
    const samples = [generated, ...(vectors('optional', 'nca', /\.p12$/) ?? [])];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.array(smallTreeMutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (sample, mutations, stripMac) => {
          assertRefusedOrOpened(await isolated.open('openKeyStore', mutateTree(sample, mutations, { stripMac }), NCA_PASSWORD, 3000), 3000);
        },
      ),
      { numRuns: 200, endOnFailure: true },
    );
  });

  it('structure-aware damage with any INTEGER (iteration counts up to 2^63): every file is opened or refused within 2 s', {}, async () => {
    const samples = [generated, ...(vectors('optional', 'nca', /\.p12$/) ?? [])];
    const anyInteger = fc.record({
      ...treeMutationModel,
      op: fc.constant('widen' as const),
      bytes: fc.uint8Array({ minLength: 3, maxLength: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.array(fc.oneof(treeMutation, anyInteger), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (sample, mutations, stripMac) => {
          const o = await isolated.open('openKeyStore', mutateTree(sample, mutations, { stripMac }), NCA_PASSWORD, 2000);
          assert.ok(!o.timedOut, 'no answer within 2 s: the worker would hang');
        },
      ),
      // A failing run costs the whole deadline: no shrinking (the counterexample is printed as found).
      { numRuns: 150, endOnFailure: true },
    );
  });
});

// =================================================================================================
// CMS
// =================================================================================================

describe('CMS under random and damaged messages', () => {
  const content = Buffer.from('KZ challenge: 8fJ2kQ0pLmN3 — вторая строка');
  interface Signed {
    cms: Buffer;
    detached: boolean;
    signer: Buffer;
  }
  let signed: Signed[];
  before(async () => {
    signed = [];
    for (const detached of [false, true])
      signed.push({
        cms: await signCmsRsaSha256({ content, privateKey: rsaKey.privateKey, certificates: [rsaCert, ecCert], detached }),
        detached,
        signer: rsaCert.raw,
      });
  });

  it('cmsToDer: any bytes or text gives bytes, never an exception; DER, PEM and base64 of a CMS give its DER', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 300 })),
        fc.uint8Array({ maxLength: 200 }),
        (input, body) => {
          const out = timed(200, 'cmsToDer', () => cmsToDer(input));
          assert.ok(out.ok && Buffer.isBuffer(out.value), describeError(!out.ok && out.error));
          const cms = Buffer.concat([Buffer.from([0x30]), body]);
          const b64 = cms.toString('base64');
          assert.deepEqual(cmsToDer(cms), cms);
          assert.deepEqual(cmsToDer(`-----BEGIN CMS-----\n${b64.replace(/.{64}/g, '$&\n')}\n-----END CMS-----\n`), cms);
          assert.deepEqual(cmsToDer(Buffer.from(`-----BEGIN PKCS7-----\r\n${b64}\r\n-----END PKCS7-----`)), cms);
          assert.deepEqual(cmsToDer(` ${b64}\n`), cms);
        },
      ),
      { numRuns: 200 },
    );
  });

  /** What a CmsVerification must say about itself, and that damage never makes it vouch for other content or another signer. */
  function assertConsistent(v: CmsVerification, s: Signed | undefined, detachedContent: Buffer | undefined) {
    assert.equal(typeof v.signatureValid, 'boolean');
    assert.ok(Number.isInteger(v.signerCount) && v.signerCount >= 0);
    assert.ok(Array.isArray(v.certificates) && v.certificates.every((c) => c instanceof X509Certificate));
    if (!v.signatureValid) {
      assert.ok(
        ['not-signed-data', 'content-missing', 'content-mismatch', 'signature-invalid'].includes(v.problem!),
        `problem ${v.problem}`,
      );
      assert.equal(typeof v.reason, 'string');
      return;
    }
    assert.equal(v.problem, undefined);
    // The signature cannot be forged by damage: valid means the content and signer key are the originals.
    assert.ok(s, 'random bytes verified as a valid signature');
    assert.deepEqual(v.encapsulatedContent ?? detachedContent, content, 'valid for content that was never signed');
    assert.ok(v.signerCertificate?.publicKey.equals(new X509Certificate(s.signer).publicKey), 'valid for another signer key');
  }

  it('verifyCmsDer (the fast path): undefined or a consistent verification, never an exception, never valid for other content', async (t) => {
    const published = vectors(t, 'tc26_cms', /^signed_.*\.pem$/) ?? [];
    fc.assert(
      fc.property(
        fc.nat(signed.length + published.length - 1),
        fc.array(treeMutation, { maxLength: 3 }),
        fc.array(byteMutation, { maxLength: 2 }),
        fc.option(fc.uint8Array({ maxLength: 300 })),
        fc.boolean(),
        (i, tree, bytes, random, giveContent) => {
          const s = random ? undefined : signed[i];
          const sample = random ? Buffer.from(random) : (s?.cms ?? published[i - signed.length]!);
          const message = bytes.reduce<Buffer>(mutateBytes, tree.length && !random ? mutateTree(sample, tree) : sample);
          const detachedContent = giveContent ? content : undefined;
          const out = timed(1000, 'verifyCmsDer', () => verifyCmsDer(message, detachedContent));
          assert.ok(out.ok, `threw ${describeError(!out.ok && out.error)}`);
          if (out.value) assertConsistent(out.value, s, detachedContent);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('verifyCms: damage never makes a signature valid for other content or another signer', async (t) => {
    const published = vectors(t, 'tc26_cms', /^signed_.*\.pem$/) ?? [];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(signed.length + published.length - 1),
        fc.array(treeMutation, { maxLength: 3 }),
        fc.array(byteMutation, { maxLength: 2 }),
        fc.boolean(),
        async (i, tree, bytes, giveContent) => {
          const s = signed[i];
          const sample = s?.cms ?? published[i - signed.length]!;
          const message = bytes.reduce<Buffer>(mutateBytes, tree.length ? mutateTree(sample, tree) : sample);
          const detachedContent = giveContent ? content : undefined;
          const out = await timedAsync(2000, 'verifyCms', () => verifyCms(message, detachedContent));
          if (out.ok) assertConsistent(out.value, s, detachedContent); // exceptions: the property below
        },
      ),
      { numRuns: 250 },
    );
  });

  it('verifyCms: a damaged CMS ends in a verification saying what is wrong, never in an exception', {}, async () => {
    const published = vectors('optional', 'tc26_cms', /^signed_.*\.pem$/) ?? [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...signed.map((s) => s.cms), ...published),
        fc.array(treeMutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (sample, tree, giveContent) => {
          const out = await timedAsync(2000, 'verifyCms', () => verifyCms(mutateTree(sample, tree), giveContent ? content : undefined));
          assert.ok(out.ok || out.error instanceof TrustflowError, `threw ${describeError(!out.ok && out.error)}`);
        },
      ),
      { numRuns: 300, endOnFailure: true },
    );
  });

  // A GOST R 34.10-2012 recipient on the CryptoPro A curve, built here: its certificate needs only the
  // fields cms-gost-enveloped.ts reads (issuer, serial, SubjectPublicKeyInfo), so it is not signed.
  const d = 0x1f2e3d4c5b6a79880123456789abcdef0f1e2d3c4b5a69788796a5b4c3d2e1f0n % CRYPTOPRO_A.Point.CURVE().n;
  const Q = CRYPTOPRO_A.Point.BASE.multiply(d).toAffine();
  const gostAlgorithm = der.sequence(der.oid('1.2.643.7.1.1.1.1'), der.sequence(der.oid('1.2.643.2.2.35.1'), der.oid('1.2.643.7.1.1.2.2')));
  const gostCert = der.sequence(
    der.sequence(
      der.tlv(der.TAG.context(0), der.smallInteger(2)),
      der.tlv(der.TAG.integer, Buffer.from([0x11, 0x22])),
      der.sequence(der.oid('1.2.643.7.1.1.3.2')),
      NAME,
      der.sequence(der.time(new Date('2024-01-01T00:00:00Z')), der.time(new Date('2044-01-01T00:00:00Z'))),
      NAME,
      der.sequence(gostAlgorithm, der.tlv(0x03, Buffer.from([0]), der.tlv(der.TAG.octetString, bigintToLe(Q.x, 32), bigintToLe(Q.y, 32)))),
    ),
    der.sequence(der.oid('1.2.643.7.1.1.3.2')),
    der.tlv(0x03, Buffer.from([0])),
  );
  const gostKey = gostPrivateKeyForCertificate(
    der.sequence(der.smallInteger(0), gostAlgorithm, der.tlv(der.TAG.octetString, bigintToLe(d, 32))),
    gostCert,
  )!;
  const recipient = gostRecipient(gostCert)!;

  it('GOST key transport: any plaintext goes there and back (sanity of the samples below)', () => {
    assert.ok(gostKey && recipient, 'the built key belongs to the built certificate');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (plaintext) => {
        const message = encryptGostKeyTransport(plaintext, recipient);
        assert.deepEqual(recipientKinds(message), ['keyTrans']);
        assert.deepEqual(decryptGostKeyTransport(message, gostCert, gostKey), Buffer.from(plaintext));
      }),
      { numRuns: 25 },
    );
  });

  it("decryptGostKeyTransport: damaged messages give a Buffer, 'unsupported' or 'not-for-this-recipient', never an exception", async (t) => {
    const published = vectors(t, 'tc26_cms', /^encrypted_.*\.pem$/) ?? [];
    const samples = [encryptGostKeyTransport(Buffer.from('the one-time value'), recipient), ...published];
    fc.assert(
      fc.property(damaged(samples, { tree: true }), (message) => {
        const out = timed(1000, 'decryptGostKeyTransport', () => decryptGostKeyTransport(message, gostCert, gostKey));
        assert.ok(out.ok, `threw ${describeError(!out.ok && out.error)}`);
        assert.ok(Buffer.isBuffer(out.value) || out.value === 'unsupported' || out.value === 'not-for-this-recipient', String(out.value));
      }),
      { numRuns: 250 },
    );
  });

  it('recipientKinds: damaged EnvelopedData and anything else give a list of kinds, never an exception', async (t) => {
    const published = vectors(t, 'tc26_cms', /\.pem$/) ?? [];
    const samples = [encryptGostKeyTransport(Buffer.from('x'), recipient), ...signed.map((s) => s.cms), ...published];
    fc.assert(
      fc.property(damaged(samples, { tree: true }), (message) => {
        const out = timed(1000, 'recipientKinds', () => recipientKinds(message));
        assert.ok(out.ok, `threw ${describeError(!out.ok && out.error)}`);
        assert.ok(Array.isArray(out.value) && out.value.every((k) => ['keyTrans', 'keyAgree', 'other'].includes(k)));
      }),
      { numRuns: 250 },
    );
  });
});

// =================================================================================================
// X.509 DER
// =================================================================================================

describe('X.509 DER readers under random and damaged certificates', () => {
  const certificates = (t: TestContext | 'optional') => [
    rsaCert.raw,
    ecCert.raw,
    ...(vectors(t, 'nca', /\.(cer|crt)$/) ?? []),
    ...(vectors(t, 'tc26_cms', /_cert\.pem$/) ?? []),
  ];

  /** der.ts documents "@throws on malformed input": its own Error ('DER: …', 'certificate: …'), nothing else. */
  const assertDerError = (e: unknown) =>
    assert.ok(
      e instanceof Error && e.constructor === Error && /^(DER|certificate): /.test(e.message),
      `not der.ts's own error: ${describeError(e)}`,
    );

  it('der.ts (elementsOf, contentOf, oidToString, timeOf, publicKeyAlgorithmOidOf, issuerAndSerialOf): a value or its own DER error', (t) => {
    const readers = [der.elementsOf, der.contentOf, der.oidToString, der.timeOf, der.publicKeyAlgorithmOidOf, der.issuerAndSerialOf];
    fc.assert(
      fc.property(damaged(certificates(t), { tree: true }), (bytes) => {
        for (const read of readers) {
          const out = timed(200, read.name, () => read(bytes));
          if (!out.ok) assertDerError(out.error);
        }
        // On a certificate they agree with Node's parser.
        let node: X509Certificate | undefined;
        try {
          node = new X509Certificate(bytes);
        } catch {
          return;
        }
        // The serial as a signed (two's complement) INTEGER; Node writes a negative one as '-80'.
        const octets = der.contentOf(der.issuerAndSerialOf(bytes).serialNumber);
        const unsigned = octets.length ? BigInt(`0x${octets.toString('hex')}`) : 0n;
        const signed = octets[0]! & 0x80 ? unsigned - (1n << BigInt(8 * octets.length)) : unsigned;
        const nodeSerial = node.serialNumber.startsWith('-')
          ? -BigInt(`0x${node.serialNumber.slice(1)}`)
          : BigInt(`0x${node.serialNumber}`);
        assert.equal(signed, nodeSerial);
      }),
      { numRuns: 400 },
    );
  });

  it('der.ts round trips: oid ↔ oidToString, tlv ↔ elementsOf/contentOf, time ↔ timeOf (years 100-9999)', () => {
    const arc = fc.oneof(fc.nat(200), fc.bigInt({ min: 0n, max: 2n ** 80n }));
    const dotted = fc
      .tuple(fc.nat(2), fc.nat(39), fc.array(arc, { maxLength: 8 }))
      .map(([a, b, rest]) => [a, b, ...rest].map(String).join('.'));
    const element = fc.tuple(fc.constantFrom(0x02, 0x04, 0x0c, 0x30, 0x31, 0xa0), fc.uint8Array({ maxLength: 300 }));
    const date = fc.date({ min: new Date('0100-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
    fc.assert(
      fc.property(dotted, fc.array(element, { maxLength: 6 }), date, (oid, elements, when) => {
        assert.equal(der.oidToString(der.oid(oid)), oid);
        const tlvs = elements.map(([tag, body]) => der.tlv(tag, body));
        const seq = der.sequence(...tlvs);
        assert.deepEqual(der.elementsOf(seq), tlvs);
        elements.forEach(([, body], i) => assert.deepEqual(der.contentOf(tlvs[i]!), Buffer.from(body)));
        const second = new Date(Math.floor(when.getTime() / 1000) * 1000);
        assert.equal(der.timeOf(der.time(second))?.toISOString(), second.toISOString());
      }),
      { numRuns: 300 },
    );
  });

  it('der.ts time ↔ timeOf also for years 0-99 (GeneralizedTime)', {}, () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('0099-12-31T23:59:59Z'), noInvalidDate: true }),
        (when) => {
          const second = new Date(Math.floor(when.getTime() / 1000) * 1000);
          assert.equal(der.timeOf(der.time(second))?.toISOString(), second.toISOString());
        },
      ),
      { numRuns: 50, endOnFailure: true },
    );
  });

  it('derOf: PEM (any label, any line length) and base64 give the bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.constantFrom('CERTIFICATE', 'CERTIFICATE REQUEST', 'X509 CRL', 'PKCS7'),
        fc.integer({ min: 4, max: 80 }),
        (bytes, label, width) => {
          const b64 = Buffer.from(bytes).toString('base64');
          const lines = b64.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\r\n');
          assert.deepEqual(Buffer.from(derOf(`-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`)), Buffer.from(bytes));
          assert.deepEqual(Buffer.from(derOf(` ${b64}\n`)), Buffer.from(bytes));
          assert.equal(derOf(bytes), bytes);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('certificateFacts / certificationRequestFacts read back what was written (serial, validity, key, subject, DNS names)', () => {
    const dns = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){1,3}$/);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => Buffer.from([(b[0]! % 0x7f) + 1, ...b.subarray(1)])),
        fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes(',')),
        fc.array(dns, { maxLength: 5 }),
        (serial, from, to, commonName, dnsNames) => {
          const [notBefore, notAfter] = [from, to].map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000));
          const facts = certificateFacts(selfSigned(ecKey, { serial, notBefore, notAfter }));
          assert.equal(facts.serialNumber, serial.toString('hex').toUpperCase());
          assert.equal(facts.notBefore, notBefore!.toISOString());
          assert.equal(facts.notAfter, notAfter!.toISOString());
          assert.equal(facts.publicKeyAlgorithm, 'EC P-256');
          assert.equal(facts.subjectPublicKeyInfo, ecKey.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
          const request = certificationRequestFacts(certificationRequest(ecKey, commonName, dnsNames));
          assert.equal(request.subject, `CN=${commonName}`);
          assert.deepEqual(
            request.subjectAltNames,
            dnsNames.map((n) => `DNS:${n}`),
          );
          assert.equal(request.subjectPublicKeyInfo, facts.subjectPublicKeyInfo);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('derOf / certificateFacts / certificationRequestFacts: any text and damaged DER give facts or DerFormatError', {}, () => {
    const samples = [...certificates('optional'), csr];
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.stringMatching(/^[A-Za-z0-9+/]{0,40}={0,3}$/),
      fc
        .constantFrom(...samples)
        .map((d) => `-----BEGIN CERTIFICATE-----\n${d.toString('base64').slice(0, -1)}\n-----END CERTIFICATE-----`),
    );
    fc.assert(
      fc.property(fc.oneof(damaged(samples, { tree: true }), text), (input) => {
        for (const read of [derOf, certificateFacts, certificationRequestFacts]) {
          const out = timed(500, read.name, () => read(input));
          assert.ok(out.ok || out.error instanceof DerFormatError, `${read.name} threw ${describeError(!out.ok && out.error)}`);
        }
      }),
      { numRuns: 400, endOnFailure: true },
    );
  });
});

// =================================================================================================
// ZIP
// =================================================================================================

describe('extractZip under random, damaged and hostile archives', () => {
  let scratch: string;
  let runs = 0;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'trustflow-fuzz-zip-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  function yazlZip(entries: { name: string; data: Buffer; compress: boolean }[]): Promise<Buffer> {
    const zip = new yazl.ZipFile();
    for (const e of entries) zip.addBuffer(e.data, e.name, { compress: e.compress });
    zip.end();
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
      zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
      zip.outputStream.on('error', reject);
    });
  }

  /** Every file under `dir`, relative, sorted. */
  const tree = async (dir: string) => (await readdir(dir, { recursive: true })).map(String).sort();

  /**
   * Extracts into base/a/b/target beside a sentinel file, so that an escape by '..' lands in base.
   * Checks: a result or an UnsafeArchiveError; nothing outside target changes; after a failure
   * nothing of this call is left; after success the files are inside target with the reported
   * sizes and digests.
   */
  async function extractChecked(zip: Buffer): Promise<{ ok: true; names: string[] } | { ok: false; error: UnsafeArchiveError }> {
    const base = join(scratch, String(runs++));
    const target = join(base, 'a', 'b', 'target');
    await mkdir(join(base, 'a', 'b'), { recursive: true });
    await writeFile(join(base, 'a', 'sentinel'), 'x');
    const before = await tree(base);
    const out = await timedAsync(5000, 'extractZip', () => extractZip(zip, target));
    const outside = (await tree(base)).filter((p) => p !== join('a', 'b', 'target') && !p.startsWith(join('a', 'b', 'target') + sep));
    assert.deepEqual(outside, before, 'something was written outside the target folder');
    try {
      if (!out.ok) {
        assert.ok(out.error instanceof UnsafeArchiveError, `threw ${describeError(out.error)} (${(out.error as { code?: string }).code})`);
        assert.deepEqual(await tree(base), before, 'a failed extraction left files behind');
        return { ok: false, error: out.error };
      }
      for (const f of out.value) {
        assert.ok(f.path.startsWith(target + sep), `${f.path} is outside ${target}`);
        const bytes = await readFile(f.path);
        assert.equal(bytes.length, f.bytes);
        assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256);
      }
      return { ok: true, names: out.value.map((f) => f.name) };
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  }

  // ZIP's own length and size fields: [signature, offsets of 2-byte fields, offsets of 4-byte fields].
  const ZIP_FIELDS: [number, number[], number[]][] = [
    [0x04034b50, [4, 6, 8, 26, 28], [14, 18, 22]], // local file header
    [0x02014b50, [6, 8, 10, 28, 30, 32, 34], [16, 20, 24, 38, 42]], // central directory header
    [0x06054b50, [4, 6, 8, 10, 20], [12, 16]], // end of central directory
  ];
  const zipFieldMutation = fc.record({
    record: fc.nat(),
    field: fc.nat(),
    value: fc.oneof(fc.nat(0xffffffff), fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x7fffffff), fc.integer({ min: -2, max: 2 })),
  });
  function mutateZipField(zip: Buffer, m: { record: number; field: number; value: number }): Buffer {
    const b = Buffer.from(zip);
    const places: { at: number; size: 2 | 4 }[] = [];
    for (let i = 0; i + 4 <= b.length; i++) {
      const fields = ZIP_FIELDS.find(([sig]) => b.readUInt32LE(i) === sig);
      if (fields)
        for (const [size, offsets] of [[2, fields[1]] as const, [4, fields[2]] as const])
          for (const o of offsets) places.push({ at: i + o, size });
    }
    const place = places.length ? places[(m.record + m.field) % places.length]! : undefined;
    if (!place || place.at + place.size > b.length) return b;
    const old = place.size === 2 ? b.readUInt16LE(place.at) : b.readUInt32LE(place.at);
    // Small values nudge the field (off by one or two), others replace it.
    const value = Math.abs(m.value) <= 2 ? old + m.value : m.value;
    if (place.size === 2) b.writeUInt16LE(value & 0xffff, place.at);
    else b.writeUInt32LE(value >>> 0, place.at);
    return b;
  }

  it('random bytes: UnsafeArchiveError, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const r = await extractChecked(Buffer.from(bytes));
        assert.equal(r.ok, false);
      }),
      { numRuns: 40 },
    );
  });

  it('damaged yazl archives (flips, truncation, insertion, header fields): files inside the target or UnsafeArchiveError, all or nothing', async () => {
    const samples = [
      await yazlZip([
        { name: 'act.xml', data: Buffer.from('<act>' + 'строка акта '.repeat(40) + '</act>'), compress: true },
        { name: 'dir/data.bin', data: Buffer.alloc(700, 7), compress: true },
        { name: 'stored.txt', data: Buffer.from('stored, not deflated'), compress: false },
      ]),
      await yazlZip([{ name: 'single.csv', data: Buffer.from('vendor;datetime\n1;01.01.2024 10:00:00\n'), compress: true }]),
    ];
    const okNames = new Set(['act.xml', 'dir/data.bin', 'stored.txt', 'single.csv']);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.array(
          fc.oneof(
            byteMutation.map((m) => ({ m })),
            zipFieldMutation.map((z) => ({ z })),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        async (sample, mutations) => {
          const zip = mutations.reduce<Buffer>((b, x) => ('m' in x ? mutateBytes(b, x.m) : mutateZipField(b, x.z)), sample);
          const r = await extractChecked(zip);
          // Damage may rename an entry, but never to a name that escapes (checked above) or that is not plain.
          if (r.ok) for (const n of r.names) assert.ok(okNames.has(n) || /^[^/\\]/.test(n), n);
        },
      ),
      { numRuns: 100 },
    );
  });

  /** A minimal ZIP written byte by byte: yazl refuses the names and modes a hostile archive has. */
  function rawZip(entries: { name: Buffer; data: Buffer; mode: number; flags: number; method: number }[]): Buffer {
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const e of entries) {
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(e.flags, 6);
      local.writeUInt16LE(e.method, 8);
      local.writeUInt32LE(crc32(e.data) >>> 0, 14);
      local.writeUInt32LE(e.data.length, 18);
      local.writeUInt32LE(e.data.length, 22);
      local.writeUInt16LE(e.name.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix: the mode is in the external attributes
      central.writeUInt16LE(20, 6);
      central.writeUInt16LE(e.flags, 8);
      central.writeUInt16LE(e.method, 10);
      central.writeUInt32LE(crc32(e.data) >>> 0, 16);
      central.writeUInt32LE(e.data.length, 20);
      central.writeUInt32LE(e.data.length, 24);
      central.writeUInt16LE(e.name.length, 28);
      central.writeUInt32LE((e.mode << 16) >>> 0, 38);
      central.writeUInt32LE(offset, 42);
      locals.push(local, e.name, e.data);
      centrals.push(central, e.name);
      offset += 30 + e.name.length + e.data.length;
    }
    const cd = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, cd, end]);
  }

  /** A path segment of at most `maxLength` characters and 4 bytes per character (a grapheme may have several code points). */
  const segment = (maxLength: number) =>
    fc
      .oneof(
        fc.constantFrom('..', '.', '', 'C:', 'c:', '~', '...', 'con', 'a\\..\\..', '\u0000', '\u001f', ' ', '%2e%2e', '..\u2215..', 'ﾠ'),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
        fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
        fc.tuple(fc.constantFrom('a', 'я', '𝔸'), fc.integer({ min: 1, max: maxLength })).map(([c, n]) => c.repeat(n)),
      )
      .filter((s) => Buffer.byteLength(s) <= 4 * maxLength);
  const hostileName = (maxSegment: number) =>
    fc
      .tuple(
        fc.constantFrom('', '/', '//', '\\', '../', '{BASE}/', 'C:\\', './'),
        fc.array(fc.tuple(segment(maxSegment), fc.constantFrom('/', '/', '\\')), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('', '/'),
      )
      .map(([head, parts, tail]) => head + parts.map(([part, slash], i) => (i ? slash : '') + part).join('') + tail);
  const hostileEntry = (maxSegment: number) =>
    fc.record({
      name: hostileName(maxSegment),
      data: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      mode: fc.constantFrom(0o100644, 0o100644, 0o120777, 0o040755, 0o010644, 0),
      flags: fc.constantFrom(0x800, 0x800, 0x801, 0, 0x808),
      method: fc.constantFrom(0, 0, 0, 8, 12, 99),
    });

  /** Writes the archive for this run: `{BASE}` in a name is the run's own folder, as an absolute path. */
  async function hostileRun(entries: { name: string; data: Buffer; mode: number; flags: number; method: number }[]) {
    const base = join(scratch, String(runs));
    const zip = rawZip(entries.map((e) => ({ ...e, name: Buffer.from(e.name.replaceAll('{BASE}', base)) })));
    const r = await extractChecked(zip);
    if (r.ok) for (const n of r.names) assert.ok(!n.split('/').includes('..') && !n.startsWith('/'), `extracted as ${n}`);
  }

  // Up to 20 characters: 80 bytes of UTF-8, which stay under NAME_MAX even when an entry without the
  // UTF-8 flag is read as CP437 (each byte then becomes a character of up to 3 bytes).
  it('hostile entry names, modes, flags and methods (segments up to 20 characters): inside the target or UnsafeArchiveError', async () => {
    await fc.assert(fc.asyncProperty(fc.array(hostileEntry(20), { minLength: 1, maxLength: 4 }), hostileRun), { numRuns: 100 });
  });

  it('entry names with a long segment (64-400 characters, UTF-8 flag or not): inside the target or UnsafeArchiveError', {}, async () => {
    const long = fc
      .tuple(hostileEntry(20), fc.constantFrom('a', 'я', '𝔸', 'ж1'), fc.integer({ min: 64, max: 400 }), fc.boolean())
      .map(([e, c, n, below]) => ({ ...e, name: below ? `${e.name.replace(/\/+$/, '')}/${c.repeat(n)}` : c.repeat(n) }));
    await fc.assert(fc.asyncProperty(fc.array(long, { minLength: 1, maxLength: 2 }), hostileRun), { numRuns: 60, endOnFailure: true });
  });
});

// =================================================================================================
// Provider JSON bodies (ProviderHttp through the real clients)
// =================================================================================================

describe('provider clients under random answers', () => {
  const TIMEOUT_MS = 200;
  let server: Server;
  let base: string;
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const SECRET = 'sekret-7f3a9c';
  // Each call: the client method, and the check its data must pass when it resolves.
  const calls: Record<string, { call: () => Promise<unknown>; schema?: z.ZodType; check?: (data: unknown) => boolean; shaped: unknown[] }> =
    {
      ismptChallenge: {
        call: () => new IsmptClient({ baseUrl: `${base}/api/v3/true-api`, timeoutMs: TIMEOUT_MS }).fetchChallenge(),
        schema: ChallengeSchema,
        shaped: [
          { uuid: 'u-1', data: 'RANDOM' },
          { uuid: '', data: SECRET },
          { uuid: 1, data: SECRET },
        ],
      },
      ismptSignIn: {
        call: () => new IsmptClient({ baseUrl: `${base}/api`, timeoutMs: TIMEOUT_MS }).signIn({ uuid: 'u-1', data: 'c2lnbmVk' }),
        schema: SignInResponseSchema,
        shaped: [{ token: 'eyJ.x.y' }, { uuidToken: 'u', expireDate: '2030-01-01' }, { access_token: 7, refresh: SECRET }, { token: '' }],
      },
      cipherTicket: {
        call: () => new CipherClient({ baseUrl: `${base}/api/v1`, timeoutMs: TIMEOUT_MS }).createTicket(),
        check: (d) => typeof d === 'string' && d.length > 0,
        shaped: [{ ticketUuid: 'a-b-c', message: 'ok' }, { ticketUuid: '' }, { ticketUuid: [SECRET] }],
      },
      cipherVerifier: {
        call: () => new CipherClient({ baseUrl: `${base}/api/v1`, timeoutMs: TIMEOUT_MS }).verifyKeyStore('t-1', 'pw'),
        schema: VerifierResponseSchema,
        shaped: [
          { signature: { canBeUsed: true, certificateInfo: {} }, keyAgreement: { canBeUsed: false, message: 'нет ключа' } },
          { signature: { canBeUsed: 'true' }, keyAgreement: { canBeUsed: SECRET } },
        ],
      },
      cipherSigningStatus: {
        call: () => new CipherClient({ baseUrl: `${base}/api/v1`, timeoutMs: TIMEOUT_MS }).signingStatus('t-1'),
        check: (d) => d === 'done' || d === 'running',
        shaped: [{}, { message: 'в процессе' }, { message: 5, failureCause: SECRET }],
      },
      cipherSignature: {
        call: () => new CipherClient({ baseUrl: `${base}/api/v1`, timeoutMs: TIMEOUT_MS }).signature('t-1'),
        check: (d) => Buffer.isBuffer(d),
        shaped: [{ base64Data: 'MIIB\nAAAA' }, { base64Data: `${SECRET}!` }],
      },
      konturAuthenticate: {
        call: () => new KonturClient({ baseUrl: base, timeoutMs: TIMEOUT_MS }).authenticateByCert(Buffer.from('cert'), true),
        schema: AuthenticateResponseSchema,
        shaped: [
          { EncryptedKey: 'AAAA', Link: { Rel: 'approve', Href: 'http://127.0.0.1/auth/v5.9/approve-cert' } },
          { EncryptedKey: SECRET, Link: {} },
        ],
      },
      konturRefresh: {
        call: () => new KonturClient({ baseUrl: base, timeoutMs: TIMEOUT_MS }).refreshSession('sid', 'refresh'),
        schema: SessionResponseSchema,
        shaped: [{ Sid: 's', RefreshToken: 'r' }, { Sid: SECRET }],
      },
    };

  const deepJson = fc
    .integer({ min: 1_000, max: 200_000 })
    .chain((n) => fc.constantFrom('['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n), '['.repeat(n)));
  const bodyOf = (name: string) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...calls[name]!.shaped).map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
      deepJson,
      fc.constantFrom(
        '',
        'null',
        '[]',
        '{}',
        '"x"',
        '1e999',
        '{"__proto__":{"uuid":"x","data":"y"}}',
        `{"message":"${SECRET}"}`,
        'RndBytesExpired',
        '[{"code":"auth-key-expired","message":"нет"}]',
      ),
      fc.integer({ min: 100_000, max: 1_000_000 }).map((n) => JSON.stringify({ uuid: 'u', data: 'x'.repeat(n) })),
    );
  const status = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(200, 201, 202) },
    fc.constantFrom(204, 301, 302, 304, 400, 401, 403, 404, 406, 408, 409, 429, 500, 502, 503, 504),
    fc.integer({ min: 200, max: 599 }),
  );
  const behaviour = fc.oneof({ weight: 12, arbitrary: fc.constant('answer') }, fc.constantFrom('short-body', 'reset', 'silent'));

  it('every answer ends, within the timeout, in data that matches the schema or a typed TrustflowError', async () => {
    const names = Object.keys(calls);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names).chain((name) =>
          fc.record({
            name: fc.constant(name),
            status,
            body: bodyOf(name),
            contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'text/html', undefined),
            retryAfter: fc.option(
              fc.oneof(
                fc.nat(100_000).map(String),
                fc.string({ maxLength: 30 }),
                fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
              ),
            ),
            behaviour,
          }),
        ),
        async (a) => {
          answer = (_req, res) => {
            if (a.behaviour === 'reset') return res.destroy();
            if (a.behaviour === 'silent') return; // the client's timeout must end it
            const headers: Record<string, string> = {};
            if (a.contentType) headers['content-type'] = a.contentType;
            if (a.retryAfter !== null) headers['retry-after'] = a.retryAfter.replace(/[^\x20-\x7e]/g, '');
            if (a.status >= 300 && a.status < 400) headers.location = 'http://evil.example/steal';
            const body = Buffer.from(a.body, 'latin1');
            if (a.behaviour === 'short-body') {
              res.writeHead(a.status, { ...headers, 'content-length': String(body.length + 100) });
              res.write(body);
              setTimeout(() => res.destroy(), 5);
              return;
            }
            res.writeHead(a.status, headers);
            res.end(body);
          };
          const c = calls[a.name]!;
          const out = await timedAsync(TIMEOUT_MS + 3000, a.name, c.call);
          if (out.ok) {
            assert.ok(
              a.status < 300 && a.behaviour !== 'reset' && a.behaviour !== 'silent',
              `resolved on HTTP ${a.status} / ${a.behaviour}`,
            );
            if (c.schema)
              assert.ok(
                c.schema.safeParse(out.value).success,
                `data does not match the schema: ${JSON.stringify(out.value)?.slice(0, 200)}`,
              );
            if (c.check) assert.ok(c.check(out.value), String(out.value));
            return;
          }
          const e = out.error;
          assert.ok(e instanceof TrustflowError, `threw ${describeError(e)}`);
          if (a.behaviour === 'reset' || a.behaviour === 'silent')
            assert.ok(e instanceof ProviderNetworkError && e.retryable, describeError(e));
          if (a.behaviour === 'answer' && a.status >= 300)
            assert.ok(e instanceof ProviderHttpError && e.status === a.status, describeError(e));
          if (e instanceof ProviderContractViolation) {
            assert.ok(a.status < 300 && !e.retryable);
            assert.ok(!e.message.includes(SECRET), `the violation quotes a value: ${e.message}`);
          }
          // A 2xx answer whose body matches the schema must not be refused.
          if (a.behaviour === 'answer' && a.status >= 200 && a.status <= 202 && c.schema) {
            let json: unknown;
            try {
              json = JSON.parse(a.body);
            } catch {
              return;
            }
            assert.ok(!c.schema.safeParse(json).success, `a valid body was refused: ${describeError(e)}`);
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});

// =================================================================================================
// KISC news text → maintenance windows
// =================================================================================================

describe('KISC news text (parseMaintenanceNews)', () => {
  const MONTHS = ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'];
  const pad = (n: number) => String(n).padStart(2, '0');
  const year = fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0'));
  const time = fc
    .tuple(
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
      fc.option(fc.integer({ min: 0, max: 61 })),
      fc.constantFrom(':', '.'),
    )
    .map(([h, m, s, sep]) => `${h}${sep}${pad(m)}${s === null ? '' : `:${pad(s)}`}`);
  const namedDate = fc
    .tuple(
      fc.integer({ min: 0, max: 39 }),
      fc.constantFrom(...MONTHS, ...MONTHS.map((m) => m.toUpperCase())),
      fc.option(fc.tuple(year, fc.constantFrom('', ' года', ' г.', 'г'))),
    )
    .map(([d, m, y]) => `${d} ${m}${y ? ` ${y[0]}${y[1]}` : ''}`);
  const numericDate = fc
    .tuple(fc.integer({ min: 0, max: 39 }), fc.integer({ min: 0, max: 19 }), year)
    .map(([d, m, y]) => `${pad(d)}.${pad(m)}.${y}`);
  const filler = fc.constantFrom(
    'в период',
    'часов',
    'будут проводиться плановые работы',
    'технические работы',
    '(время г. Алматы)',
    'Уважаемые партнеры!',
    '',
    'сервис недоступен',
  );
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  /** Text that looks like an announcement, every piece possibly wrong: hours 24-25, day 39, month 19, year 0000. */
  const announcement = fc
    .tuple(
      filler,
      opt(fc.oneof(namedDate, numericDate)),
      fc.constantFrom('с', 'со', 'С', 'c'),
      filler,
      time,
      opt(fc.oneof(namedDate, numericDate)),
      filler,
      fc.constantFrom('по', 'до', 'ПО', 'и'),
      time,
      opt(fc.oneof(namedDate, numericDate)),
      filler,
    )
    .map((parts) => parts.filter((p) => p !== undefined && p !== '').join(' '));
  const noise = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.constantFrom('.', '!', '?', '\n', ' г. ', 'с ', ' по ', ' до ', '\u00a0', '\r\n'),
  );
  const newsText = fc.array(fc.oneof({ weight: 3, arbitrary: announcement }, noise), { maxLength: 6 }).map((parts) => parts.join(' '));
  const published = fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${pad(m)}-${pad(d)}`);
  const item: fc.Arbitrary<NewsItem> = fc.record({
    date: fc.oneof({ weight: 4, arbitrary: published }, fc.string()),
    subject: fc.oneof(fc.string(), fc.constantFrom('плановые работы', 'касательно плановых работ')),
    text: fc.oneof({ weight: 4, arbitrary: newsText }, fc.string({ unit: 'binary' })),
  });

  it('random announcements and noise: never an exception; each window starts before it ends, as ISO instants of its item', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 4 }), (items) => {
        const out = timed(500, 'parseMaintenanceNews', () => parseMaintenanceNews(items));
        assert.ok(out.ok, `threw ${describeError(!out.ok && out.error)}`);
        for (const w of out.value.windows) {
          const [start, end] = [Date.parse(w.start), Date.parse(w.end)];
          assert.ok(start < end, JSON.stringify(w));
          assert.equal(new Date(start).toISOString(), w.start);
          assert.equal(new Date(end).toISOString(), w.end);
          assert.ok(items.some((i) => i.subject === w.subject));
        }
        for (const u of out.value.unparsed) assert.ok(items.some((i) => i.date === u.date && i.subject === u.subject));
      }),
      { numRuns: 400 },
    );
  });

  // An oracle for well-formed announcements: Almaty is UTC+6 from 2005 until 2024-03-01 00:00, UTC+5 since.
  const wallClock = fc
    .tuple(fc.integer({ min: 2005, max: 2099 }), fc.nat(11), fc.nat(27), fc.nat(23), fc.nat(59), fc.integer({ min: 1, max: 3 * 24 * 60 }))
    .map(([y, mo, d, h, mi, minutes]) => ({ start: Date.UTC(y, mo, d + 1, h, mi), end: Date.UTC(y, mo, d + 1, h, mi) + minutes * 60_000 }))
    // Not across the change of offset (the night of 2024-02-29/03-01 is ambiguous on the wall clock).
    .filter(({ start, end }) => end < Date.UTC(2024, 1, 28) || start > Date.UTC(2024, 2, 2));
  const utcOf = (wall: number) => new Date(wall - (wall < Date.UTC(2024, 2, 1) ? 6 : 5) * 3_600_000).toISOString();
  const parts = (wall: number) => {
    const d = new Date(wall);
    return { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` };
  };

  it('well-formed announcements (named or numeric dates, year on both or on the end, or from the publication date) are read exactly', () => {
    fc.assert(
      fc.property(
        wallClock,
        fc.constantFrom('both-named', 'end-year-named', 'numeric', 'no-year', 'day-before'),
        filler,
        filler,
        (w, style, f1, f2) => {
          const [s, e] = [parts(w.start), parts(w.end)];
          const named = (p: typeof s, withYear: boolean) => `${p.d} ${MONTHS[p.mo]}${withYear ? ` ${p.y} года` : ''}`;
          const numeric = (p: typeof s) => `${pad(p.d)}.${pad(p.mo + 1)}.${p.y}`;
          let text: string;
          let date = `${s.y}-01-01`;
          if (style === 'both-named') text = `с ${s.time} ${named(s, true)} по ${e.time} ${named(e, true)}`;
          else if (style === 'numeric') text = `с ${s.time} ${numeric(s)} до ${e.time} ${numeric(e)}`;
          else if (style === 'end-year-named') {
            fc.pre(s.y === e.y); // across a new year: the property below
            text = `с ${s.time} ${named(s, false)} по ${e.time} ${named(e, true)}`;
          } else if (style === 'no-year') text = `с ${s.time} ${named(s, false)} по ${e.time} ${named(e, false)}`;
          else {
            fc.pre(w.end - w.start < 24 * 3_600_000 && w.end - w.start > 0);
            text = `${named(s, true)} с ${s.time} до ${e.time}`;
            date = `${s.y}-${pad(s.mo + 1)}-01`;
          }
          const items = [
            { date, subject: 'плановые работы', text: `Уважаемые партнеры! ${f1} ${text} ${f2} будут проводиться плановые работы.` },
          ];
          const { windows } = parseMaintenanceNews(items);
          assert.deepEqual(windows, [{ start: utcOf(w.start), end: utcOf(w.end), subject: 'плановые работы' }], items[0]!.text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('works over the new year with the year only at the end ("с 23:00 31 декабря по 03:00 1 января 2026 года") are read', {}, () => {
    fc.assert(
      fc.property(fc.integer({ min: 2025, max: 2099 }), fc.nat(23), fc.nat(5), (y, h, endHour) => {
        const text = `В период с ${pad(h)}:00 31 декабря по ${pad(endHour)}:00 1 января ${y + 1} года будут проводиться плановые работы.`;
        const { windows } = parseMaintenanceNews([{ date: `${y}-12-20`, subject: 's', text }]);
        assert.deepEqual(
          windows.map((x) => [x.start, x.end]),
          [[utcOf(Date.UTC(y, 11, 31, h)), utcOf(Date.UTC(y + 1, 0, 1, endHour))]],
          text,
        );
      }),
      { numRuns: 30, endOnFailure: true },
    );
  });

  it('long texts (20 000-50 000 characters, one short phrase repeated) are read in under 250 ms', {}, () => {
    const phrase = fc
      .array(fc.constantFrom('с', 'со', 'работы', '21:00', 'октября', 'часов', 'в', 'период', 'г.', '30.10.2021'), {
        minLength: 1,
        maxLength: 3,
      })
      .map((ws) => `${ws.join(' ')} `);
    fc.assert(
      fc.property(phrase, fc.integer({ min: 20_000, max: 50_000 }), (p, length) => {
        const text = p.repeat(Math.ceil(length / p.length)).slice(0, length);
        // A linear reading of 50 000 characters takes a few ms; 250 ms leaves room for a slow machine.
        timed(250, `parseMaintenanceNews of ${length} characters ("${p}" repeated)`, () =>
          parseMaintenanceNews([{ date: '2021-10-29', subject: 's', text }]),
        );
      }),
      // A failing run costs its time again at each shrinking step: stop at the first.
      { numRuns: 40, endOnFailure: true },
    );
  });
});
