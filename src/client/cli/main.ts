// The `trustflow` command line: argument dispatch, the usage text, and the exit codes
// (0 done, 1 failed, 2 wrong usage). The commands live in their group's module:
//   flows.ts   run, status, kpsis submit-cert
//   cms.ts     cms sign|verify|decrypt
//   cert.ts    cert verify
//   kisc.ts    kisc news|transactions|act
//   kontur.ts  kontur refresh
//   credentials.ts  credentials apply|scan|list|ack
//   token.ts   token mpt|kontur|status
// Adding a command: one entry in its group's `commands` table, and a line in USAGE.
import { WorkflowFailedError } from '@temporalio/client';
import { TrustflowError } from '../../common/errors.js';
import { CmsDecryptError } from '../../crypto/decrypt.js';
import { flows } from '../flows.js';
import * as cert from './cert.js';
import * as cms from './cms.js';
import * as credentials from './credentials.js';
import * as token from './token.js';
import * as flowCommands from './flows.js';
import * as kisc from './kisc.js';
import * as kontur from './kontur.js';
import { UsageError, type Command, type Commands } from './shared.js';

export { UsageError };

export const USAGE = `usage:
  trustflow run <flow> --input FILE [--workflow-id ID]     flows: ${Object.keys(flows).join(', ')}
  trustflow status <workflowId>
  trustflow kontur refresh --base-url URL --sid-env NAME --refresh-token-env NAME [--api-key-env NAME] [--api-version v5.9]
      (prints the new {sid, refreshToken}; the old pair becomes invalid)
  trustflow cms sign --p12 FILE --password-env NAME --in FILE --out FILE [--detached]
      (RSA or Kazakh GOST 2004 / 2015 512-bit key: the algorithm follows the key)
  trustflow cms verify --in FILE [--content FILE] [--ca FILE]
  trustflow cert verify --cert FILE --ca FILE [--at DATE]
      (signature, issuer and validity at DATE (default now); RSA, EC and Kazakh GOST; offline)
  trustflow cms decrypt --key FILE [--key-password-env NAME] --cert FILE --in FILE --out FILE [--originator FILE]
      (key: PEM PKCS#8, encrypted or not, or PKCS#12; GOST via OpenSSL + gost-engine, RSA via node-forge)
  trustflow kisc news --connection FILE
  trustflow kisc transactions --connection FILE --from YYYY-MM-DD --to YYYY-MM-DD
      (billed verifications between the two dates, inclusive, Almaty time; prints KISC's rows as JSON)
  trustflow kisc act --connection FILE --year YYYY --month M --out DIR
      (unpacks the monthly act ZIP into DIR, created when missing, and prints name, bytes and sha256 of each
      file; DIR must not already contain the act's file: nothing is ever overwritten)
  trustflow kpsis submit-cert --workflow-id ID --cert FILE
      (hands the CA's certificate (PEM) to a kpsisIssueCertificate flow waiting for it; refused, with the
      reason, when it is for another key or not valid now: the flow then keeps waiting)
  trustflow token mpt --input FILE         (a valid IS MPT token from the participant's keeper; FILE: mptSignIn's input)
  trustflow token kontur --input FILE      (a valid Kontur sid from its keeper; FILE: konturSignIn's input)
  trustflow token status mpt|kontur --input FILE   (the keeper's expiry, refreshes, last error; no secret)
  trustflow credentials apply FILE [--dry-run]
      (installs the inventory's watches and schedules; again with the same file: nothing changes)
  trustflow credentials scan [-o json]     (checks every credential now and waits)
  trustflow credentials list [-o json]     (id, kind, state, notAfter, daysLeft, nextAction)
  trustflow credentials ack ID [--note TEXT]
      (silences ID's alerts until its certificate changes)
KISC connection FILE: JSON {baseUrl, tls: {p12, password, ca}}, tls.password a reference (env:NAME or file:/path);
  other keys are ignored, so a kiscVerifyIdentity input file works as is. Called directly over mutual TLS, no Temporal.
Temporal connection: TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default), TRUSTFLOW_TASK_QUEUE (trustflow)`;

/** The first word: a command (`run`, `status`), or a group whose second word names its command. */
const commands: Readonly<Record<string, Command | Commands>> = {
  ...flowCommands.commands,
  kontur: kontur.commands,
  cms: cms.commands,
  cert: cert.commands,
  kisc: kisc.commands,
  kpsis: flowCommands.kpsisCommands,
  credentials: credentials.commands,
  token: token.commands,
};

/** Own entries only: `trustflow toString` is an unknown command, not Object.prototype's. */
function lookup<T>(table: Readonly<Record<string, T>>, name: string | undefined): T | undefined {
  return name !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Runs the command `argv` names and returns its exit code; wrong usage throws UsageError. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help') {
    console.log(USAGE);
    return 0;
  }
  const entry = lookup(commands, command);
  if (entry === undefined) throw new UsageError(`unknown command '${command}'`);
  if (typeof entry === 'function') return entry(rest);
  const handler = lookup(entry, rest[0]);
  if (handler === undefined) throw new UsageError(`unknown ${command} command '${rest[0] ?? ''}'`);
  return handler(rest.slice(1));
}

/** The process: runs `main`, reports what went wrong on stderr, and exits 0, 1 or 2 (wrong usage). */
export function runCli(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof UsageError) console.error(`trustflow: ${err.message}\n\n${USAGE}`);
      else if (err instanceof TrustflowError || err instanceof CmsDecryptError) console.error(`trustflow: ${err.message}`);
      else if (/Unknown encoding: binary\/encrypted/.test(String((err as Error)?.message))) {
        console.error(
          'trustflow: the result is encrypted and this shell has no codec keys: set TRUSTFLOW_CODEC_KEYS or ' +
            "TRUSTFLOW_CODEC_KEY_FILE to the workers' keyring (npm start's development keyring is .trustflow/codec-keys)",
        );
      } else if (err instanceof WorkflowFailedError)
        console.error(`trustflow: workflow failed: ${((err.cause?.cause ?? err.cause) as Error | undefined)?.message ?? err.message}`);
      else console.error(`trustflow: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
