// What every command's output goes through: files written without ever replacing an input or an
// existing file unasked, tables that fit a terminal, progress on stderr for long operations, and
// standard streams flushed before the process exits (a pipe gets every byte).
import { randomBytes } from 'node:crypto';
import { link, lstat, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './command.js';

// ---------------------------------------------------------------------------------------------
// Leaving the process

/**
 * Resolves once everything written to stdout and stderr so far has left the process. `process.exit`
 * right after a large write into a pipe drops what the pipe had not taken yet (64 KiB on Linux).
 */
export function flushStdio(): Promise<void> {
  const flush = (s: NodeJS.WriteStream) =>
    new Promise<void>((done) => {
      if (s.destroyed || !s.writable) return done();
      s.write('', () => done());
    });
  return Promise.all([flush(process.stdout), flush(process.stderr)]).then(() => undefined);
}

/**
 * A reader that went away (`trustflow credentials list | head -3`) is not an error of ours: stop
 * writing and exit quietly with `code()` instead of a stack trace for EPIPE.
 */
export function exitQuietlyOnClosedPipe(code: () => number): void {
  for (const s of [process.stdout, process.stderr])
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(code());
      throw err;
    });
}

// ---------------------------------------------------------------------------------------------
// Output files

export interface OutputFileOptions {
  /** The option that named the file, for messages (`--out`). */
  flag: string;
  /** Replace an existing file (never one of `inputs`). */
  force: boolean;
  /** Files this command reads: the output may not be any of them, however its path is spelled. */
  inputs: { flag: string; path: string }[];
  mode?: number;
  /** A command without --force (it never replaces a file) says so instead of suggesting --force. */
  noForce?: boolean;
}

/**
 * Writes `data` to `path` whole or not at all: into a temporary file beside it, then moved into
 * place. An existing file is replaced only with `force`; an input of the command never (the same
 * file by any name: `./F`, `F`, a symlink, a hard link), since the command has just read it and the
 * user would lose it.
 */
export async function writeOutputFile(path: string, data: Uint8Array, o: OutputFileOptions): Promise<string> {
  const target = resolve(path);
  const existing = await checkOutputFile(path, o);
  // Replace the file a symlink points at, not the link.
  const final = existing ? await realpath(target).catch(() => target) : target;
  const tmp = join(dirname(final), `.${basename(final)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { mode: o.mode ?? 0o644, flag: 'wx' });
  } catch (err) {
    throw new UsageError(`${o.flag} ${path}: cannot write there (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    if (existing) await rename(tmp, final);
    else await noClobberMove(tmp, final, o.flag, path, o.noForce === true, o.mode ?? 0o644);
  } finally {
    await rm(tmp, { force: true });
  }
  return final;
}

/**
 * The checks of writeOutputFile, before any work is done (a command calls it first, so a wrong
 * --out is refused before a key is opened or a provider called). True when the file exists (and
 * `force` allows replacing it).
 */
export async function checkOutputFile(path: string, o: Omit<OutputFileOptions, 'mode'>): Promise<boolean> {
  const target = resolve(path);
  const existing = await lstat(target).catch(() => undefined);
  if (!existing) {
    const parent = await stat(dirname(target)).catch(() => undefined);
    if (!parent?.isDirectory()) throw new UsageError(`${o.flag} ${path}: the folder ${dirname(target)} does not exist`);
    return false;
  }
  {
    const same = await sameFileAsInput(target, o.inputs);
    if (same)
      throw new UsageError(
        `${o.flag} ${path} is the file given as ${same.flag} (${same.path}): writing it would destroy the input; choose another ${o.flag}`,
      );
    if ((await stat(target).catch(() => existing)).isDirectory()) throw new UsageError(`${o.flag} ${path} is a directory; name a file`);
    if (!o.force)
      throw new UsageError(
        o.noForce
          ? `${o.flag} ${path} exists: trustflow never replaces it here; choose another ${o.flag} (or move the file away first)`
          : `${o.flag} ${path} exists: pass --force to replace it, or choose another ${o.flag}`,
      );
  }
  return true;
}

/** Moves tmp to final unless final appeared meanwhile (a hard link fails on an existing name). */
async function noClobberMove(tmp: string, final: string, flag: string, path: string, noForce: boolean, mode: number): Promise<void> {
  try {
    await link(tmp, final);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new UsageError(
        `${flag} ${path} appeared while writing: ${noForce ? `left as it is; choose another ${flag}` : 'pass --force to replace it'}`,
      );
    // File systems without hard links: an exclusive create is still atomic against a clobber.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'ENOSYS') {
      const { readFile } = await import('node:fs/promises');
      await writeFile(final, await readFile(tmp), { flag: 'wx', mode }).catch((e: NodeJS.ErrnoException) => {
        throw new UsageError(`${flag} ${path}: cannot write there (${e.code ?? 'error'})`);
      });
      return;
    }
    throw new UsageError(`${flag} ${path}: cannot write there (${code ?? 'error'})`);
  }
}

async function sameFileAsInput(
  target: string,
  inputs: OutputFileOptions['inputs'],
): Promise<OutputFileOptions['inputs'][number] | undefined> {
  const t = await stat(target).catch(() => undefined);
  const tReal = await realpath(target).catch(() => target);
  for (const input of inputs) {
    const i = await stat(input.path).catch(() => undefined);
    if (t && i && t.dev === i.dev && t.ino === i.ino) return input;
    if (tReal === (await realpath(input.path).catch(() => resolve(input.path)))) return input;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Tables

export interface TableOptions {
  /** Show every cell in full. Default: fit `width` by shortening the columns named in `shrink`. */
  wide?: boolean;
  width?: number;
  /** Columns that may be shortened (with '…'), most shrinkable first; default: the last column. */
  shrink?: number[];
}

export const TABLE_WIDTH = 100;

/** Rows under a header, columns separated by two spaces, fitting `width` (100) unless wide. */
export function renderTable(head: string[], rows: string[][], o: TableOptions = {}): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const limit = o.width ?? TABLE_WIDTH;
  if (!o.wide) {
    const shrink = o.shrink ?? [head.length - 1];
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    for (const i of shrink) {
      const over = total() - limit;
      if (over <= 0) break;
      widths[i] = Math.max(head[i]!.length, 8, widths[i]! - over);
    }
  }
  const cell = (text: string, i: number, last: boolean) => {
    const w = widths[i]!;
    const fitted = text.length > w ? `${text.slice(0, w - 1)}…` : text;
    return last ? fitted : fitted.padEnd(w);
  };
  const line = (cells: string[]) => cells.map((c, i) => cell(c ?? '', i, i === cells.length - 1)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Progress

export interface Progress {
  /** `done` of `total` finished; printed at most every few seconds, from the first few seconds on. */
  update(done: number, detail?: string): void;
  /** The last line (only when progress was shown at all). */
  finish(summary?: string): void;
  /** Runs `work`, then finishes with 'done' or 'failed'. */
  around<T>(work: Promise<T>): Promise<T>;
}

/** TRUSTFLOW_PROGRESS_AFTER_MS: how long a command runs before it reports progress (default 2000; 0: at once). */
function progressAfterMs(): number {
  const raw = process.env.TRUSTFLOW_PROGRESS_AFTER_MS;
  const n = raw === undefined || raw === '' ? 2000 : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 2000;
}

/**
 * Progress of a long operation on stderr (stdout stays the command's data): silent for the first
 * `quietMs` (a quick command prints nothing extra), then a line every `everyMs`.
 */
export function progress(label: string, total: number | undefined, o: { quietMs?: number; everyMs?: number } = {}): Progress {
  const started = Date.now();
  const quietMs = o.quietMs ?? progressAfterMs();
  const everyMs = o.everyMs ?? 5000;
  let shown = false;
  let lastAt = 0;
  let last: { done: number; detail: string | undefined } | undefined;
  const print = () => {
    const secs = Math.round((Date.now() - started) / 1000);
    const count = last === undefined ? '' : total !== undefined ? `${last.done}/${total}, ` : `${last.done}, `;
    process.stderr.write(`${label}: ${count}${last?.detail ? `${last.detail}, ` : ''}${secs} s\n`);
    shown = true;
    lastAt = Date.now();
  };
  // A wait with no updates at all (one long call) still says it is alive.
  const timer = setInterval(() => {
    if (Date.now() - started >= quietMs && Date.now() - lastAt >= everyMs) print();
  }, 500);
  timer.unref();
  const self: Progress = {
    update(done, detail) {
      last = { done, detail };
      const now = Date.now();
      if (now - started >= quietMs && now - lastAt >= everyMs) print();
    },
    finish(summary) {
      clearInterval(timer);
      if (shown) process.stderr.write(`${label}: ${summary ?? 'done'} after ${Math.round((Date.now() - started) / 1000)} s\n`);
    },
    around: (work) =>
      work.then(
        (r) => (self.finish('done'), r),
        (err: unknown) => {
          self.finish('failed');
          throw err;
        },
      ),
  };
  return self;
}
