// What the command groups share: a connected client, secrets named by environment variable, input
// files read with errors that say which option named them. Kept apart from main.ts so the group
// modules do not import main.ts (which imports them): no import cycle.
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { InvalidInputError, SecretUnavailableError } from '../../common/errors.js';
import { connectClient } from '../connection.js';
import { UsageError, type CommandDefinition, type OptionSpecs } from './command.js';

export { UsageError };

/** A group's table, `{ name: command }`: adding a command is one entry there. */
export type Commands = Readonly<Record<string, CommandDefinition<OptionSpecs>>>;

/** Runs `fn` with a connected client and closes the connection after, whatever happens. */
export async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectClient();
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// What variable names conventionally look like; anything else may be the secret itself.
const CONVENTIONAL_ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * The secret in the environment variable an option names (`--password-env NAME`). A value that is
 * not a variable name is most likely the password typed in its place: refused (a usage error)
 * without echoing it. An unset or empty variable is a SecretUnavailableError (exit 1), like any
 * secret reference that does not resolve.
 */
export function secretFromEnv(flag: string, name: string | undefined): string {
  return secretsFromEnv([[flag, name]])[0]!;
}

/**
 * Several at once (`[flag, NAME]` pairs), every unset or empty variable named in one error: a
 * command that needs three secrets says which three are missing, not one per try.
 */
export function secretsFromEnv(pairs: readonly (readonly [flag: string, name: string | undefined])[]): string[] {
  const missing: { reference: string; reason: string }[] = [];
  const values = pairs.map(([flag, name]) => {
    if (name === undefined || name === '') throw new UsageError(`${flag} NAME is required (the variable that holds the secret)`);
    if (!ENV_NAME.test(name))
      throw new UsageError(
        `${flag} takes the NAME of an environment variable (letters, digits and _), not the secret itself; what was given is not shown`,
      );
    const value = process.env[name];
    if (value === undefined || value === '') {
      const state = value === undefined ? 'not set' : 'empty';
      // A lower-case or mixed word that names no variable is most likely the secret typed in its place.
      if (!CONVENTIONAL_ENV_NAME.test(name))
        throw new UsageError(
          `the environment variable named by ${flag} is ${state} (name not shown: it does not look like a variable name; if it is the secret itself, put it in a variable instead)`,
        );
      missing.push({ reference: `env:${name}`, reason: `environment variable ${name} (${flag}) is ${state}` });
    }
    return value ?? '';
  });
  if (missing.length === 1) throw new SecretUnavailableError(missing[0]!.reference, missing[0]!.reason);
  if (missing.length > 1)
    throw new SecretUnavailableError(missing.map((m) => m.reference).join(', '), missing.map((m) => m.reason).join('; '));
  return values;
}

/** A file an option names, read whole; an error says which option and why (missing, unreadable, a directory). */
export async function readInputFile(flag: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a directory, not a file'
          : code === 'EACCES'
            ? 'permission denied'
            : `cannot read it (${code ?? 'error'})`;
    throw new UsageError(`${flag} ${path}: ${why}`);
  }
}

/** A JSON input file (`--input FILE`), parsed; the parser's own message is not shown (it quotes the file, which may hold an IIN). */
export async function readJsonInput(flag: string, path: string): Promise<unknown> {
  const text = (await readInputFile(flag, path)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError(`${flag} ${path}: not valid JSON (\`jq . ${path}\` shows where)`);
  }
}
