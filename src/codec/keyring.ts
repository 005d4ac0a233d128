// Payload encryption keys. A keyring is a list of `id:base64` entries (32-byte AES keys); the first
// is the active key that encodes, every key decodes. Rotation without downtime: put the new key
// first on every worker, client and codec server, keep the old ones until no history needs them.
//   TRUSTFLOW_CODEC_KEYS="k2026b:BASE64,k2026a:BASE64"   or   TRUSTFLOW_CODEC_KEY_FILE=/path
// (the file holds the same entries, separated by commas or newlines; # starts a comment).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FailureType, TrustflowError } from '../common/errors.js';

export class KeyringError extends TrustflowError {
  override readonly name = 'KeyringError';
  constructor(message: string) {
    super(message, FailureType.CodecMisconfigured, false);
  }
}

export interface Keyring {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Parses `id:base64` entries. Errors name the entry's position and id, never key material. */
export function parseKeyring(text: string, source: string): Keyring {
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*/, '')) // comments first: they may contain commas
    .flatMap((line) => line.split(','))
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new KeyringError(`${source}: no keys (expected id:base64 entries)`);
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new KeyringError(`${source}: entry ${i + 1} must look like id:base64 with an id of letters, digits, . _ -`);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new KeyringError(`${source}: key '${id}' must be 32 bytes of base64 (AES-256), got ${key.length} bytes`);
    if (keys.has(id)) throw new KeyringError(`${source}: key id '${id}' appears twice`);
    keys.set(id, key);
  });
  return { activeKeyId: keys.keys().next().value!, keys };
}

/** The keyring configured in the environment, or undefined when none is. */
export function keyringFromEnv(env: NodeJS.ProcessEnv = process.env): Keyring | undefined {
  if (env.TRUSTFLOW_CODEC_KEYS) return parseKeyring(env.TRUSTFLOW_CODEC_KEYS, 'TRUSTFLOW_CODEC_KEYS');
  if (env.TRUSTFLOW_CODEC_KEY_FILE) {
    let text: string;
    try {
      text = readFileSync(env.TRUSTFLOW_CODEC_KEY_FILE, 'utf8');
    } catch (err) {
      throw new KeyringError(
        `TRUSTFLOW_CODEC_KEY_FILE=${env.TRUSTFLOW_CODEC_KEY_FILE}: cannot read (${(err as NodeJS.ErrnoException).code})`,
      );
    }
    return parseKeyring(text, env.TRUSTFLOW_CODEC_KEY_FILE);
  }
  return undefined;
}

/** A fresh `id:base64` entry, e.g. for `npm start`'s development keyring. */
export function newKeyEntry(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/** Writes a one-key keyring file readable by its owner only. */
export async function writeKeyringFile(path: string, id: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `# trustflow development codec keys: id:base64, first = active. Not for production.\n${newKeyEntry(id)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
}
