// konturSignIn: a Kontur session (auth.sid) by proving possession of the certificate's key.
//   [refresh an existing session] → POST authenticate-by-cert → decrypt EncryptedKey + POST approve-cert
// When the random value is expired/consumed, or approve-cert's outcome is unknown, the flow starts
// again from authenticate-by-cert, at most `maxChallengeAttempts` times.
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { type KonturSignInInput, type KonturSignInResult, konturSignInContract } from './kontur-sign-in.contract.js';
import { FailureType } from '../../common/errors.js';
import { rootApplicationFailure, runFlow } from '../runtime/flow-status.js';
import type { KonturSession } from './activities.js';
import { activities } from '../activity-proxies.js';

const { konturAuthenticate, konturDecryptAndApprove, konturRefreshSession } = activities;

export async function konturSignIn(rawInput: KonturSignInInput): Promise<KonturSignInResult> {
  return runFlow(konturSignInContract, rawInput, async (input, tracker) => {
    const endpoint = { baseUrl: input.baseUrl, apiVersion: input.apiVersion, apiKey: input.apiKey };
    const result = (s: KonturSession): KonturSignInResult => ({
      sid: s.sid,
      refreshToken: s.refreshToken,
      obtainedAt: s.obtainedAt,
      expiresAt: new Date(Date.parse(s.obtainedAt) + input.sessionTtlSeconds * 1000).toISOString(),
    });

    if (input.session) {
      tracker.step('refreshing');
      try {
        const refreshed = await konturRefreshSession({ ...endpoint, session: input.session });
        tracker.succeeded('done');
        return result(refreshed);
      } catch {
        // The old pair may be spent either way; a full certificate sign-in is always possible.
      }
    }

    for (let attempt = 1; ; attempt++) {
      tracker.step('authenticating', attempt);
      const challenge = await konturAuthenticate({ ...endpoint, free: input.free, key: input.key });
      tracker.step('approving');
      try {
        const session = await konturDecryptAndApprove({ ...endpoint, key: input.key, ...challenge });
        tracker.succeeded('done');
        return result(session);
      } catch (err) {
        const restart =
          rootApplicationFailure(err)?.type === FailureType.ChallengeRejected ||
          (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure);
        if (!restart) throw err;
        if (attempt >= input.maxChallengeAttempts) {
          throw ApplicationFailure.create({
            type: FailureType.ChallengeAttemptsExhausted,
            message: `Kontur sign-in started over ${attempt} times without a session; last: ${rootApplicationFailure(err)?.message ?? 'approve-cert timed out'}`,
            nonRetryable: true,
          });
        }
      }
    }
  });
}
