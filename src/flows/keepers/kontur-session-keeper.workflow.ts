// konturSessionKeeper: the Kontur session of one certificate on one stand, shared by every caller
// (id: workflowIds.tokenKeeper). A refresh spends the held pair once (sessions/refresh); when that
// fails, a full konturSignIn (authenticate-by-cert, decrypt, approve) as a child bounded by
// signInTimeout. The pair never leaves the keeper: callers get the sid.
import { ActivityFailure, continueAsNew, executeChild, log, patched, workflowInfo } from '@temporalio/workflow';
import type { KonturSignInResult } from '../kontur/kontur-sign-in.contract.js';
import {
  KONTUR_SESSION_KEEPER,
  KonturSessionKeeperInputSchema,
  keeperInputSchemasBeforeRules,
  type KeeperStatus,
  type KonturSessionGrant,
  type KonturSessionKeeperInput,
} from './token-keeper.contract.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { activities } from '../activity-proxies.js';
import { rootApplicationFailure } from '../runtime/flow-status.js';
import { konturSignIn } from '../kontur/kontur-sign-in.workflow.js';
import { KEEPER_RULES_PATCH, runKeeper, type KeeperCarried } from './token-keeper.js';
import { validateInput } from '../runtime/validate-input.js';

const { konturRefreshHeldSession } = activities;

export async function konturSessionKeeper(
  rawInput: KonturSessionKeeperInput,
  carried?: KeeperCarried<KonturSignInResult>,
): Promise<KeeperStatus> {
  const schema = patched(KEEPER_RULES_PATCH) ? KonturSessionKeeperInputSchema : keeperInputSchemasBeforeRules.kontur;
  const input = validateInput(schema, rawInput, KONTUR_SESSION_KEEPER);
  const keeperId = workflowInfo().workflowId;
  const { baseUrl, apiVersion, apiKey, sessionTtlSeconds } = input.signIn;
  const expiresAt = (obtainedAt: string) => new Date(Date.parse(obtainedAt) + sessionTtlSeconds * 1000).toISOString();
  return runKeeper<KonturSignInResult, KonturSessionGrant>(
    {
      flow: KONTUR_SESSION_KEEPER,
      provider: 'kontur',
      options: input.keeper,
      obtain: async (held, seq) => {
        if (held) {
          try {
            const s = await konturRefreshHeldSession({
              baseUrl,
              apiVersion,
              ...(apiKey ? { apiKey } : {}),
              sid: held.value.sid,
              refreshToken: held.value.refreshToken,
            });
            const value = { sid: s.sid, refreshToken: s.refreshToken, obtainedAt: s.obtainedAt, expiresAt: expiresAt(s.obtainedAt) };
            return { value, expiresAt: value.expiresAt, obtainedAt: value.obtainedAt, signIn: false };
          } catch (err) {
            if (!(err instanceof ActivityFailure)) throw err;
            // The pair is spent either way: a full sign-in.
            log.warn('Kontur refresh failed; signing in again', { reason: rootApplicationFailure(err)?.message });
          }
        }
        const r = await executeChild(konturSignIn, {
          workflowId: workflowIds.tokenKeeperSignIn(keeperId, seq),
          args: [rawInput.signIn],
          workflowExecutionTimeout: input.keeper.signInTimeout,
        });
        return { value: r, expiresAt: r.expiresAt, obtainedAt: r.obtainedAt, signIn: true };
      },
      secretOf: (r) => r.sid,
      grant: (h) => ({ sid: h.value.sid, expiresAt: h.value.expiresAt, obtainedAt: h.value.obtainedAt, tokenSha256: h.sha256 }),
      continueAsNew: (next) => continueAsNew<typeof konturSessionKeeper>(rawInput, next),
    },
    carried,
  );
}
