// mptTokenKeeper: the IS MPT token of one participant on one stand, shared by every caller
// (id: workflowIds.tokenKeeper). Each refresh is a full mptSignIn (a new challenge, signed), run as
// a child bounded by signInTimeout. The engine (token-keeper.ts) does the rest.
import { continueAsNew, executeChild, patched, workflowInfo } from '@temporalio/workflow';
import type { MptSignInResult } from '../ismpt/mpt-sign-in.contract.js';
import {
  MPT_TOKEN_KEEPER,
  MptTokenKeeperInputSchema,
  keeperInputSchemasBeforeRules,
  type KeeperStatus,
  type MptTokenGrant,
  type MptTokenKeeperInput,
} from './token-keeper.contract.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { mptSignIn } from '../ismpt/mpt-sign-in.workflow.js';
import { KEEPER_RULES_PATCH, runKeeper, type KeeperCarried } from './token-keeper.js';
import { validateInput } from '../runtime/validate-input.js';

/** Past a person's deadline the sign-in fails by itself; this bounds what is left (the exchange). */
const PERSON_SIGN_IN_MARGIN_MS = 5 * 60_000;

export async function mptTokenKeeper(rawInput: MptTokenKeeperInput, carried?: KeeperCarried<MptSignInResult>): Promise<KeeperStatus> {
  const schema = patched(KEEPER_RULES_PATCH) ? MptTokenKeeperInputSchema : keeperInputSchemasBeforeRules.mpt;
  const input = validateInput(schema, rawInput, MPT_TOKEN_KEEPER);
  const keeperId = workflowInfo().workflowId;
  const signer = input.signIn.signer;
  // A person's sign-in lasts until they sign or its deadline passes: the child is bounded by that, not signInTimeout.
  const signInBound = signer.kind === 'person' ? signer.deadline + PERSON_SIGN_IN_MARGIN_MS : input.keeper.signInTimeout;
  return runKeeper<MptSignInResult, MptTokenGrant>(
    {
      flow: MPT_TOKEN_KEEPER,
      provider: 'ismpt',
      options: input.keeper,
      ...(signer.kind === 'person' ? { person: { role: signer.role } } : {}),
      obtain: async (_held, seq) => {
        const r = await executeChild(mptSignIn, {
          workflowId: workflowIds.tokenKeeperSignIn(keeperId, seq),
          args: [rawInput.signIn],
          workflowExecutionTimeout: signInBound,
        });
        return { value: r, expiresAt: r.expiresAt, obtainedAt: r.obtainedAt, signIn: true };
      },
      secretOf: (r) => r.token,
      grant: (h) => ({ token: h.value.token, expiresAt: h.value.expiresAt, obtainedAt: h.value.obtainedAt, tokenSha256: h.sha256 }),
      continueAsNew: (next) => continueAsNew<typeof mptTokenKeeper>(rawInput, next),
    },
    carried,
  );
}
