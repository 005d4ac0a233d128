// What every command group shares with the dispatcher in main.ts. Kept apart from main.ts so the
// group modules do not import main.ts (which imports them): no import cycle.

/** Wrong or missing arguments: main.ts prints the message and the usage text, and exits with 2. */
export class UsageError extends Error {}

/** One command: its arguments (after the command's own words) in, the exit code out. */
export type Command = (args: string[]) => Promise<number>;

/** A command group's table, `{ name: handler }`: adding a command is one entry here. */
export type Commands = Readonly<Record<string, Command>>;
