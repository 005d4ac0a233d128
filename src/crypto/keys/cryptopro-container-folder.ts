// A CryptoPro container as it sits on disk: a folder (`<name>.000`) of six small files, names in
// any case (Windows copies may be upper case). Reads them with their identities for the key cache,
// and says plainly what is wrong with a path that is not a container.
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { keyCache, readKeyFile } from './key-cache.js';
import {
  CryptoProContainerError,
  inspectCryptoProContainer,
  openCryptoProContainer,
  type CryptoProContainerFiles,
  type CryptoProContainerInfo,
  type OpenedContainerKey,
} from './cryptopro-container.js';

const FILES = ['header', 'masks', 'primary', 'masks2', 'primary2', 'name'] as const;
const REQUIRED = new Set(['header', 'masks', 'primary']);
/** Container files are a few KB; anything near this is not one (and is not read into memory). */
const MAX_FILE_BYTES = 256 * 1024;

export interface CryptoProContainerFolder {
  path: string;
  files: CryptoProContainerFiles;
  /** Identities and bytes of every file: what makes a key-cache entry stale. */
  material: (string | Uint8Array)[];
}

/** True when `path` is a folder holding a header.key (any case): worth reading as a container. */
export function looksLikeCryptoProContainer(path: string): boolean {
  try {
    return statSync(path).isDirectory() && readdirSync(path).some((n) => n.toLowerCase() === 'header.key');
  } catch {
    return false;
  }
}

/**
 * True when `path` is meant as a container: a folder, or one of a container's files (the caller then
 * reads it with readCryptoProContainerFolder, which says what is wrong with it).
 */
export function isCryptoProContainerPath(path: string): boolean {
  try {
    return statSync(path).isDirectory() || CONTAINER_FILE.test(basename(path));
  } catch {
    return CONTAINER_FILE.test(basename(path));
  }
}
const CONTAINER_FILE = /^(header|masks2?|primary2?|name)\.key$/i;

/**
 * Reads the files of the container folder at `path`.
 * @throws CryptoProContainerError 'not-a-container' naming what is missing (or that a file inside was given).
 */
export async function readCryptoProContainerFolder(path: string): Promise<CryptoProContainerFolder> {
  let names: string[];
  try {
    if (!statSync(path).isDirectory()) {
      const inside = CONTAINER_FILE.test(basename(path));
      throw new CryptoProContainerError(
        inside
          ? `${path}: this is one file of a CryptoPro container: give the container's folder (${dirname(path)})`
          : `${path}: not a CryptoPro container (a container is a folder of header.key, masks.key, primary.key…)`,
        'not-a-container',
      );
    }
    names = readdirSync(path);
  } catch (err) {
    if (err instanceof CryptoProContainerError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CryptoProContainerError(
      `${path}: cannot read the container folder (${code === 'ENOENT' ? 'it does not exist on the worker machine' : code})`,
      'not-a-container',
    );
  }
  const byName = new Map(names.map((n) => [n.toLowerCase(), n]));
  const missing = FILES.filter((f) => REQUIRED.has(f) && !byName.has(`${f}.key`));
  if (missing.length > 0)
    throw new CryptoProContainerError(
      `${path}: not a CryptoPro container: ${missing.map((m) => `${m}.key`).join(', ')} missing (a container folder holds header.key, masks.key, masks2.key, name.key, primary.key, primary2.key)`,
      'not-a-container',
    );
  const files: Partial<Record<(typeof FILES)[number], Uint8Array>> = {};
  const material: (string | Uint8Array)[] = [];
  for (const f of FILES) {
    const actual = byName.get(`${f}.key`);
    if (!actual) continue;
    const file = join(path, actual);
    try {
      if (statSync(file).size > MAX_FILE_BYTES)
        throw new CryptoProContainerError(`${path}: ${actual} is ${statSync(file).size} bytes: not a container file`, 'damaged');
      const read = await readKeyFile(file);
      files[f] = read.bytes;
      material.push(f, read.identity, read.bytes);
    } catch (err) {
      if (err instanceof CryptoProContainerError) throw err;
      throw new CryptoProContainerError(`${path}: cannot read ${actual} (${(err as NodeJS.ErrnoException).code})`, 'not-a-container');
    }
  }
  return { path, files: files as CryptoProContainerFiles, material };
}

/** What a container folder holds, without its password. */
export async function inspectCryptoProContainerFolder(path: string): Promise<CryptoProContainerInfo> {
  const folder = await readCryptoProContainerFolder(path);
  return inspectCryptoProContainer(folder.files, path);
}

/**
 * Opens the container at `path` with `password`, through the worker's key cache (the ~2000-round
 * KDF costs tens of milliseconds in JavaScript): a changed file or password opens afresh.
 * @param passwordRef the secret reference it came from (named in errors), or undefined for none.
 */
export async function openCryptoProContainerFolder(path: string, password: string, passwordRef?: string): Promise<OpenedContainerKey[]> {
  const folder = await readCryptoProContainerFolder(path);
  return keyCache.use(`cryptopro-container\0${path}\0${passwordRef ?? ''}`, [...folder.material, password], () =>
    openCryptoProContainer(folder.files, password, path, passwordRef),
  );
}
