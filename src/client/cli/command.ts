// What a `trustflow` command is, and how its words become values: every command declares its
// options once (name, type, placeholder, one line of help), and from that one declaration come
// the argument parsing, `--help`, the usage line printed with a usage error, and "did you mean" for
// a misspelled flag. Parsing is strict: an unknown flag, a flag without its value or a stray word
// is a usage error (exit 2), never silently ignored.
import { parseArgs } from 'node:util';
import { closestName } from '../../common/closest-name.js';

/** Wrong or missing arguments: the dispatcher prints the message and the command's usage, and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose usage to print; the dispatcher fills it in when the command throws. */
  command?: CommandSpec;
  constructor(
    message: string,
    /** What to print after the message instead of the command's usage line (a group's command list). */
    readonly usage?: string,
  ) {
    super(message);
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in help (`FILE`, `NAME`): string options only. */
  value?: string;
  default?: string | boolean;
  help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed values of a command's options: strings or booleans, undefined when not given and no default. */
export type Values<O extends OptionSpecs> = {
  [K in keyof O]: O[K]['type'] extends 'boolean' ? boolean | undefined : string | undefined;
};

export interface CommandDefinition<O extends OptionSpecs> {
  /** One line: what it does (the overview and the head of `--help`). */
  summary: string;
  /** Positional words after the command, as shown in the usage line (`FILE`, `<workflowId>`), required ones first. */
  positionals?: { names: string[]; required: number };
  options: O;
  /** More lines for `--help`: details, examples, exit codes. */
  details?: string;
  run(values: Values<O>, positionals: string[]): Promise<number>;
}

/** A command as the dispatcher holds it. */
export interface CommandSpec extends CommandDefinition<OptionSpecs> {
  /** `cms sign`, `status`: set by the dispatcher's table. */
  path: string;
}

/** Declares a command; its `run` gets values typed by its options. */
export function defineCommand<O extends OptionSpecs>(d: CommandDefinition<O>): CommandDefinition<OptionSpecs> {
  return d as unknown as CommandDefinition<OptionSpecs>;
}

/** `-o table|json` (and `--output`), the same on every command whose output is data. */
export const outputOption = (dflt: 'table' | 'json' = 'table', formats: readonly string[] = ['table', 'json']) =>
  ({ type: 'string', short: 'o', value: formats.join('|'), default: dflt, help: `output format (default ${dflt})` }) as const;

/** `--wide`: tables show every column in full instead of fitting 100 columns. */
export const wideOption = { type: 'boolean', help: 'do not shorten table columns to fit 100 characters' } as const;

/** The output format asked for, refused (usage error) when it is not one the command offers. */
export function outputFormat<F extends string>(value: string | undefined, formats: readonly F[]): F {
  if (value !== undefined && (formats as readonly string[]).includes(value)) return value as F;
  throw new UsageError(`-o ${value ?? ''}: not an output format here; use one of ${formats.join(', ')}`);
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

/** True when the words ask for help (before any `--` that ends the options). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * Parses a command's words against its declared options: unknown flags get "did you mean", a flag
 * missing its value, a value given to a switch and stray words are refused.
 */
export function parseCommandArgs(spec: CommandSpec, args: string[]): { values: Record<string, unknown>; positionals: string[] } {
  const options = { ...spec.options, help: HELP };
  checkFlags(spec, options, args);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) },
        ]),
      ),
    });
  } catch (err) {
    // What checkFlags lets through and node still refuses: a value that looks like a flag, and the like.
    throw new UsageError(String((err as Error).message).split('. ')[0]!);
  }
  const max = spec.positionals?.names.length ?? 0;
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals[max]!;
    throw new UsageError(
      max === 0
        ? `'${extra}': trustflow ${spec.path} takes no positional arguments`
        : `'${extra}': unexpected; trustflow ${spec.path} takes ${spec.positionals!.names.join(' ')}`,
    );
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/** Every `--name`/`-x` must be declared; a string option needs its value, a boolean takes none. */
function checkFlags(spec: CommandSpec, options: Record<string, OptionSpec>, args: string[]): void {
  const names = Object.keys(options);
  const shorts = new Map(Object.entries(options).flatMap(([n, o]) => (o.short ? [[o.short, n] as const] : [])));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return;
    if (!a.startsWith('-') || a === '-') continue;
    let name: string | undefined;
    let inlineValue: boolean;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      inlineValue = eq !== -1;
      if (!Object.hasOwn(options, name)) {
        const near = closestName(name, names, 3);
        throw new UsageError(`unknown option '--${name}' for trustflow ${spec.path}${near ? `; did you mean --${near}?` : ''}`);
      }
    } else {
      const letter = a[1]!;
      name = shorts.get(letter);
      if (!name) throw new UsageError(`unknown option '-${letter}' for trustflow ${spec.path}`);
      inlineValue = a.length > 2;
    }
    const o = options[name]!;
    if (o.type === 'boolean' && inlineValue && a.startsWith('--'))
      throw new UsageError(`--${name} is a switch and takes no value ('${a}')`);
    if (o.type === 'string' && !inlineValue) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('-') && next.length > 1 && isDeclaredFlag(next, options, shorts)))
        throw new UsageError(`--${name} needs a value (${o.value ?? 'VALUE'})`);
      i++; // the value, whatever it looks like
    }
  }
}

function isDeclaredFlag(word: string, options: Record<string, OptionSpec>, shorts: Map<string, string>): boolean {
  if (word.startsWith('--')) return true; // '--anything' is never meant as a value here
  return shorts.has(word[1]!) || Object.hasOwn(options, word.slice(1));
}

/** `trustflow cms sign --p12 FILE ... [--detached]`: required options first, then the optional ones in brackets. */
export function usageLine(spec: CommandSpec): string {
  const words = [`trustflow ${spec.path}`];
  if (spec.positionals) spec.positionals.names.forEach((n, i) => words.push(i < spec.positionals!.required ? n : `[${n}]`));
  for (const [name, o] of Object.entries(spec.options)) {
    const dash = o.short ? `-${o.short}` : `--${name}`;
    const flag = o.type === 'boolean' ? dash : `${dash} ${o.value ?? 'VALUE'}`;
    words.push(o.help.startsWith('(required)') ? flag : `[${flag}]`);
  }
  return words.join(' ');
}

/** Help and usage text fit this many columns. */
export const HELP_WIDTH = 100;

/** Breaks a line at spaces so that no piece is wider than `width`; continuation lines get `indent`. */
export function wrap(line: string, indent = '', width = HELP_WIDTH): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    if (cut <= indent.length) break; // one long word: leave it whole
    out.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut + 1).trimStart();
  }
  out.push(rest);
  return out;
}

/** The full `--help` text of a command, no line wider than 100 columns. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [...wrap(`usage: ${usageLine(spec)}`, '         '), '', ...wrap(spec.summary)];
  const rows = Object.entries({ ...spec.options, help: HELP }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [flag, o.help.replace(/^\(required\) ?/, 'required: ')] as const;
  });
  if (rows.length) {
    const width = Math.max(...rows.map(([f]) => f.length));
    lines.push('', 'options:', ...rows.flatMap(([f, h]) => wrap(`  ${f.padEnd(width)}  ${h}`, ' '.repeat(width + 4))));
  }
  if (spec.details)
    lines.push(
      '',
      ...spec.details
        .trim()
        .split('\n')
        .flatMap((l) => wrap(l)),
    );
  return lines.join('\n');
}

/** The value of a required string option; a usage error naming it when absent or empty. */
export function required(value: string | undefined, name: string): string {
  if (value !== undefined && value !== '') return value;
  throw new UsageError(`--${name} is required`);
}
