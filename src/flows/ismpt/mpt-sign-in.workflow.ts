// mptSignIn: IS MPT (Kazakhstan) API token by signing a challenge.
//   GET /auth/key → sign the challenge as attached CMS → POST /auth/simpleSignIn → token
// When the stand rejects the challenge as unknown/expired/used, a new one is fetched and signed,
// at most `maxChallengeAttempts` times. Other failures end the flow (after the activity's retries).
import { ApplicationFailure } from '@temporalio/workflow';
import { type MptSignInInput, type MptSignInResult, mptSignInContract } from './mpt-sign-in.contract.js';
import { FailureType } from '../../common/errors.js';
import { rootApplicationFailure, runFlow } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';

const { mptFetchChallenge, mptSignChallenge, mptExchangeToken } = activities;

export async function mptSignIn(rawInput: MptSignInInput): Promise<MptSignInResult> {
  return runFlow(mptSignInContract, rawInput, async (input, tracker) => {
    for (let attempt = 1; ; attempt++) {
      tracker.step('fetching_challenge', attempt);
      const challenge = await mptFetchChallenge({ baseUrl: input.baseUrl });

      tracker.step('signing');
      const { signedData } = await mptSignChallenge({ signer: input.signer, challenge: challenge.data });

      tracker.step('exchanging');
      try {
        const token = await mptExchangeToken({
          baseUrl: input.baseUrl,
          uuid: challenge.uuid,
          signedData,
          defaultTokenTtlSeconds: input.defaultTokenTtlSeconds,
          challengeRejectedCodes: input.challengeRejectedCodes,
        });
        tracker.succeeded('done');
        return { token: token.token, expiresAt: token.expiresAt, obtainedAt: token.obtainedAt };
      } catch (err) {
        if (rootApplicationFailure(err)?.type !== FailureType.ChallengeRejected) throw err;
        if (attempt >= input.maxChallengeAttempts) {
          throw ApplicationFailure.create({
            type: FailureType.ChallengeAttemptsExhausted,
            message: `IS MPT rejected ${attempt} challenges in a row as unknown, expired or used; last: ${rootApplicationFailure(err)?.message}`,
            nonRetryable: true,
          });
        }
        // The challenge went stale between fetching and exchanging: start over with a new one.
      }
    }
  });
}
