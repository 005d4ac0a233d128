// The `token` group: a valid token from the participant's keeper (client/token-keepers.ts).
//   trustflow token mpt --input FILE       the mptSignIn input file → {token, expiresAt, obtainedAt, tokenSha256}
//   trustflow token kontur --input FILE    the konturSignIn input file → {sid, expiresAt, obtainedAt, tokenSha256}
//   trustflow token status mpt|kontur --input FILE   the keeper's status (no secret)
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../common/errors.js';
import { KEEPER_STATUS_QUERY, type KeeperStatus } from '../../contracts/token-keeper.js';
import { getKonturSession, getMptToken, tokenKeeperId } from '../token-keepers.js';
import { UsageError, withClient, type Commands } from './shared.js';

async function readInput(args: string[], what: string): Promise<{ input: unknown; rest: string[] }> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { input: { type: 'string' } } });
  if (!values.input) throw new UsageError(`${what} needs --input FILE (the sign-in flow's JSON input)`);
  try {
    return { input: JSON.parse(await readFile(values.input, 'utf8')), rest: positionals };
  } catch (err) {
    if (err instanceof SyntaxError)
      throw new InvalidInputError(`--input ${values.input}: not valid JSON (\`jq . ${values.input}\` shows where)`);
    throw new InvalidInputError(`--input ${values.input}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

async function mpt(args: string[]): Promise<number> {
  const { input } = await readInput(args, 'token mpt');
  console.log(JSON.stringify(await withClient((c) => getMptToken(c, { input: input as never })), null, 2));
  return 0;
}

async function kontur(args: string[]): Promise<number> {
  const { input } = await readInput(args, 'token kontur');
  console.log(JSON.stringify(await withClient((c) => getKonturSession(c, { input: input as never })), null, 2));
  return 0;
}

async function status(args: string[]): Promise<number> {
  const { input, rest } = await readInput(args, 'token status');
  const provider = rest[0];
  if (provider !== 'mpt' && provider !== 'kontur') throw new UsageError('token status needs mpt or kontur');
  const id = tokenKeeperId(provider, input as never);
  const s = await withClient((c) => c.workflow.getHandle(id).query<KeeperStatus>(KEEPER_STATUS_QUERY));
  console.log(JSON.stringify({ workflowId: id, ...s }, null, 2));
  return 0;
}

/** `trustflow token <name> ...` */
export const commands: Commands = { mpt, kontur, status };
