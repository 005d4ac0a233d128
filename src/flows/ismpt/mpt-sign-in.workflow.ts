// mptSignIn: IS MPT (Kazakhstan) API token by signing a challenge.
//   GET /auth/key → sign the challenge as attached CMS → POST /auth/simpleSignIn → token
// The signer is a PKCS#12 file on the worker, or a person who signs in NCALayer on the signing page
// while the flow waits (person-signing/person-signature.ts: link, reminders, deadline, checks).
// When the stand rejects the challenge as unknown/expired/used, a new one is fetched and signed,
// at most `maxChallengeAttempts` times. Other failures end the flow (after the activity's retries).
import { ApplicationFailure, CancellationScope, allHandlersFinished, condition } from '@temporalio/workflow';
import {
  type MptSignInInput,
  type MptSignInParsedInput,
  type MptSignInResult,
  type MptStep,
  mptSignInContract,
} from './mpt-sign-in.contract.js';
import { FailureType } from '../../common/errors.js';
import { rootApplicationFailure, runFlow, type FlowTracker } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';
import { PersonSignatureRequest } from '../person-signing/person-signature.js';

const { mptFetchChallenge, mptSignChallenge, mptExchangeToken } = activities;

export async function mptSignIn(rawInput: MptSignInInput): Promise<MptSignInResult> {
  return runFlow(mptSignInContract, rawInput, (input, tracker) =>
    input.signer.kind === 'person' ? signInWithPerson(input, input.signer, tracker) : signInWithKeyFile(input, tracker),
  );
}

async function signInWithKeyFile(input: MptSignInParsedInput, tracker: FlowTracker<MptStep>): Promise<MptSignInResult> {
  if (input.signer.kind !== 'pkcs12') throw new Error('unreachable');
  const signer = input.signer;
  for (let attempt = 1; ; attempt++) {
    tracker.step('fetching_challenge', attempt);
    const challenge = await mptFetchChallenge({ baseUrl: input.baseUrl });

    tracker.step('signing');
    const { signedData } = await mptSignChallenge({ signer, challenge: challenge.data });

    tracker.step('exchanging');
    const token = await exchangeOrRetry(input, challenge.uuid, signedData, attempt);
    if (token) {
      tracker.succeeded('done');
      return token;
    }
    // The challenge went stale between fetching and exchanging: start over with a new one.
  }
}

async function signInWithPerson(
  input: MptSignInParsedInput,
  signer: Extract<MptSignInParsedInput['signer'], { kind: 'person' }>,
  tracker: FlowTracker<MptStep>,
): Promise<MptSignInResult> {
  let attempt = 1;
  tracker.step('fetching_challenge', attempt);
  const request = new PersonSignatureRequest({
    signer,
    service: 'IS MPT (Kazakhstan goods marking)',
    purpose: 'sign in to IS MPT as the participant: the signature of this request is exchanged for an API token',
    fetchChallenge: async () => {
      const c = await mptFetchChallenge({ baseUrl: input.baseUrl });
      return { id: c.uuid, data: c.data };
    },
    onWaiting: () => tracker.step('waiting_for_signature', attempt),
    tracker: tracker as FlowTracker<string>,
  });
  try {
    for (; ; attempt++) {
      const signed = await request.signature();
      tracker.step('exchanging', attempt);
      const token = await exchangeOrRetry(input, signed.challenge.id, signed.cms, attempt);
      if (token) {
        await request.done();
        tracker.succeeded('done');
        return token;
      }
      await request.renew('IS MPT refused the challenge as unknown, expired or used');
    }
  } catch (err) {
    // Deadline, cancellation, a provider failure: links are refused from now on, and a check under
    // way finishes (its page gets an answer) before the flow ends.
    request.end();
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    throw err;
  }
}

/** The token, or undefined when IS MPT refused the challenge and another attempt is allowed. */
async function exchangeOrRetry(
  input: MptSignInParsedInput,
  uuid: string,
  signedData: string,
  attempt: number,
): Promise<MptSignInResult | undefined> {
  try {
    const token = await mptExchangeToken({
      baseUrl: input.baseUrl,
      uuid,
      signedData,
      defaultTokenTtlSeconds: input.defaultTokenTtlSeconds,
      challengeRejectedCodes: input.challengeRejectedCodes,
    });
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
    return undefined;
  }
}
