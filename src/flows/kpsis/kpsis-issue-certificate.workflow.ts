// kpsisIssueCertificate: key + threshold shards + PKCS#10 from KPSIS, then the durable wait for the
// national CA (NCES), which issues the certificate days later through its support desk.
//   validate → resolve the holders' password references → generate (once) → wait for the Update
//   submitIssuedCertificate(certificatePem), reminding every `reminderEvery`, giving up after
//   `giveUpAfter` (outcome timed_out) → store the certificate beside the artifacts.
// The Update's validator refuses a certificate for another key (the raw SubjectPublicKeyInfo must
// equal the request's), or one not valid now; the flow then keeps waiting and the caller gets why.
import { ApplicationFailure, ActivityFailure, condition, log, setHandler, sleep, TimeoutFailure, workflowInfo } from '@temporalio/workflow';
import { defineUpdate } from '@temporalio/workflow';
import {
  KpsisIssueCertificateInputSchema,
  SUBMIT_ISSUED_CERTIFICATE,
  type KpsisIssueCertificateInput,
  type KpsisIssueCertificateResult,
  type KpsisStep,
  type SubmitIssuedCertificateResult,
  kpsisIssueCertificateContract,
} from './kpsis-issue-certificate.contract.js';
import { FailureType } from '../../common/errors.js';
import { workflowWaits } from '../../common/policies.js';
import { certificateFacts } from '../../common/x509-der.js';
import { rootApplicationFailure, runFlow, type FlowTracker } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';

const { kpsisCheckPasswords, kpsisGenerate, kpsisNotifyPending, kpsisStoreCertificate } = activities;

export const submitIssuedCertificate = defineUpdate<SubmitIssuedCertificateResult, [string]>(SUBMIT_ISSUED_CERTIFICATE);

/** How often to try an unreachable KPSIS service before giving up (nothing is generated meanwhile). */
const { attempts: UNREACHABLE_ATTEMPTS, maxPauseMs } = workflowWaits.kpsisUnreachable;

export async function kpsisIssueCertificate(rawInput: KpsisIssueCertificateInput): Promise<KpsisIssueCertificateResult> {
  return runFlow(kpsisIssueCertificateContract, rawInput, async (input, tracker) => {
    tracker.step('checking_passwords');
    await kpsisCheckPasswords({ passwords: input.keyParam.passwords });

    tracker.step('generating');
    const generated = await generateOnce(input, tracker);
    const requestedAt = new Date();
    const base: KpsisIssueCertificateResult = {
      outcome: 'timed_out',
      request: generated.request,
      artifacts: generated.artifacts,
      requestedAt: requestedAt.toISOString(),
    };

    tracker.step('waiting_for_ca');
    tracker.note(
      `waiting for CA since ${requestedAt.toISOString()}: submit the certificate with \`trustflow kpsis submit-cert --workflow-id ${workflowInfo().workflowId} --cert FILE\``,
    );
    let accepted: string | undefined;
    let stored: SubmitIssuedCertificateResult['certificate'] | undefined;
    setHandler(
      submitIssuedCertificate,
      async (pem) => {
        accepted = pem;
        await condition(() => stored !== undefined);
        return { accepted: true, certificate: stored! };
      },
      { validator: (pem) => validateCertificate(pem, generated.request.subjectPublicKeyInfo, accepted !== undefined) },
    );

    const deadline = requestedAt.getTime() + input.giveUpAfter;
    for (let reminder = 1; accepted === undefined; reminder++) {
      const left = deadline - Date.now(); // workflow time
      if (left <= 0) break;
      if (await condition(() => accepted !== undefined, Math.min(input.reminderEvery, left))) break;
      if (Date.now() >= deadline) break;
      try {
        await kpsisNotifyPending({
          workflowId: workflowInfo().workflowId,
          requestedAt: requestedAt.toISOString(),
          subject: generated.request.subject,
          requestSha256: generated.artifacts.request.sha256,
          reminder,
        });
      } catch (err) {
        // A reminder that cannot be delivered must not end a flow whose key already exists: say so, keep waiting.
        const reason = rootApplicationFailure(err)?.message ?? 'failed';
        log.warn('KPSIS reminder could not be sent; still waiting for the CA', { reminder, reason });
        tracker.warn([`reminder ${reminder} could not be sent: ${reason}`]);
      }
    }
    tracker.note(undefined);
    if (accepted === undefined) {
      tracker.succeeded('timed_out', 'timed_out');
      return base;
    }

    tracker.step('storing_certificate');
    stored = await kpsisStoreCertificate({ artifactsDir: input.artifactsDir, certificatePem: accepted });
    tracker.succeeded('done');
    return { ...base, outcome: 'issued', certificate: stored };
  });
}

async function generateOnce(input: ReturnType<typeof KpsisIssueCertificateInputSchema.parse>, tracker: FlowTracker<KpsisStep>) {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await kpsisGenerate({
        baseUrl: input.baseUrl,
        ...(input.allowPlainHttp ? { allowPlainHttp: true } : {}),
        keyParam: input.keyParam,
        certReqParam: input.certReqParam,
        saveToFile: input.saveToFile,
        artifactsDir: input.artifactsDir,
      });
      tracker.note(undefined);
      return r;
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
        throw ApplicationFailure.create({
          type: FailureType.ProviderUnavailable,
          message: `KPSIS key generation did not finish in time; it may have made a key: check the service's data folder and ${input.artifactsDir} before starting again`,
          nonRetryable: true,
        });
      }
      if (rootApplicationFailure(err)?.type !== FailureType.ServiceNotRunning || attempt >= UNREACHABLE_ATTEMPTS) throw err;
      tracker.note(`KPSIS not reachable (attempt ${attempt} of ${UNREACHABLE_ATTEMPTS}); nothing was generated; trying again`);
      await sleep(Math.min(2 ** attempt * 1000, maxPauseMs));
    }
  }
}

/** Throws (the Update is rejected, the flow keeps waiting) unless the certificate fits the request and is valid now. */
function validateCertificate(pem: string, requestSpki: string, alreadyAccepted: boolean): void {
  if (alreadyAccepted) throw new Error('a certificate was already accepted for this request');
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error('expected a PEM certificate (-----BEGIN CERTIFICATE-----)');
  let facts;
  try {
    facts = certificateFacts(pem);
  } catch (err) {
    throw new Error(`not a readable X.509 certificate (${(err as Error).message})`, { cause: err });
  }
  if (facts.subjectPublicKeyInfo !== requestSpki) {
    throw new Error(
      `the certificate's public key (${facts.publicKeyAlgorithm}) is not the key of this request: it was issued for another request`,
    );
  }
  const now = Date.now(); // workflow time
  if (Date.parse(facts.notBefore) > now) throw new Error(`the certificate is not valid before ${facts.notBefore}`);
  if (Date.parse(facts.notAfter) <= now) throw new Error(`the certificate expired on ${facts.notAfter}`);
}
