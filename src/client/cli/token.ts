// The `token` group: a valid token from the participant's keeper, its status, and ending or
// replacing a keeper (client/token-keepers.ts).
import { KEEPER_STATUS_QUERY, type KeeperStatus } from '../../flows/keepers/token-keeper.contract.js';
import { endTokenKeeper, getKonturSession, getMptToken, resetTokenKeeper, tokenKeeperId } from '../token-keepers.js';
import { checkRunningWorkflow } from '../running-workflow.js';
import { defineCommand, required, UsageError } from './command.js';
import { progress } from './io.js';
import { readJsonInput, withClient, type Commands } from './shared.js';

const input = {
  type: 'string',
  value: 'FILE',
  help: "(required) the sign-in flow's JSON input (the same file trustflow run takes)",
} as const;

const ismpt = defineCommand({
  summary: "a valid IS MPT token from the participant's keeper (started when absent)",
  options: { input },
  details: 'Prints {token, expiresAt, obtainedAt, tokenSha256} on stdout: pipe it where it is needed, never into a log.',
  async run(v) {
    const signIn = await readJsonInput('--input', required(v.input, 'input'));
    const shown = progress('token ismpt: waiting for the keeper', undefined);
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

const PROVIDER = { names: ['ismpt|kontur'], required: 1 };

function provider(word: string | undefined): 'ismpt' | 'kontur' {
  if (word === 'ismpt' || word === 'kontur') return word;
  if (word === 'mpt') throw new UsageError("the IS MPT keeper's provider is named ismpt (as everywhere in trustflow), not mpt");
  throw new UsageError(`name the keeper's provider: ismpt or kontur${word ? `, not '${word}'` : ''}`);
}

const status = defineCommand({
  summary: "the keeper's state: expiry, refreshes, last error (never the token)",
  positionals: PROVIDER,
  options: { input },
  async run(v, [word]) {
    const p = provider(word);
    const signIn = await readJsonInput('--input', required(v.input, 'input'));
    const id = tokenKeeperId(p, signIn as never);
    const s = await withClient(async (c) => {
      const keeper = await checkRunningWorkflow(c, id);
      if (!keeper.running) {
        const d = keeper.description;
        throw new Error(`no keeper runs for this participant (${id}${d ? `: its last one is ${d.status.name.toLowerCase()}` : ''})`);
      }
      // A query waits for a worker: without one on the keeper's queue, say so instead of hanging.
      const { handle, description: d, workerProblem: problem } = keeper;
      if (problem !== undefined)
        throw new Error(
          `keeper ${id} runs on task queue '${d.taskQueue}', where ${problem}: start a worker there, or end it (trustflow token end ${p} --input FILE)`,
        );
      return { taskQueue: d.taskQueue, ...(await handle.query<KeeperStatus>(KEEPER_STATUS_QUERY)) };
    });
    console.log(JSON.stringify({ workflowId: id, ...s }, null, 2));
    return 0;
  },
});

const reason = { type: 'string', value: 'TEXT', help: "why (at most 200 characters; in the keeper's history)" } as const;

const end = defineCommand({
  summary: "end the participant's keeper now (its waiting callers are told KeeperEnded)",
  positionals: PROVIDER,
  options: { input, reason },
  details: `The input names the participant (baseUrl and the signer or key path); the rest of it may differ from
the keeper's. Ended through the keeper's end Update (a sign-in under way is cancelled); terminated
instead when no worker polls its task queue. Prints {workflowId, outcome: ended|terminated|none, ...}.`,
  async run(v, [word]) {
    const p = provider(word);
    const signIn = await readJsonInput('--input', required(v.input, 'input'));
    const r = await withClient((c) => endTokenKeeper(c, p, signIn as never, v.reason !== undefined ? { reason: v.reason } : {}));
    console.log(JSON.stringify(r, null, 2));
    return 0;
  },
});

const reset = defineCommand({
  summary: "replace the participant's keeper with one running this input (e.g. after fixing a password)",
  positionals: PROVIDER,
  options: { input, reason },
  details: `Checks the new input and that a worker polls the queue first (nothing is ended otherwise), ends the
running keeper, and asks the new one for a token: prints {ended, grant}, the grant as token ismpt|kontur
prints it (pipe it where it is needed, never into a log).`,
  async run(v, [word]) {
    const p = provider(word);
    const signIn = await readJsonInput('--input', required(v.input, 'input'));
    const o = { input: signIn as never, ...(v.reason !== undefined ? { reason: v.reason } : {}) };
    const shown = progress(`token reset ${p}: replacing the keeper`, undefined);
    const r = await shown.around(
      withClient<unknown>((c) => (p === 'ismpt' ? resetTokenKeeper(c, 'ismpt', o) : resetTokenKeeper(c, 'kontur', o))),
    );
    console.log(JSON.stringify(r, null, 2));
    return 0;
  },
});

/** `trustflow token <name> ...` */
export const commands: Commands = { ismpt, kontur, status, end, reset };
