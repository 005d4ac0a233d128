// What every command group shares with the dispatcher in main.ts. Kept apart from main.ts so the
// group modules do not import main.ts (which imports them): no import cycle.
import type { Client } from '@temporalio/client';
import { connectClient } from '../connection.js';

/** Wrong or missing arguments: main.ts prints the message and the usage text, and exits with 2. */
export class UsageError extends Error {}

/** One command: its arguments (after the command's own words) in, the exit code out. */
export type Command = (args: string[]) => Promise<number>;

/** A command group's table, `{ name: handler }`: adding a command is one entry here. */
export type Commands = Readonly<Record<string, Command>>;

/** Runs `fn` with a connected client and closes the connection after, whatever happens. */
export async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectClient();
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}
