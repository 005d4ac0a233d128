// Property-based (fast-check) tests of extractZip (src/client/cli/zip.ts) under random, damaged and
// hostile archives: files inside the target folder or UnsafeArchiveError, all or nothing, nothing
// written outside the target. Mutators: test/helpers/fuzz.ts.
// Seeds are random on every run; on failure fast-check prints the seed and the (shrunk) counterexample.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import yazl from 'yazl';
import { extractZip, UnsafeArchiveError } from '../../src/client/cli/zip.js';
import { byteMutation, describeError, mutateBytes, timedAsync } from '../helpers/fuzz.js';

// The reason of a failure in the report itself: node:test prints messages, not causes.
fc.configureGlobal({ includeErrorInReport: true });

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
