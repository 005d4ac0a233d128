// The worker's one cache of opened keys. Opening a PKCS#12 costs 20–60 ms of PBKDF2 in JavaScript
// (150 ms for a GOST PBE file in OpenSSL), against ~1 ms for the signature it is opened for, and
// signing flows open the same few files all day. What is cached is the opened object (a Node
// KeyObject, a Kazakh GOST key, a decryption key checked against its certificate), in this
// process's memory only: never written to disk, logs or history.
//
// An entry is found by its slot (what the caller names: purpose, path, secret reference) and
// is used only while its fingerprint still matches: an HMAC, under a key made at process start, over
// the file's identity (device, inode, size, mtime), its bytes and the secret's value. So a changed
// file, a renamed-over file or a rotated password opens afresh, and the old entry is dropped at
// once. Entries also expire after `maxAgeMs` and the least recently used goes beyond
// `maxEntries`. Failures (wrong password, damaged file) are never cached.
// Derived state (parsed certificates, imported WebCrypto keys) hangs off the cached objects in
// WeakMaps where it is made (cms.ts), so it lives exactly as long as its entry.
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';

export interface KeyCacheSettings {
  /** Opened keys kept at most; the least recently used is dropped beyond this. */
  maxEntries: number;
  /** An entry is reopened (password resolved, file decrypted) after this long; 0 turns the cache off. */
  maxAgeMs: number;
}

export const DEFAULT_KEY_CACHE_SETTINGS: KeyCacheSettings = { maxEntries: 32, maxAgeMs: 10 * 60_000 };

/**
 * TRUSTFLOW_KEY_CACHE_SECONDS (default 600; 0 = off) and TRUSTFLOW_KEY_CACHE_ENTRIES (default 32).
 * @throws Error naming the variable when a value is not a whole number.
 */
export function keyCacheSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): KeyCacheSettings {
  const read = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) throw new Error(`${name}=${raw}: expected a whole number ≥ 0`);
    return Number(raw);
  };
  return {
    maxAgeMs: read('TRUSTFLOW_KEY_CACHE_SECONDS', DEFAULT_KEY_CACHE_SETTINGS.maxAgeMs / 1000) * 1000,
    maxEntries: read('TRUSTFLOW_KEY_CACHE_ENTRIES', DEFAULT_KEY_CACHE_SETTINGS.maxEntries),
  };
}

/** A key file's bytes and what identifies the file on its disk (changes when the file is replaced or written). */
export interface KeyFile {
  path: string;
  bytes: Buffer;
  identity: string;
}

/**
 * Reads a file and its identity from the same open descriptor (a file replaced between stat and
 * read cannot pair one file's identity with another's bytes). Synchronous on purpose: key files are a
 * few KB on local disk, read on every use; four blocking syscalls cost ~30 µs, the same through the
 * thread pool ~0.5 ms of hops.
 * @throws the fs error (with its `code`); callers turn it into their own KeyStoreError.
 */
export async function readKeyFile(path: string): Promise<KeyFile> {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd, { bigint: true });
    const bytes = readFileSync(fd);
    return { path, bytes, identity: `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` };
  } finally {
    closeSync(fd);
  }
}

/** What invalidates an entry: file identities, file bytes, secret values. Never logged, only hashed. */
export type KeyMaterial = string | Uint8Array;

interface Entry {
  fingerprint: string;
  value: unknown;
  expiresAt: number;
}

export interface KeyCacheStats {
  entries: number;
  hits: number;
  misses: number;
  /** Entries dropped because their file or secret changed. */
  invalidated: number;
  /** Entries dropped for age or for room. */
  evicted: number;
}

export class KeyCache {
  readonly #entries = new Map<string, Entry>(); // insertion order = least recently used first
  readonly #opening = new Map<string, Promise<unknown>>(); // by fingerprint: concurrent misses open once
  readonly #hmacKey = randomBytes(32);
  #stats = { hits: 0, misses: 0, invalidated: 0, evicted: 0 };
  #generation = 0; // bumped by clear(): opens already under way then do not store their result

  constructor(
    private readonly settings: KeyCacheSettings = DEFAULT_KEY_CACHE_SETTINGS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The value opened for `slot` from `material`, opening it (once, however many callers wait) when
   * there is none, it expired, or the material changed.
   * Values are shared by every caller and must not be mutated; a dropped value is left to the
   * garbage collector (not zeroed), because a caller that got it just before may still be using it.
   * @param slot non-secret: purpose, path, secret reference (it is a map key, never printed).
   */
  async use<T>(slot: string, material: readonly KeyMaterial[], open: () => T | Promise<T>): Promise<T> {
    if (this.settings.maxAgeMs <= 0 || this.settings.maxEntries <= 0) return open();
    const fingerprint = this.#fingerprint(slot, material);
    const entry = this.#entries.get(slot);
    if (entry) {
      this.#entries.delete(slot);
      if (entry.fingerprint === fingerprint && entry.expiresAt > this.now()) {
        this.#entries.set(slot, entry); // most recently used
        this.#stats.hits += 1;
        return entry.value as T;
      }
      this.#stats[entry.fingerprint === fingerprint ? 'evicted' : 'invalidated'] += 1;
    }
    this.#stats.misses += 1;
    const pending = this.#opening.get(fingerprint);
    if (pending) return pending as Promise<T>;
    const generation = this.#generation;
    const opening = (async () => {
      const value = await open();
      if (generation === this.#generation) this.#store(slot, { fingerprint, value, expiresAt: this.now() + this.settings.maxAgeMs });
      return value;
    })();
    this.#opening.set(fingerprint, opening);
    try {
      return await opening;
    } finally {
      // Only its own marker: after a clear() a newer open of the same key may have set one.
      if (this.#opening.get(fingerprint) === opening) this.#opening.delete(fingerprint);
    }
  }

  /** Drops every entry (tests; a worker that wants its keys out of memory now). */
  clear(): void {
    this.#generation += 1;
    this.#opening.clear();
    this.#entries.clear();
  }

  stats(): KeyCacheStats {
    return { entries: this.#entries.size, ...this.#stats };
  }

  #store(slot: string, entry: Entry): void {
    this.#entries.delete(slot); // two materials raced for one slot: the later one wins
    this.#entries.set(slot, entry);
    while (this.#entries.size > this.settings.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
      this.#stats.evicted += 1;
    }
  }

  #fingerprint(slot: string, material: readonly KeyMaterial[]): string {
    const mac = createHmac('sha256', this.#hmacKey);
    for (const part of [slot, ...material]) {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      const length = Buffer.alloc(8);
      length.writeBigUInt64BE(BigInt(bytes.length));
      mac.update(length).update(bytes);
    }
    return mac.digest('base64');
  }
}

/** The process's key cache, sized from the environment at start. */
export const keyCache = new KeyCache(keyCacheSettingsFromEnv());
