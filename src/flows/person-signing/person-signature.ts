// The durable wait for a person's signature, shared by every flow with a person signer (mptSignIn
// today). One signing request per flow: a random id, a challenge to sign (replaced when it gets older
// than the provider keeps it), the link sent through the alert sink and again every `remindEvery`, and
// the `submitPersonSignature` Update, whose CMS is checked in an activity before it is accepted. A
// refused CMS leaves the flow waiting and the page told why; the deadline ends the flow with nothing
// sent to the provider. Every wait is a workflow timer or condition: restarts of the worker or the
// server lose nothing. Workflow code: deterministic.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  log,
  setCurrentDetails,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  MAX_PERSON_CMS_BASE64_CHARS,
  MAX_REFUSED_SUBMISSIONS,
  PERSON_SIGNATURE_REFUSED,
  PERSON_SIGNING_QUERY,
  SUBMIT_PERSON_SIGNATURE,
  type PersonSignatureRefusal,
  type PersonSigningState,
  type PersonSigningView,
  type SubmitPersonSignatureRequest,
  type SubmitPersonSignatureResult,
} from './person-signing.contract.js';
import type { PersonSignerSpec } from '../../contracts/person-signer-spec.js';
import { FailureType } from '../../common/errors.js';
import { base64ToBytes, bytesToBase64, bytesToHex } from '../../common/base64.js';
import { rootApplicationFailure, type FlowTracker } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';

const { personSignatureCheck, personSigningNotify, personSigningPreflight } = activities;

/** A link that could not be sent goes out again after this (or remindEvery, if shorter). */
const RESEND_AFTER_FAILURE_MS = 5 * 60_000;

export const personSigningQuery = defineQuery<PersonSigningView>(PERSON_SIGNING_QUERY);
export const submitPersonSignature = defineUpdate<SubmitPersonSignatureResult, [SubmitPersonSignatureRequest]>(SUBMIT_PERSON_SIGNATURE);

/** A challenge of the provider: its id (IS MPT's uuid) and the exact text to sign. */
export interface ProviderChallenge {
  id: string;
  data: string;
}

export interface PersonSignatureOptions {
  signer: PersonSignerSpec;
  /** Shown on the page and in the alerts, e.g. 'IS MPT (Kazakhstan goods marking)'. */
  service: string;
  purpose: string;
  /** A fresh challenge from the provider (an activity). */
  fetchChallenge: () => Promise<ProviderChallenge>;
  /** Called when the wait for the person starts (each time: after a renewal too). */
  onWaiting?: () => void;
  tracker: FlowTracker<string>;
}

export interface AcceptedSignature {
  challenge: ProviderChallenge;
  /** base64 CMS. */
  cms: string;
}

interface CurrentChallenge extends ProviderChallenge {
  dataBase64: string;
  sha256: string;
  /** Workflow time, ms. */
  issuedAt: number;
}

const refused = (reason: PersonSignatureRefusal, message: string) =>
  ApplicationFailure.create({ type: PERSON_SIGNATURE_REFUSED, message, details: [{ reason }], nonRetryable: true });

const utf8 = (text: string) => new TextEncoder().encode(text);

export class PersonSignatureRequest {
  private readonly requestId = uuid4();
  private readonly requestedAt = Date.now();
  private readonly deadline: number;
  private state: PersonSigningState = 'waiting';
  private challenge: CurrentChallenge | null = null;
  private replaced = 0;
  private checking = 0;
  private accepted: AcceptedSignature | null = null;
  private lastRefusal: PersonSigningView['lastRefusal'] = null;
  private reminders = 0;
  private refusals = 0;
  /** Workflow time the link goes out next (0: the request's own, not sent yet). */
  private nextSendAt = 0;
  private sentAny = false;
  /** A new challenge is being fetched: submissions for the old one are refused meanwhile. */
  private replacing = false;
  private checked = false;

  constructor(private readonly o: PersonSignatureOptions) {
    this.deadline = this.requestedAt + o.signer.deadline;
    setHandler(personSigningQuery, () => this.view());
    setHandler(submitPersonSignature, (req) => this.submit(req), { validator: (req) => this.validate(req) });
  }

  /**
   * Waits until a signature of the current challenge is accepted. Throws SignatureDeadlinePassed at
   * the deadline. `renew` (after the provider refused the signed challenge) asks the person again.
   */
  async signature(): Promise<AcceptedSignature> {
    const { signer } = this.o;
    if (!this.checked) {
      // Before the provider sees anything: a worker that could send no link, or a CA bundle it cannot
      // read, ends the flow now instead of after the person signed.
      await personSigningPreflight({ caBundle: signer.caBundle });
      this.checked = true;
    }
    this.accepted = null;
    this.state = 'waiting';
    if (!this.challenge || Date.now() - this.challenge.issuedAt >= signer.challengeTtl) await this.newChallenge();
    if (!this.sentAny) await this.send(0);
    this.showWaiting();
    for (;;) {
      if (this.accepted) return this.accepted;
      const now = Date.now();
      if (now >= this.deadline) {
        // A check under way when the deadline came was submitted in time: its verdict decides.
        await condition(() => this.checking === 0);
        if (this.accepted) return this.accepted;
        return this.expire();
      }
      const challengeDue = this.challenge!.issuedAt + signer.challengeTtl;
      const wake = Math.min(this.deadline, challengeDue, this.nextSendAt);
      if (await condition(() => this.accepted !== null, Math.max(1, wake - now))) continue;
      if (Date.now() >= this.deadline) continue;
      if (Date.now() >= challengeDue) {
        // Not while a check of the current one runs: its verdict names this challenge.
        await condition(() => this.checking === 0);
        if (this.accepted) continue;
        await this.newChallenge();
      }
      if (Date.now() >= this.nextSendAt) await this.send(this.sentAny ? ++this.reminders : 0);
    }
  }

  /** The provider refused the signed challenge (expired or used there): a new one, the person signs again. */
  async renew(why: string): Promise<void> {
    log.info('the provider refused the signed challenge; asking the person again', { why });
    this.lastRefusal = {
      reason: 'challenge-replaced',
      message: `The service did not accept the signed request (${why}): sign the renewed request again.`,
      at: new Date().toISOString(),
    };
    this.accepted = null;
    this.state = 'waiting';
    await this.newChallenge();
    // The page said "signed": only a new message reaches the person now.
    await this.send(++this.reminders);
  }

  /** The signature was used: the link is spent. Lets handlers finish before the flow goes on. */
  async done(): Promise<void> {
    this.state = 'signed';
    this.o.tracker.note(undefined);
    setCurrentDetails('');
    await condition(allHandlersFinished);
  }

  /** The flow ends without a signature (cancelled, failed): links are refused from now on. */
  end(): void {
    if (this.state === 'waiting') this.state = 'ended';
  }

  private async expire(): Promise<never> {
    this.state = 'expired';
    this.o.tracker.note(undefined);
    setCurrentDetails(`no signature from the ${this.o.signer.role} by ${iso(this.deadline)}: ended, nothing sent`);
    await condition(allHandlersFinished);
    throw ApplicationFailure.create({
      type: FailureType.SignatureDeadlinePassed,
      message: `no valid signature from the ${this.o.signer.role} by the deadline ${iso(this.deadline)} (requested ${iso(this.requestedAt)}, link sent ${this.reminders + 1} time(s)): nothing was sent to the provider; start the flow again to ask again`,
      nonRetryable: true,
    });
  }

  private async newChallenge(): Promise<void> {
    this.replacing = true;
    let c: ProviderChallenge;
    try {
      c = await this.o.fetchChallenge();
    } finally {
      this.replacing = false;
    }
    const bytes = utf8(c.data);
    if (this.challenge) this.replaced += 1;
    this.challenge = { ...c, dataBase64: bytesToBase64(bytes), sha256: bytesToHex(sha256(bytes)), issuedAt: Date.now() };
  }

  private async send(reminder: number): Promise<void> {
    const { signer, service, purpose } = this.o;
    // A link that could not be sent is tried again sooner than the next reminder would be.
    this.nextSendAt = Date.now() + Math.min(signer.remindEvery, RESEND_AFTER_FAILURE_MS);
    try {
      const { via } = await personSigningNotify({
        workflowId: workflowInfo().workflowId,
        requestId: this.requestId,
        reminder,
        role: signer.role,
        recipient: signer.notify?.recipient ?? null,
        labels: signer.notify?.labels ?? {},
        service,
        purpose,
        dataSha256: this.challenge!.sha256,
        requestedAt: iso(this.requestedAt),
        deadline: iso(this.deadline),
      });
      this.sentAny = true;
      this.nextSendAt = Date.now() + signer.remindEvery;
      // No webhook: the link went to no one. Say it where operators look, with the way out.
      if (via === 'log' && reminder === 0)
        this.o.tracker.warn([
          `no alert webhook on this worker: the signing link was sent to no one; send it yourself: trustflow signing-link --workflow-id ${workflowInfo().workflowId}`,
        ]);
    } catch (err) {
      const failure = rootApplicationFailure(err);
      // No signing page on this worker: nobody could ever sign; end now, before the provider sees anything.
      if (failure?.type === FailureType.SigningPageNotConfigured || (reminder === 0 && failure?.nonRetryable)) {
        this.state = 'ended';
        throw err;
      }
      // An undeliverable reminder must not end the wait: the person may still have the first link.
      const reason = failure?.message ?? 'failed';
      log.warn('signing link could not be sent; still waiting', { reminder, reason });
      this.o.tracker.warn([`signing link ${reminder === 0 ? 'request' : `reminder ${reminder}`} could not be sent: ${reason}`]);
    }
  }

  private showWaiting(): void {
    this.o.onWaiting?.();
    const text = `waiting for the ${this.o.signer.role} to sign since ${iso(this.requestedAt)} (deadline ${iso(this.deadline)})`;
    this.o.tracker.note(text);
    setCurrentDetails(text);
  }

  private view(): PersonSigningView {
    const { signer, service, purpose } = this.o;
    const c = this.challenge;
    return {
      requestId: this.requestId,
      // Accepted and being exchanged: signed, as far as the person is concerned.
      state: this.accepted && this.state === 'waiting' ? 'signed' : this.state === 'waiting' && this.checking > 0 ? 'checking' : this.state,
      role: signer.role,
      service,
      purpose,
      requestedAt: iso(this.requestedAt),
      deadline: iso(this.deadline),
      challenge: c ? { id: c.id, dataBase64: c.dataBase64, sha256: c.sha256, issuedAt: iso(c.issuedAt), replaced: this.replaced } : null,
      expected: {
        iinLast4: signer.expected.iin ? signer.expected.iin.slice(-4) : null,
        bin: signer.expected.bin ?? null,
        extKeyUsage: signer.expected.extKeyUsage ?? [],
        allowedStorages: signer.allowedStorages ?? null,
        testKeys: signer.ncaTestKeys,
      },
      locale: signer.locale,
      lastRefusal: this.lastRefusal,
    };
  }

  /** Cheap checks, no history written for what fails here: the request, its state, the challenge, the size. */
  private validate(req: SubmitPersonSignatureRequest): void {
    if (
      typeof req !== 'object' ||
      req === null ||
      typeof req.cms !== 'string' ||
      typeof req.challengeId !== 'string' ||
      typeof req.requestId !== 'string'
    )
      throw refused('unreadable', 'expected {requestId, challengeId, cms}');
    if (req.requestId !== this.requestId) throw refused('not-waiting', 'this link belongs to another signing request');
    if (this.state === 'signed' || this.accepted) throw refused('already-signed', 'this request was signed already: the link is used up');
    if (this.state !== 'waiting')
      throw refused('not-waiting', this.state === 'expired' ? 'the deadline of this request has passed' : 'this request is over');
    if (Date.now() >= this.deadline) throw refused('not-waiting', 'the deadline of this request has passed');
    if (this.refusals + this.checking >= MAX_REFUSED_SUBMISSIONS)
      throw refused('too-many-attempts', `${MAX_REFUSED_SUBMISSIONS} signatures were refused for this request: ask for a new one`);
    if (!this.challenge || req.challengeId !== this.challenge.id || this.replacing)
      throw refused('challenge-replaced', 'the request was renewed since the page loaded it: sign the new one');
    if (req.cms.length === 0) throw refused('unreadable', 'the signature is empty');
    if (req.cms.length > MAX_PERSON_CMS_BASE64_CHARS)
      throw refused('too-large', `the signature is larger than ${MAX_PERSON_CMS_BASE64_CHARS} characters: not a CMS from NCALayer`);
    try {
      base64ToBytes(req.cms);
    } catch {
      throw refused('unreadable', 'the signature is not base64');
    }
  }

  private async submit(req: SubmitPersonSignatureRequest): Promise<SubmitPersonSignatureResult> {
    const c = this.challenge!;
    const { signer } = this.o;
    this.checking += 1;
    let verdict;
    try {
      verdict = await personSignatureCheck({
        cms: req.cms,
        dataBase64: c.dataBase64,
        expected: signer.expected,
        caBundle: signer.caBundle,
        issuedAt: iso(c.issuedAt),
      });
    } catch (err) {
      // Not a verdict on the CMS: the check itself failed (a CA bundle gone since the start). Counted,
      // said in the status, and told to the page as a refusal it can explain.
      this.refusals += 1;
      const reason = rootApplicationFailure(err)?.message ?? 'the check failed';
      this.o.tracker.warn([`a signature could not be checked: ${reason}`]);
      throw refused('check-failed', 'The signature could not be checked right now (the service is misconfigured): try again later.');
    } finally {
      this.checking -= 1;
    }
    if (!verdict.ok) {
      this.refusals += 1;
      this.lastRefusal = { reason: verdict.reason, message: verdict.message, at: new Date().toISOString() };
      throw refused(verdict.reason, verdict.message);
    }
    // While this one was checked, another may have been accepted, the challenge replaced, or the wait ended.
    if (this.accepted || this.state === 'signed') throw refused('already-signed', 'this request was signed already: the link is used up');
    if (this.state !== 'waiting') throw refused('not-waiting', 'this request is over');
    if (this.challenge?.id !== req.challengeId)
      throw refused('challenge-replaced', 'the request was renewed while your signature was checked: sign the new one');
    this.accepted = { challenge: { id: c.id, data: c.data }, cms: req.cms };
    this.lastRefusal = null;
    return { accepted: true, signer: verdict.signer };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
