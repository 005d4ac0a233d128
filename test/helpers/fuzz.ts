// Shared by the property-based (fast-check) tests of the parsers that read outside data, one file
// per parser (test/unit/fuzz-pkcs12, fuzz-cms, fuzz-x509-der, fuzz-zip, fuzz-provider-clients,
// fuzz-kisc-maintenance). Each is fed random bytes and mutated valid samples: bit flips, truncation,
// inserted bytes, corrupted length fields, and structure-aware edits (a BER tree with a node replaced,
// dropped, duplicated or retagged, then re-encoded, so that damage reaches past the outer length
// checks). Each must end, in bounded time (timed, timedAsync), in a result or in the error its module
// documents (a TrustflowError subclass where it has one), never in a TypeError from deep inside a
// library.
//
// Seeds are random on every run; on failure fast-check prints the seed and the (shrunk)
// counterexample. When first run these found seven bugs, fixed with them: unbounded PKCS#12
// iteration counts, untyped errors from damaged PKCS#12/CMS/X.509/ZIP input, years 0-99 read as
// 19xx, and two in the KISC news parser (a quadratic pattern, New Year ranges).
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import fc from 'fast-check';
import { derOf } from '../../src/common/x509-der.js';
import * as der from '../../src/crypto/cms/der.js';
import { vectorsDir, vectorsOrSkip } from './paths.js';

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
export const treeMutationModel = {
  at: fc.nat(),
  op: fc.constantFrom<TreeMutation['op'][]>('integer', 'widen', 'oid', 'content', 'drop', 'duplicate', 'retag', 'empty'),
  bytes: fc.uint8Array({ maxLength: 8 }),
  n: fc.nat(255),
};
export const treeMutation: fc.Arbitrary<TreeMutation> = fc.record(treeMutationModel);

/** The sample re-encoded as DER with the mutations applied (e.g. a 4-byte INTEGER where a 2-byte one was). */
export function mutateTree(sample: Buffer, mutations: TreeMutation[], o: { stripMac?: boolean } = {}): Buffer {
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
export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
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

export function mutateBytes(sample: Uint8Array, m: ByteMutation): Buffer {
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
export function damaged(samples: Buffer[], o: { tree?: boolean; stripMac?: boolean } = {}): fc.Arbitrary<Buffer> {
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
export function timed<T>(maxMs: number, what: string, f: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
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
export async function timedAsync<T>(maxMs: number, what: string, f: () => Promise<T>) {
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
export const describeError = (e: unknown) => `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;

// =================================================================================================
// Samples built here (no published vectors needed): keys and certificates; the published vectors
// =================================================================================================

export const NAME = der.sequence(der.setOf(der.sequence(der.oid('2.5.4.3'), der.tlv(0x0c, Buffer.from('ТЕСТ фаззинг')))));
const SHA256_RSA = der.sequence(der.oid('1.2.840.113549.1.1.11'), der.tlv(der.TAG.null));
const ECDSA_SHA256 = der.sequence(der.oid('1.2.840.10045.4.3.2'));

interface CertSpec {
  serial?: Buffer;
  notBefore?: Date;
  notAfter?: Date;
  subject?: Buffer;
}

/** A self-signed X.509 v3 certificate written with der.ts and signed by Node. */
export function selfSigned(key: { privateKey: KeyObject; publicKey: KeyObject }, spec: CertSpec = {}): Buffer {
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
export function certificationRequest(key: { privateKey: KeyObject; publicKey: KeyObject }, commonName: string, dnsNames: string[]): Buffer {
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

export const rsaKey = generateKeyPairSync('rsa', { modulusLength: 1024 });
export const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const rsaCert = new X509Certificate(selfSigned(rsaKey));
export const ecCert = new X509Certificate(selfSigned(ecKey));

/**
 * The published vectors of `folder` whose names match, as DER. Without them: undefined, and the test
 * is skipped with the reason printed (fails under CI=true), or, for an 'optional' use, the property
 * just runs on the samples built here.
 */
export function vectors(t: TestContext | 'optional', folder: string, match: RegExp): Buffer[] | undefined {
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
