// The one secret resolver. Called only from activities (and the CLI), at the moment a secret is
// needed; the value never leaves the activity. Errors name the reference, never the value.
import { readFileSync } from 'node:fs';
import { SecretUnavailableError } from '../common/errors.js';
import { describeSecretRef } from './reference.js';

export type SecretResolver = (ref: string) => Promise<string>;

/**
 * Resolves `env:NAME` from the worker's environment and `file:/path` from disk. A file's single
 * trailing newline (as `echo` writes it) is not part of the secret.
 */
export const resolveSecret: SecretResolver = async (ref) => {
  let target;
  try {
    target = describeSecretRef(ref);
  } catch {
    // Not a reference at all, perhaps the secret itself: never echo it.
    throw new SecretUnavailableError('(not a reference)', "expected 'env:NAME' or 'file:/absolute/path'");
  }
  if (target.kind === 'env') {
    const value = process.env[target.name];
    if (value === undefined) {
      throw new SecretUnavailableError(ref, `environment variable ${target.name} is not set (for flows: in the worker's environment)`);
    }
    return value;
  }
  try {
    // Synchronous: a secret file is a few bytes (tmpfs in containers), read at every use; through the
    // thread pool the read would cost more in hops than in I/O.
    const text = readFileSync(target.path, 'utf8');
    return text.replace(/\r?\n$/, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file does not exist'
        : code === 'EACCES'
          ? 'the worker may not read this file'
          : `cannot read the file (${code ?? 'error'})`;
    throw new SecretUnavailableError(ref, why);
  }
};
