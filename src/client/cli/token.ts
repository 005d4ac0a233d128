// The `token` group: a valid token from the participant's keeper (client/token-keepers.ts).
import { KEEPER_STATUS_QUERY, type KeeperStatus } from '../../contracts/token-keeper.js';
import { getKonturSession, getMptToken, tokenKeeperId } from '../token-keepers.js';
import { defineCommand, required, UsageError } from './command.js';
import { progress } from './io.js';
import { readJsonInput, withClient, type Commands } from './shared.js';

const input = {
  type: 'string',
  value: 'FILE',
  help: "(required) the sign-in flow's JSON input (the same file trustflow run takes)",
} as const;

const mpt = defineCommand({
  summary: "a valid IS MPT token from the participant's keeper (started when absent)",
  options: { input },
  details: 'Prints {token, expiresAt, obtainedAt, tokenSha256} on stdout: pipe it where it is needed, never into a log.',
  async run(v) {
    const signIn = await readJsonInput('--input', required(v.input, 'input'));
    const shown = progress('token mpt: waiting for the keeper', undefined);
    const grant = await shown.around(withClient((c) => getMptToken(c, { input: signIn as never })));
    console.log(JSON.stringify(grant, null, 2));
    return 0;
  },
});

const kontur = defineCommand({
  summary: 'a valid Kontur session id from its keeper (started when absent)',
  options: { input },
  async run(v) {
    const signIn = await readJsonInput('--input', required(v.input, 'input'));
    const shown = progress('token kontur: waiting for the keeper', undefined);
    const grant = await shown.around(withClient((c) => getKonturSession(c, { input: signIn as never })));
    console.log(JSON.stringify(grant, null, 2));
    return 0;
  },
});

const PROVIDER = { names: ['mpt|kontur'], required: 1 };

function provider(word: string | undefined): 'mpt' | 'kontur' {
  if (word === 'mpt' || word === 'kontur') return word;
  throw new UsageError(`name the keeper's provider: mpt or kontur${word ? `, not '${word}'` : ''}`);
}

const status = defineCommand({
  summary: "the keeper's state: expiry, refreshes, last error (never the token)",
  positionals: PROVIDER,
  options: { input },
  async run(v, [word]) {
    const p = provider(word);
    const signIn = await readJsonInput('--input', required(v.input, 'input'));
    const id = tokenKeeperId(p, signIn as never);
    const s = await withClient((c) => c.workflow.getHandle(id).query<KeeperStatus>(KEEPER_STATUS_QUERY));
    console.log(JSON.stringify({ workflowId: id, ...s }, null, 2));
    return 0;
  },
});

/** `trustflow token <name> ...` */
export const commands: Commands = { mpt, kontur, status };
