// Workflows for the signing backend's test (test/integration/signing-backend.test.ts): a stand-in
// for a flow that waits for a person, answering the page↔flow contract (person-signing.contract.ts)
// as the real flows do: the view as a query, the CMS as an Update refused with
// PersonSignatureRefused and details[0].reason. Not the real checks: 'good' is a good signature.
import { ApplicationFailure, condition, defineQuery, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import {
  PERSON_SIGNATURE_REFUSED,
  PERSON_SIGNING_QUERY,
  SUBMIT_PERSON_SIGNATURE,
  type PersonSignatureRefusal,
  type PersonSigningView,
  type SubmitPersonSignatureRequest,
  type SubmitPersonSignatureResult,
} from '../../src/flows/person-signing/person-signing.contract.js';

export const personSigningQuery = defineQuery<PersonSigningView>(PERSON_SIGNING_QUERY);
export const submitPersonSignature = defineUpdate<SubmitPersonSignatureResult, [SubmitPersonSignatureRequest]>(SUBMIT_PERSON_SIGNATURE);

/** How many submissions the flow checked: a repeated submission must not be checked again. */
export const checksQuery = defineQuery<number>('checks');

const refuse = (reason: PersonSignatureRefusal, message: string) =>
  ApplicationFailure.create({ type: PERSON_SIGNATURE_REFUSED, message, details: [{ reason }], nonRetryable: true });

export async function personSignerStub(o: { requestId: string; checkMs?: number }): Promise<string> {
  let state: PersonSigningView['state'] = 'waiting';
  let checks = 0;
  setHandler(personSigningQuery, () => ({
    requestId: o.requestId,
    state,
    role: 'director',
    service: 'IS MPT (Kazakhstan goods marking)',
    purpose: 'Sign in to IS MPT',
    requestedAt: '2026-03-01T09:00:00Z',
    deadline: '2026-03-02T09:00:00Z',
    challenge: { id: 'ch-2', dataBase64: 'Y2hhbGxlbmdl', sha256: '00'.repeat(32), issuedAt: '2026-03-01T09:00:00Z', replaced: 1 },
    expected: { iinLast4: '0415', bin: null, extKeyUsage: [], allowedStorages: null, testKeys: false },
    locale: 'ru',
    lastRefusal: null,
  }));
  setHandler(checksQuery, () => checks);
  setHandler(submitPersonSignature, async (req) => {
    checks++;
    if (state === 'signed') throw refuse('already-signed', 'a signature was accepted already');
    if (req.requestId !== o.requestId) throw refuse('not-waiting', 'the link names another request');
    if (req.challengeId !== 'ch-2') throw refuse('challenge-replaced', 'the challenge was replaced: sign the new one');
    if (o.checkMs) await sleep(o.checkMs);
    if (!req.cms.startsWith('good')) throw refuse('bad-signature', 'the signature does not verify');
    state = 'signed';
    return { accepted: true, signer: { serialNumber: '01ab', notAfter: '2027-01-01T00:00:00Z', iinLast4: '0415', bin: null } };
  });
  await condition(() => state === 'signed');
  return 'signed';
}

/** A running workflow that is not a person signer: no personSigning query. */
export async function notASigner(): Promise<void> {
  await condition(() => false);
}

/** Refuses without saying why: the backend must not invent a reason. */
export async function reasonlessRefuser(): Promise<void> {
  setHandler(personSigningQuery, () => ({ requestId: 'r' }) as PersonSigningView);
  setHandler(submitPersonSignature, async () => {
    throw ApplicationFailure.create({ type: PERSON_SIGNATURE_REFUSED, message: 'no reason given' });
  });
  await condition(() => false);
}

/** The check's activities, as the test worker registers them (stubCheckSignature refuses: untrusted-chain). */
export interface StubActivities {
  stubCheckSignature(cms: string): Promise<void>;
}
const { stubCheckSignature } = proxyActivities<StubActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } });

/** Refuses in the checking activity and lets its failure fail the Update (the refusal is the activity failure's cause). */
export async function refusingThroughActivity(): Promise<void> {
  setHandler(submitPersonSignature, async (req) => {
    await stubCheckSignature(req.cms);
    throw ApplicationFailure.create({ message: 'unreachable' });
  });
  await condition(() => false);
}
