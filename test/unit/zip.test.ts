// extractZip against real archives (yazl), the provider's sample act from its memo, and hand-built
// hostile archives (yazl refuses bad names, so those are assembled byte by byte below).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import yazl from 'yazl';
import { FailureType, TrustflowError } from '../../src/common/errors.js';
import { DEFAULT_ZIP_LIMITS, extractZip, UnsafeArchiveError } from '../../src/client/cli/zip.js';
import { seedOrSkip } from '../helpers/paths.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const scratch: string[] = [];
after(() => Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true }))));

/** A fresh folder `base` with an empty `base/target` (or no target when `create` is false). */
async function sandbox(create = true) {
  const base = await mkdtemp(join(tmpdir(), 'trustflow-zip-'));
  scratch.push(base);
  const target = join(base, 'target');
  if (create) await mkdir(target);
  return { base, target };
}

/** Every path under `dir`, relative, sorted; [] when `dir` is missing. */
async function tree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const all = await readdir(dir, { recursive: true });
  return all.map(String).sort();
}

function yazlZip(build: (zip: yazl.ZipFile) => void): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  build(zip);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

interface RawEntry {
  name: string;
  data?: Buffer;
  /** 0 stored (default) or 8 deflated. */
  method?: 0 | 8;
  flags?: number;
  /** Unix mode; placed in the high 16 bits of the external attributes. */
  mode?: number;
  /** Lie about the uncompressed size. */
  declaredSize?: number;
  /** Lie about the CRC-32. */
  crc?: number;
  /** Bytes placed before the data and counted in the compressed size (the encryption header). */
  prefix?: Buffer;
}

/** A minimal ZIP: local headers + data, central directory, end record. No data descriptors, no ZIP64. */
function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = e.data ?? Buffer.alloc(0);
    const method = e.method ?? 0;
    const body = Buffer.concat([e.prefix ?? Buffer.alloc(0), method === 8 ? deflateRawSync(data) : data]);
    const crc = e.crc ?? crc32(data);
    const usize = e.declaredSize ?? data.length;
    const flags = (e.flags ?? 0) | 0x800; // UTF-8 names

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(usize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode bits count
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(usize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);

    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
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

/** Asserts an UnsafeArchiveError whose message matches `pattern`. */
async function rejectsUnsafe(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UnsafeArchiveError, `expected UnsafeArchiveError, got ${String(e)}`);
    assert.ok(e instanceof TrustflowError);
    assert.equal(e.name, 'UnsafeArchiveError');
    assert.equal(e.type, FailureType.UnsafeArchive);
    assert.equal(e.retryable, false);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The shared seeds folder sits beside the vectors (../shared/seeds); same skip/CI rule as vectorsOrSkip. */

describe('extractZip: normal archives', () => {
  it('extracts a Cyrillic text file and a nested folder with the right bytes and sha256', async () => {
    const { base } = await sandbox(false);
    const target = join(base, 'not', 'yet', 'there');
    const act = Buffer.from('Акт сверки за август 2021\nСумма: 1 234,56 тенге\nПодпись: ТОО «Ромашка»\n', 'utf8');
    const nested = Buffer.from('вложенный файл — данные ЦОИД\n'.repeat(50), 'utf8');
    const zip = await yazlZip((z) => {
      z.addBuffer(act, 'акт_8-8-01.txt');
      z.addEmptyDirectory('отчёты/');
      z.addBuffer(nested, 'отчёты/2021/данные.txt');
    });

    const files = await extractZip(zip, target);

    assert.deepEqual(
      files.map((f) => [f.name, f.path, f.bytes, f.sha256]),
      [
        ['акт_8-8-01.txt', join(target, 'акт_8-8-01.txt'), act.length, sha256(act)],
        ['отчёты/2021/данные.txt', join(target, 'отчёты', '2021', 'данные.txt'), nested.length, sha256(nested)],
      ],
    );
    assert.deepEqual(await readFile(join(target, 'акт_8-8-01.txt')), act);
    assert.deepEqual(await readFile(join(target, 'отчёты', '2021', 'данные.txt')), nested);
    // No temporary files left, nothing but what the archive holds.
    assert.deepEqual(await tree(target), ['акт_8-8-01.txt', 'отчёты', 'отчёты/2021', 'отчёты/2021/данные.txt']);
    assert.equal((await lstat(target)).mode & 0o777, 0o700);
  });

  it('exports sane defaults', () => {
    assert.deepEqual(
      { ...DEFAULT_ZIP_LIMITS },
      { maxEntries: 100, maxEntryBytes: 20 * MiB, maxTotalBytes: 50 * MiB, maxCompressionRatio: 200 },
    );
  });
});

describe("extractZip: the sample act in KISC's memo (seed 004, section 9.8)", () => {
  // Finding: the memo's base64 was copied from a rendered document and is damaged (letters with the
  // wrong case, e.g. 'UESDBBQ' for a ZIP's 'UEsDBBQ', and characters lost or shifted), so it is not a
  // ZIP. These assertions state that; if an intact copy of the sample replaces it, expect the act file.
  it('is damaged in the memo: not a ZIP, rejected as not readable, nothing written', async (t) => {
    const seed = seedOrSkip(t, '004_dea162bcb84a318b.txt');
    if (!seed) return;
    const text = await readFile(seed, 'utf8');
    const m = /9\.8\.[\s\S]*?"binary":\s*"([^"]+)"/.exec(text);
    assert.ok(m?.[1], 'section 9.8 has a {"binary": "..."} example');
    const b64 = m[1].replace(/\s+/g, '');
    assert.match(b64, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(b64.length % 4, 0);

    // It was meant to hold the act file: its name is still legible in the base64.
    const at = b64.indexOf('YWN0Xz');
    assert.ok(at > 0);
    assert.equal(Buffer.from(b64.slice(at, at + 30), 'base64').toString('latin1'), 'act_8-8-01_K9000666.tx');

    // But it does not start with a local file header ('PK\3\4' is 'UEsDB...' in base64).
    assert.ok(b64.startsWith('UESDBBQ'));
    const zip = Buffer.from(b64, 'base64');
    assert.notDeepEqual(zip.subarray(0, 4), Buffer.from('PK\x03\x04', 'latin1'));

    const { base, target } = await sandbox();
    await rejectsUnsafe(extractZip(zip, target), /not a readable ZIP/);
    // Fixing the three signatures whose letter case flipped is not enough: bytes are lost or shifted too.
    const relettered = b64.replace('UESDBBQ', 'UEsDBBQ').replace('UEsBAHQ', 'UEsBAhQ').replace('UESFBg', 'UEsFBg');
    await rejectsUnsafe(extractZip(Buffer.from(relettered, 'base64'), target), /not a readable ZIP/);
    assert.deepEqual(await tree(base), ['target']);
  });
});

describe('extractZip: names', () => {
  const bad = [
    { name: '../evil.txt', why: /"\.\." path segment/ },
    { name: '/abs.txt', why: /absolute path/ },
    { name: 'a/../../evil.txt', why: /"\.\." path segment/ },
    { name: '..\\evil.txt', why: /backslash/ },
    { name: 'C:/evil.txt', why: /drive letter/ },
  ];
  for (const { name, why } of bad) {
    it(`rejects ${JSON.stringify(name)}; nothing is written inside or outside the target`, async () => {
      const { base, target } = await sandbox();
      const absBefore = existsSync('/abs.txt');
      // A good entry first: it must not survive the bad one.
      const zip = rawZip([
        { name: 'good.txt', data: Buffer.from('fine') },
        { name, data: Buffer.from('pwned') },
      ]);
      await rejectsUnsafe(extractZip(zip, target), why);
      await rejectsUnsafe(extractZip(zip, target), new RegExp(JSON.stringify(name).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
      assert.deepEqual(await tree(base), ['target']);
      assert.equal(existsSync('/abs.txt'), absBefore);
    });
  }

  it('rejects a symlink entry', async () => {
    const { base, target } = await sandbox();
    const zip = rawZip([{ name: 'link', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]);
    await rejectsUnsafe(extractZip(zip, target), /"link" is a symbolic link/);
    assert.deepEqual(await tree(base), ['target']);
  });

  it('refuses to write through a symlink already in the target', async () => {
    const { base, target } = await sandbox();
    const outside = join(base, 'outside');
    await mkdir(outside);
    await symlink(outside, join(target, 'link'));
    const zip = rawZip([{ name: 'link/evil.txt', data: Buffer.from('pwned') }]);
    await rejectsUnsafe(extractZip(zip, target), /already exists as a symbolic link/);
    assert.deepEqual(await tree(outside), []);
    assert.deepEqual(await tree(target), ['link']);
  });

  it('rejects an encrypted entry', async () => {
    const { base, target } = await sandbox();
    // Traditional encryption: flag bit 0, a 12-byte header counted in the compressed size.
    const zip = rawZip([{ name: 'secret.txt', data: Buffer.from('x'), flags: 0x1, prefix: Buffer.alloc(12) }]);
    await rejectsUnsafe(extractZip(zip, target), /"secret\.txt" is encrypted/);
    assert.deepEqual(await tree(base), ['target']);
  });

  it('never overwrites a file that already exists in the target', async () => {
    const { target } = await sandbox();
    await writeFile(join(target, 'act.txt'), 'original');
    const zip = await yazlZip((z) => {
      z.addBuffer(Buffer.from('new'), 'other.txt');
      z.addBuffer(Buffer.from('replacement'), 'act.txt');
    });
    await rejectsUnsafe(extractZip(zip, target), /"act\.txt" would overwrite/);
    assert.equal(await readFile(join(target, 'act.txt'), 'utf8'), 'original');
    assert.deepEqual(await tree(target), ['act.txt']);
  });
});

describe('extractZip: limits', () => {
  it('rejects a zip bomb: 30 MiB of zeros with maxEntryBytes 10 MiB', async () => {
    const { base, target } = await sandbox();
    const zip = await yazlZip((z) => z.addBuffer(Buffer.alloc(30 * MiB), 'zeros.bin'));
    assert.ok(zip.length < 200 * 1024, `deflated to ${zip.length} bytes`);
    await rejectsUnsafe(
      extractZip(zip, target, { maxEntryBytes: 10 * MiB, maxCompressionRatio: 1e9 }),
      /"zeros\.bin" declares 31457280 bytes uncompressed.*\(maxEntryBytes\)/,
    );
    assert.deepEqual(await tree(base), ['target']);
  });

  it('counts real bytes: a header claiming 1 KiB that inflates to 30 MiB is stopped', async () => {
    const { base, target } = await sandbox();
    const zip = rawZip([{ name: 'liar.bin', data: Buffer.alloc(30 * MiB), method: 8, declaredSize: 1024 }]);
    await rejectsUnsafe(extractZip(zip, target, { maxEntryBytes: 10 * MiB, maxCompressionRatio: 1e9 }), /"liar\.bin"/);
    assert.deepEqual(await tree(base), ['target']);
  });

  it('rejects a compression ratio above the limit and accepts it under a higher one', async () => {
    const zip = await yazlZip((z) => z.addBuffer(Buffer.alloc(MiB), 'zeros.bin'));
    const first = await sandbox();
    await rejectsUnsafe(extractZip(zip, first.target), /"zeros\.bin" declares a \d+:1 compression ratio.*\(maxCompressionRatio\)/);
    assert.deepEqual(await tree(first.base), ['target']);

    const second = await sandbox();
    const files = await extractZip(zip, second.target, { maxCompressionRatio: 5000 });
    assert.deepEqual(
      files.map((f) => [f.name, f.bytes, f.sha256]),
      [['zeros.bin', MiB, sha256(Buffer.alloc(MiB))]],
    );
  });

  it('rejects more entries than maxEntries and accepts exactly maxEntries', async () => {
    const zip = await yazlZip((z) => {
      for (let i = 1; i <= 5; i++) z.addBuffer(Buffer.from(`file ${i}`), `f${i}.txt`);
    });
    const first = await sandbox();
    await rejectsUnsafe(extractZip(zip, first.target, { maxEntries: 4 }), /5 entries, above the limit of 4 \(maxEntries\)/);
    assert.deepEqual(await tree(first.base), ['target']);

    const second = await sandbox();
    assert.equal((await extractZip(zip, second.target, { maxEntries: 5 })).length, 5);
    assert.deepEqual(await tree(second.target), ['f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'f5.txt']);
  });

  it('rejects a running total above maxTotalBytes', async () => {
    const { base, target } = await sandbox();
    const zip = await yazlZip((z) => {
      for (let i = 1; i <= 3; i++) z.addBuffer(Buffer.from(`${i}`.repeat(1024)), `part${i}.txt`, { compress: false });
    });
    await rejectsUnsafe(
      extractZip(zip, target, { maxTotalBytes: 2500 }),
      /"part3\.txt" brings the archive to 3072 bytes.*\(maxTotalBytes\)/,
    );
    assert.deepEqual(await tree(base), ['target']);
  });
});

describe('extractZip: corrupt archives and cleanup', () => {
  it('rejects bytes that are not a ZIP, and a truncated ZIP', async () => {
    const { base, target } = await sandbox();
    await rejectsUnsafe(extractZip(Buffer.from('definitely not a zip file, just text'), target), /not a readable ZIP/);
    await rejectsUnsafe(extractZip(Buffer.alloc(0), target), /not a readable ZIP/);
    const zip = await yazlZip((z) => z.addBuffer(Buffer.from('x'.repeat(1000)), 'a.txt'));
    await rejectsUnsafe(extractZip(zip.subarray(0, zip.length - 10), target), /not a readable ZIP/);
    assert.deepEqual(await tree(base), ['target']);
  });

  it('rejects damaged data: a broken deflate stream, and a wrong CRC-32', async () => {
    const { base, target } = await sandbox();
    const text = Buffer.from('Акт оказанных услуг\n'.repeat(100));
    const good = rawZip([{ name: 'act.txt', data: text, method: 8 }]);
    const broken = Buffer.from(good);
    broken.fill(0xff, 30 + 'act.txt'.length, 30 + 'act.txt'.length + 8); // first bytes of the deflate stream
    await rejectsUnsafe(extractZip(broken, target), /"act\.txt" could not be read .*not a readable ZIP/);
    const wrongCrc = rawZip([{ name: 'act.txt', data: text, crc: (crc32(text) ^ 1) >>> 0 }]);
    await rejectsUnsafe(extractZip(wrongCrc, target), /"act\.txt" is damaged \(CRC-32 mismatch\)/);
    assert.deepEqual(await tree(base), ['target']);
    // The intact one extracts, so the failures above are the damage and nothing else.
    assert.equal((await extractZip(good, target))[0]?.sha256, sha256(text));
  });

  it('a failure mid-archive removes everything the call created, including the target, and no more', async () => {
    const { base } = await sandbox(false);
    const target = join(base, 'new', 'target');
    const zip = rawZip([
      { name: 'a.txt', data: Buffer.from('first') },
      { name: 'sub/deeper/b.txt', data: Buffer.from('second') },
      { name: 'sub/c.txt', data: Buffer.from('third'), crc: 0 }, // fails after two files were written
    ]);
    await rejectsUnsafe(extractZip(zip, target), /"sub\/c\.txt" is damaged/);
    assert.deepEqual(await tree(base), []);

    // Into a folder with content: what was there stays, what the call made goes.
    const existing = join(base, 'existing');
    await mkdir(join(existing, 'sub'), { recursive: true });
    await writeFile(join(existing, 'keep.txt'), 'mine');
    await writeFile(join(existing, 'sub', 'keep2.txt'), 'mine too');
    await rejectsUnsafe(extractZip(zip, existing), /"sub\/c\.txt" is damaged/);
    assert.deepEqual(await tree(existing), ['keep.txt', 'sub', 'sub/keep2.txt']);
    assert.equal(await readFile(join(existing, 'keep.txt'), 'utf8'), 'mine');
  });
});
