// The contract between a flow that waits for a person's signature and the signing page
// (src/signing-page/, served by `trustflow signing-server`): the query the page reads and the Update it submits the CMS through. Pure:
// imported by workflows, activities, the signing server and tests.
//
// Privacy: the view carries the IIN's last four digits only; the CMS travels as the Update's argument,
// which the payload codec encrypts like every input; the link token never reaches a workflow.

/** Query: what the page shows. Answered by every flow that waits for a person (mptSignIn with signer.kind 'person'). */
export const PERSON_SIGNING_QUERY = 'personSigning';
/** Update: the person's CMS. Checked in an activity before it is accepted. */
export const SUBMIT_PERSON_SIGNATURE = 'submitPersonSignature';

/** Failure type of a refused submission (the Update fails; the flow keeps waiting). */
export const PERSON_SIGNATURE_REFUSED = 'PersonSignatureRefused';

export type PersonSigningState =
  /** Waiting for the person: the page may sign `challenge`. */
  | 'waiting'
  /** A submitted signature is being checked. */
  | 'checking'
  /** A signature was accepted: the link is used up. */
  | 'signed'
  /** The deadline passed: nothing was sent to the provider. */
  | 'expired'
  /** The flow was cancelled or failed. */
  | 'ended';

export interface PersonSigningView {
  /** Random per signing request (the flow's deterministic uuid4): what a link names. */
  requestId: string;
  state: PersonSigningState;
  /** Who is asked (a role, never a name). */
  role: string;
  /** The service asking, e.g. 'IS MPT (Kazakhstan goods marking)'. */
  service: string;
  /** What the signature is for, one sentence. */
  purpose: string;
  /** ISO 8601: when the request was opened. */
  requestedAt: string;
  /** ISO 8601: past this the flow fails and the link is dead. */
  deadline: string;
  /** The data to sign now. Replaced (new id) when the provider's challenge expired. */
  challenge: {
    id: string;
    /** base64 of the exact bytes to sign (attached CMS). */
    dataBase64: string;
    /** SHA-256 (hex) of those bytes: what the page shows as "the hash of the data". */
    sha256: string;
    issuedAt: string;
    /** How many challenges were replaced before this one. */
    replaced: number;
  } | null;
  /** What the signature must satisfy (IIN: the last four digits only). */
  expected: {
    iinLast4: string | null;
    bin: string | null;
    extKeyUsage: string[];
    allowedStorages: string[] | null;
    /** NCALayer may offer keys of NCA RK's test CA (the input's ncaTestKeys). */
    testKeys: boolean;
  };
  locale: 'ru' | 'kk' | 'en';
  /** The last refused submission, for the page to explain. */
  lastRefusal: { reason: PersonSignatureRefusal; message: string; at: string } | null;
}

export interface SubmitPersonSignatureRequest {
  requestId: string;
  /** The challenge the page signed: a replaced one is refused ('challenge-replaced'), the page signs again. */
  challengeId: string;
  /** base64 CMS SignedData from NCALayer. */
  cms: string;
}

export interface SubmitPersonSignatureResult {
  accepted: true;
  /** The accepted certificate, as the page may show it: serial, expiry, IIN's last four. */
  signer: { serialNumber: string; notAfter: string; iinLast4: string | null; bin: string | null };
}

/**
 * Why a submission was refused (the Update's ApplicationFailure type PERSON_SIGNATURE_REFUSED carries it
 * as details[0].reason): the signature check's reasons, then the request's.
 */
export type PersonSignatureRefusal =
  | 'unreadable'
  | 'bad-signature'
  | 'other-data'
  | 'untrusted-chain'
  | 'not-valid-at-signing-time'
  | 'wrong-signer'
  | 'missing-eku'
  | 'several-signers'
  /** The challenge was replaced (expired at the provider): sign the new one. */
  | 'challenge-replaced'
  /** A signature was accepted already: the link is used up. */
  | 'already-signed'
  /** The request is over (deadline, cancelled) or the link names another request. */
  | 'not-waiting'
  /** The CMS is larger than MAX_PERSON_CMS_BASE64_CHARS. */
  | 'too-large'
  /** MAX_REFUSED_SUBMISSIONS were refused already: the request takes no more (each one is history). */
  | 'too-many-attempts'
  /** The check itself failed (not the signature): the service's configuration; the status says what. */
  | 'check-failed';

/** Refused submissions a request takes before it refuses every further one (a link holder cannot grow its history without bound). */
export const MAX_REFUSED_SUBMISSIONS = 50;

/** A CMS from NCALayer with the certificate is a few KB; anything near this is not one. */
export const MAX_PERSON_CMS_BASE64_CHARS = 256 * 1024;
