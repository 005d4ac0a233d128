// What the command groups share: a connected client, secrets named by environment variable, input
// files read with errors that say which option named them. Kept apart from main.ts so the group
// modules do not import main.ts (which imports them): no import cycle.
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { InvalidInputError } from '../../common/errors.js';
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
 * not a variable name is most likely the password typed in its place: refused without echoing it.
 */
export function secretFromEnv(flag: string, name: string | undefined): string {
  if (name === undefined || name === '') throw new UsageError(`${flag} NAME is required (the variable that holds the secret)`);
  if (!ENV_NAME.test(name))
    throw new UsageError(
      `${flag} takes the NAME of an environment variable (letters, digits and _), not the secret itself; what was given is not shown`,
    );
  const value = process.env[name];
  const shown = CONVENTIONAL_ENV_NAME.test(name)
    ? `environment variable ${name} (${flag})`
    : `the environment variable named by ${flag} (name not shown: it does not look like a variable name; if it is the secret itself, put it in a variable instead)`;
  if (value === undefined) throw new UsageError(`${shown} is not set`);
  if (value === '') throw new UsageError(`${shown} is empty`);
  return value;
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
