// The `trustflow` command line: dispatch, help, and the exit codes (0 done, 1 failed, 2 wrong
// usage). The commands live in their group's module, each declared once (command.ts): its options
// give the parsing, `--help` and the usage line.
//   flows.ts        run, status, kpsis submit-cert
//   cms.ts          cms sign|verify|decrypt
//   cert.ts         cert verify
//   key.ts          key inspect|export
//   kisc.ts         kisc news|transactions|act
//   kontur.ts       kontur refresh
//   credentials.ts  credentials apply|scan|list|ack|test-alert
//   token.ts        token ismpt|kontur|status|end|reset
//   signing-server.ts  signing-server (the signing page's HTTP server)
//   signing-link.ts    signing-link (a fresh link for a flow that waits for a person)
//   schema.ts          schema (the contract for callers in other languages: JSON Schemas, contract.json)
// Adding a command: one entry in its group's `commands` table.
import { WorkflowFailedError } from '@temporalio/client';
import { closestName } from '../../common/closest-name.js';
import { TrustflowError } from '../../common/errors.js';
import { CmsDecryptError } from '../../crypto/cms/decrypt.js';
import * as cert from './cert.js';
import * as cms from './cms.js';
import {
  commandHelp,
  parseCommandArgs,
  UsageError,
  usageLine,
  wantsHelp,
  wrap,
  type CommandDefinition,
  type CommandSpec,
  type OptionSpecs,
} from './command.js';
import * as credentials from './credentials.js';
import * as flowCommands from './flows.js';
import { exitQuietlyOnClosedPipe, flushStdio } from './io.js';
import * as key from './key.js';
import * as kisc from './kisc.js';
import * as kontur from './kontur.js';
import type { Commands } from './shared.js';
import * as schema from './schema.js';
import * as signingLink from './signing-link.js';
import * as signingServer from './signing-server.js';
import * as token from './token.js';

export { UsageError };

interface Group {
  summary: string;
  commands: Commands;
}

/** The first word: a command (`run`, `status`), or a group whose second word names its command. */
const table: Readonly<Record<string, CommandDefinition<OptionSpecs> | Group>> = {
  run: flowCommands.commands.run!,
  status: flowCommands.commands.status!,
  credentials: { summary: 'the credential inventory: watches, expiry alerts, renewals', commands: credentials.commands },
  token: { summary: 'IS MPT tokens and Kontur sessions from their long-lived keepers', commands: token.commands },
  cms: { summary: 'CMS (PKCS#7) sign, verify, decrypt: local tools, no Temporal', commands: cms.commands },
  cert: { summary: 'X.509 certificates: local tools, no Temporal', commands: cert.commands },
  key: { summary: 'key stores: inspect them, export a key out of CryptoPro (local tools, no Temporal)', commands: key.commands },
  kisc: { summary: 'KISC identity exchange, called directly over mutual TLS', commands: kisc.commands },
  kpsis: { summary: 'KPSIS (Belarus) certificate issuance', commands: flowCommands.kpsisCommands },
  kontur: { summary: 'Kontur (Russia) sessions, called directly', commands: kontur.commands },
  'signing-server': signingServer.commands['signing-server']!,
  'signing-link': signingLink.commands['signing-link']!,
  schema: schema.commands.schema!,
};

const isGroup = (e: CommandDefinition<OptionSpecs> | Group): e is Group => 'commands' in e;

/** Own entries only: `trustflow toString` is an unknown command, not Object.prototype's. */
function lookup<T>(t: Readonly<Record<string, T>>, name: string | undefined): T | undefined {
  return name !== undefined && Object.hasOwn(t, name) ? t[name] : undefined;
}

function specOf(path: string, d: CommandDefinition<OptionSpecs>): CommandSpec {
  return { ...(d as unknown as CommandSpec), path };
}

/** Every command with its path, in the order of the table. */
export function allCommands(): CommandSpec[] {
  return Object.entries(table).flatMap(([word, e]) =>
    isGroup(e) ? Object.entries(e.commands).map(([name, d]) => specOf(`${word} ${name}`, d)) : [specOf(word, e)],
  );
}

export function overview(): string {
  const rows = allCommands().map((c) => [c.path, c.summary] as const);
  const width = Math.max(...rows.map(([p]) => p.length));
  return [
    'usage: trustflow <command> [options]     (trustflow <command> --help for its options)',
    '',
    ...rows.flatMap(([p, s]) => wrap(`  ${p.padEnd(width)}  ${s}`, ' '.repeat(width + 4))),
    '',
    'Exit codes: 0 done, 1 failed (the reason on stderr), 2 wrong usage.',
    'Temporal: TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default),',
    '  TRUSTFLOW_TASK_QUEUE (trustflow); codec keys: TRUSTFLOW_CODEC_KEYS or TRUSTFLOW_CODEC_KEY_FILE.',
    'Documentation: README.md and docs/.',
  ].join('\n');
}

function groupHelp(word: string, g: Group): string {
  const rows = Object.entries(g.commands).map(([name, d]) => [`trustflow ${word} ${name}`, d.summary] as const);
  const width = Math.max(...rows.map(([p]) => p.length));
  return [
    `trustflow ${word}: ${g.summary}`,
    '',
    ...rows.flatMap(([p, s]) => wrap(`  ${p.padEnd(width)}  ${s}`, ' '.repeat(width + 4))),
    '',
    `trustflow ${word} <command> --help for its options`,
  ].join('\n');
}

/** Runs the command `argv` names and returns its exit code; wrong usage throws UsageError. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest.length > 0) return main([...rest, '--help']);
    console.log(overview());
    return 0;
  }
  const entry = lookup(table, first);
  if (entry === undefined) {
    const near = closestName(
      first,
      allCommands()
        .map((c) => c.path.split(' ')[0]!)
        .filter((w, i, a) => a.indexOf(w) === i),
    );
    throw new UsageError(`unknown command '${first}'${near ? `; did you mean '${near}'?` : ''}`);
  }
  let spec: CommandSpec;
  let args: string[];
  if (isGroup(entry)) {
    const [name, ...more] = rest;
    if (name === undefined || name === '--help' || name === '-h') {
      if (name === undefined) throw new UsageError(`trustflow ${first} needs a command`, groupHelp(first, entry));
      console.log(groupHelp(first, entry));
      return 0;
    }
    const d = lookup(entry.commands, name);
    if (!d) {
      const near = closestName(name, Object.keys(entry.commands));
      throw new UsageError(
        `unknown ${first} command '${name}'${near ? `; did you mean '${first} ${near}'?` : ''}`,
        groupHelp(first, entry),
      );
    }
    spec = specOf(`${first} ${name}`, d);
    args = more;
  } else {
    spec = specOf(first, entry);
    args = rest;
  }
  if (wantsHelp(args)) {
    console.log(commandHelp(spec));
    return 0;
  }
  try {
    const { values, positionals } = parseCommandArgs(spec, args);
    const needed = spec.positionals?.required ?? 0;
    if (positionals.length < needed)
      throw new UsageError(`trustflow ${spec.path} needs ${spec.positionals!.names.slice(0, needed).join(' ')}`);
    return await spec.run(values as never, positionals);
  } catch (err) {
    if (err instanceof UsageError) err.command ??= spec;
    throw err;
  }
}

/** The process: runs `main`, reports what went wrong on stderr, flushes, and exits 0, 1 or 2 (wrong usage). */
export function runCli(argv: string[]): void {
  let code = 1;
  exitQuietlyOnClosedPipe(() => code);
  const exit = (c: number) => {
    code = c;
    // Never process.exit with output still queued for a pipe: it would be cut off.
    void flushStdio().then(() => process.exit(code));
  };
  main(argv).then(exit, (err) => {
    if (err instanceof UsageError) {
      const usage =
        err.usage ??
        (err.command
          ? `${wrap(`usage: ${usageLine(err.command)}`, '         ').join('\n')}\n(trustflow ${err.command.path} --help for details)`
          : 'trustflow --help lists the commands');
      console.error(`trustflow: ${err.message}\n${usage}`);
    } else console.error(`trustflow: ${describeError(err)}`);
    exit(err instanceof UsageError ? 2 : 1);
  });
}

/** One line for what ended a command: trustflow's own errors as they are, Temporal's with their cause. */
export function describeError(err: unknown): string {
  if (err instanceof TrustflowError || err instanceof CmsDecryptError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  if (/Unknown encoding: binary\/encrypted/.test(message))
    return (
      'the result is encrypted and this shell has no codec keys: set TRUSTFLOW_CODEC_KEYS or ' +
      "TRUSTFLOW_CODEC_KEY_FILE to the workers' keyring (npm start's development keyring is .trustflow/codec-keys)"
    );
  if (err instanceof WorkflowFailedError) {
    const cause = (err.cause?.cause ?? err.cause) as (Error & { type?: string }) | undefined;
    return `workflow failed: ${cause?.type ? `${cause.type}: ` : ''}${cause?.message ?? message}`;
  }
  return message;
}
