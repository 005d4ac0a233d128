// ZIP extraction with limits. Provider archives (KISC's monthly billing act, ...) are untrusted input:
// a name may point outside the target folder, a few KB may inflate to gigabytes, and headers may lie.
// So every name is checked before anything is written, actual bytes are counted while streaming, and a
// failing archive leaves nothing behind from this call.
import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, lstat, mkdir, open, realpath, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { FailureType, TrustflowError } from '../../common/errors.js';

export interface ZipLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  /** uncompressed/compressed per entry */
  maxCompressionRatio: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_ZIP_LIMITS: ZipLimits = Object.freeze({
  maxEntries: 100,
  maxEntryBytes: 20 * MiB,
  maxTotalBytes: 50 * MiB,
  maxCompressionRatio: 200,
});

export interface ExtractedFile {
  /** The entry's name inside the archive ('/'-separated). */
  name: string;
  /** Absolute path of the extracted file. */
  path: string;
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

/** The archive breaks an extraction rule or cannot be read. Retrying with the same bytes cannot help. */
export class UnsafeArchiveError extends TrustflowError {
  override readonly name = 'UnsafeArchiveError';
  constructor(
    message: string,
    /** The offending entry's name, when the problem is one entry. */
    readonly entryName?: string,
  ) {
    super(message, FailureType.UnsafeArchive, false);
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const ASK_PROVIDER = 'ask the provider to resend the archive';

function entryError(entry: string, problem: string, advice: string): UnsafeArchiveError {
  return new UnsafeArchiveError(`unsafe archive: entry ${JSON.stringify(entry)} ${problem}; ${advice}`, entry);
}

function limitError(entry: string, problem: string, limit: keyof ZipLimits): UnsafeArchiveError {
  return entryError(
    entry,
    `${problem} (${limit})`,
    `nothing was extracted; if the provider really sends archives this large, raise ${limit}, otherwise ${ASK_PROVIDER}`,
  );
}

function notReadable(reason: unknown): UnsafeArchiveError {
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new UnsafeArchiveError(
    `archive is not a readable ZIP (${detail}); nothing was extracted; check the base64/transport decoding, then ${ASK_PROVIDER}`,
  );
}

/**
 * Extracts `zip` into `targetDir` (created with mode 0o700 when missing). All-or-nothing: files are
 * written under temporary names and renamed only after every entry passed; on failure everything this
 * call created is removed. Existing files are never overwritten or deleted.
 */
export async function extractZip(zip: Buffer, targetDir: string, limits: Partial<ZipLimits> = {}): Promise<ExtractedFile[]> {
  const lim: ZipLimits = { ...DEFAULT_ZIP_LIMITS };
  for (const key of Object.keys(lim) as (keyof ZipLimits)[]) {
    const value = limits[key];
    if (value !== undefined) lim[key] = value;
  }

  let zipfile: ZipFile;
  try {
    // decodeStrings: false turns off yauzl's own name check, whose plain Error says neither the rule
    // broken nor what to do; names are decoded and checked (more strictly) below instead.
    zipfile = await yauzl.fromBufferPromise(zip, {
      lazyEntries: true,
      validateEntrySizes: true,
      decodeStrings: false,
      strictFileNames: true,
    });
  } catch (e) {
    throw notReadable(e);
  }
  const entries = new EntryReader(zipfile);

  const createdDirs: string[] = [];
  const createdFiles = new Set<string>();
  const pending: { tmp: string; result: ExtractedFile }[] = [];
  const claimed = new Set<string>();
  try {
    if (zipfile.entryCount > lim.maxEntries) {
      throw new UnsafeArchiveError(
        `unsafe archive: it declares ${zipfile.entryCount} entries, above the limit of ${lim.maxEntries} (maxEntries); ` +
          `nothing was extracted; raise maxEntries if this is expected, otherwise ${ASK_PROVIDER}`,
      );
    }
    const root = await prepareTarget(targetDir, createdDirs);
    let count = 0;
    let declaredTotal = 0;
    let actualTotal = 0;

    for (let entry = await entries.next(); entry; entry = await entries.next()) {
      count += 1;
      const rawName = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      if (count > lim.maxEntries) {
        throw limitError(rawName, `is entry number ${count}, above the limit of ${lim.maxEntries}`, 'maxEntries');
      }
      const { segments, isDir } = checkName(rawName);
      const name = segments.join('/');
      const target = resolve(root, ...segments);
      if (!target.startsWith(root.endsWith(sep) ? root : root + sep)) {
        throw entryError(rawName, 'resolves outside the target folder', ASK_PROVIDER);
      }
      if (((entry.externalFileAttributes >>> 16) & S_IFMT) >>> 0 === S_IFLNK) {
        throw entryError(rawName, 'is a symbolic link', `symbolic links are never extracted; ${ASK_PROVIDER} without links`);
      }
      if (entry.isEncrypted()) {
        throw entryError(rawName, 'is encrypted', `encrypted archives are not supported; ${ASK_PROVIDER} unencrypted`);
      }
      if (!entry.canDecodeFileData()) {
        throw entryError(
          rawName,
          `uses compression method ${entry.compressionMethod}, only stored (0) and deflate (8) are supported`,
          ASK_PROVIDER,
        );
      }
      checkDeclaredSizes(rawName, entry, declaredTotal, lim);
      declaredTotal += entry.uncompressedSize;

      if (isDir) {
        await ensureDirs(root, segments, rawName, createdDirs);
        claimed.add(target);
        continue;
      }
      if (claimed.has(target)) throw entryError(rawName, 'appears twice in the archive', ASK_PROVIDER);
      claimed.add(target);
      const dir = await ensureDirs(root, segments.slice(0, -1), rawName, createdDirs);
      await assertAbsent(target, rawName);

      const tmp = join(dir, `.trustflow-unzip-${randomBytes(8).toString('hex')}.part`);
      // 'wx' never follows or replaces anything already at tmp, so the file is ours to delete later.
      const handle = await open(tmp, 'wx', 0o600);
      createdFiles.add(tmp);
      const counted = await streamEntry(zipfile, entry, rawName, handle, lim, actualTotal);
      actualTotal += counted.bytes;
      pending.push({ tmp, result: { name, path: target, bytes: counted.bytes, sha256: counted.sha256 } });
    }

    for (const { tmp, result } of pending) {
      await assertAbsent(result.path, result.name);
      await rename(tmp, result.path);
      createdFiles.delete(tmp);
      createdFiles.add(result.path);
    }
    return pending.map((p) => p.result);
  } catch (e) {
    await cleanup(createdFiles, createdDirs);
    throw e;
  } finally {
    zipfile.close();
  }
}

/** Hands out yauzl's entries one at a time; an 'error' between reads is kept for the next read. */
class EntryReader {
  private waiting: { resolve: (e: Entry | undefined) => void; reject: (e: unknown) => void } | undefined;
  private failed: unknown;

  constructor(private readonly zipfile: ZipFile) {
    zipfile.on('entry', (entry: Entry) => this.settle((w) => w.resolve(entry)));
    zipfile.on('end', () => this.settle((w) => w.resolve(undefined)));
    zipfile.on('error', (err: unknown) => {
      this.failed ??= err;
      this.settle((w) => w.reject(notReadable(err)));
    });
  }

  next(): Promise<Entry | undefined> {
    if (this.failed !== undefined) return Promise.reject(notReadable(this.failed));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.zipfile.readEntry();
    });
  }

  private settle(f: (w: NonNullable<EntryReader['waiting']>) => void): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) f(w);
  }
}

/** Returns the name's path segments; rejects anything that is not a plain relative path. */
function checkName(name: string): { segments: string[]; isDir: boolean } {
  if (name === '') throw entryError(name, 'has an empty name', ASK_PROVIDER);
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) throw entryError(name, 'has control characters in its name', ASK_PROVIDER);
  if (name.includes('\\')) throw entryError(name, 'has a backslash in its name', ASK_PROVIDER);
  if (/^[A-Za-z]:/.test(name)) throw entryError(name, 'starts with a drive letter', ASK_PROVIDER);
  if (name.startsWith('/')) throw entryError(name, 'is an absolute path', ASK_PROVIDER);
  const isDir = name.endsWith('/');
  const parts = (isDir ? name.slice(0, -1) : name).split('/');
  if (parts.includes('..')) throw entryError(name, 'has a ".." path segment', ASK_PROVIDER);
  if (parts.includes('')) throw entryError(name, 'has an empty path segment', ASK_PROVIDER);
  // yauzl's own rule set, as a second net should the checks above ever be loosened.
  const yauzlVerdict = yauzl.validateFileName(name);
  if (yauzlVerdict !== null) throw entryError(name, `is rejected by yauzl (${yauzlVerdict})`, ASK_PROVIDER);
  const segments = parts.filter((p) => p !== '.');
  if (segments.length === 0) throw entryError(name, 'names the target folder itself', ASK_PROVIDER);
  // File systems refuse longer names (ENAMETOOLONG): say so as the archive's fault, before writing.
  if (segments.some((p) => Buffer.byteLength(p, 'utf8') > 255))
    throw entryError(name, 'has a path segment longer than 255 bytes', ASK_PROVIDER);
  return { segments, isDir };
}

function checkDeclaredSizes(name: string, entry: Entry, declaredTotal: number, lim: ZipLimits): void {
  const size = entry.uncompressedSize;
  if (size > lim.maxEntryBytes) {
    throw limitError(name, `declares ${size} bytes uncompressed, above the per-entry limit of ${lim.maxEntryBytes}`, 'maxEntryBytes');
  }
  if (declaredTotal + size > lim.maxTotalBytes) {
    throw limitError(
      name,
      `brings the archive to ${declaredTotal + size} bytes uncompressed, above the total limit of ${lim.maxTotalBytes}`,
      'maxTotalBytes',
    );
  }
  if (size > entry.compressedSize * lim.maxCompressionRatio) {
    const ratio = entry.compressedSize === 0 ? 'an unbounded' : `a ${Math.round(size / entry.compressedSize)}:1`;
    throw limitError(
      name,
      `declares ${ratio} compression ratio (${size} bytes from ${entry.compressedSize}), above the limit of ${lim.maxCompressionRatio}:1`,
      'maxCompressionRatio',
    );
  }
}

/** Streams one entry to `out`, counting real bytes against the limits (headers can lie). */
async function streamEntry(
  zipfile: ZipFile,
  entry: Entry,
  name: string,
  out: FileHandle,
  lim: ZipLimits,
  totalBefore: number,
): Promise<{ bytes: number; sha256: string }> {
  let input: Readable;
  try {
    input = await zipfile.openReadStreamPromise(entry);
  } catch (e) {
    await out.close();
    throw entryUnreadable(name, e);
  }
  let inputError: unknown;
  input.once('error', (e) => (inputError = e));

  const hash = createHash('sha256');
  let crc = 0;
  let bytes = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > lim.maxEntryBytes) {
        return done(limitError(name, `inflates past ${lim.maxEntryBytes} bytes, the per-entry limit`, 'maxEntryBytes'));
      }
      if (totalBefore + bytes > lim.maxTotalBytes) {
        return done(limitError(name, `inflates the archive past ${lim.maxTotalBytes} bytes, the total limit`, 'maxTotalBytes'));
      }
      if (bytes > entry.compressedSize * lim.maxCompressionRatio) {
        return done(limitError(name, `inflates past ${lim.maxCompressionRatio} times its compressed size`, 'maxCompressionRatio'));
      }
      hash.update(chunk);
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
  });

  try {
    await pipeline(input, guard, out.createWriteStream());
  } catch (e) {
    if (e instanceof UnsafeArchiveError) throw e;
    if (inputError !== undefined) throw entryUnreadable(name, inputError);
    throw e; // the disk side (ENOSPC, EACCES): not the archive's fault
  }
  // yauzl checks sizes but not the CRC; a damaged archive can inflate to the right length.
  if (crc >>> 0 !== entry.crc32 >>> 0) throw entryError(name, 'is damaged (CRC-32 mismatch)', ASK_PROVIDER);
  return { bytes, sha256: hash.digest('hex') };
}

function entryUnreadable(name: string, reason: unknown): UnsafeArchiveError {
  const detail = reason instanceof Error ? reason.message : String(reason);
  return entryError(name, `could not be read (${detail}), so the archive is not a readable ZIP`, ASK_PROVIDER);
}

/** Creates targetDir (and missing parents) and returns its real path. */
async function prepareTarget(targetDir: string, createdDirs: string[]): Promise<string> {
  const wanted = resolve(targetDir);
  const missing: string[] = [];
  for (let p = wanted; !(await exists(p)); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) {
    await mkdir(p, { mode: 0o700 });
    createdDirs.push(p);
  }
  const root = await realpath(wanted);
  if (!(await lstat(root)).isDirectory()) {
    throw new UnsafeArchiveError(`target ${wanted} is not a folder; nothing was extracted; pass a folder path`);
  }
  return root;
}

/**
 * Makes root/segments... exist as real folders and returns the last. A symlink already in the target
 * (pre-existing, never from the archive) would let a checked name write elsewhere, so it is refused.
 */
async function ensureDirs(root: string, segments: string[], entry: string, createdDirs: string[]): Promise<string> {
  let dir = root;
  for (const segment of segments) {
    dir = join(dir, segment);
    let stat = await lstatOrUndefined(dir);
    if (!stat) {
      try {
        await mkdir(dir, { mode: 0o700 });
        createdDirs.push(dir);
        continue;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        stat = await lstat(dir);
      }
    }
    if (stat.isSymbolicLink() || !stat.isDirectory()) {
      throw entryError(
        entry,
        `needs ${dir} to be a folder, but it already exists as a ${stat.isSymbolicLink() ? 'symbolic link' : 'file'}`,
        'extract into an empty folder',
      );
    }
  }
  return dir;
}

async function assertAbsent(path: string, entry: string): Promise<void> {
  if (await lstatOrUndefined(path)) {
    throw entryError(entry, `would overwrite ${path}, which already exists`, 'extract into an empty folder');
  }
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await lstatOrUndefined(path)) !== undefined;
}

/** Removes only what this call created: its files, then its (by then empty) folders, deepest first. */
async function cleanup(files: Set<string>, dirs: string[]): Promise<void> {
  for (const f of files) await unlink(f).catch(() => undefined);
  for (const d of [...dirs].reverse()) await rmdir(d).catch(() => undefined);
}
