// "Is this CMS the right person's signature of our challenge?": the acceptance check for a CMS a
// person made in NCALayer (IS MPT sign-in signs the `/auth/key` challenge). One verdict out of
// verifyCms (signature), verifyChain (trust) and the signer certificate's subject (IIN, BIN) and
// extended key usages, each refusal with a short sentence for the person at the signing page.
// RSA and Kazakh GOST (2004, 2015) CMS alike: verifyCms handles both. No Temporal, no files.
import type { X509Certificate } from 'node:crypto';
import { certificateSubjectAttributes } from '../../common/x509-der.js';
import { verifyChain } from '../certificates/chain.js';
import { cmsToDer, type CmsVerification } from './shared.js';
import { verifyCms } from './verify.js';

export interface SignatureRequirements {
  /** The signer's IIN (12 digits), from the subject's serialNumber `IIN…`. */
  iin?: string;
  /** The organisation's BIN (12 digits), from the subject's OU or organizationIdentifier `BIN…`. */
  bin?: string;
  /** Extended key usage OIDs: every one must be in the signer certificate. */
  extKeyUsage?: string[];
  /** Trusted CAs (roots or intermediates): the signer certificate must chain to one of them. */
  caBundle: X509Certificate[];
  /**
   * When the data to sign came to exist (the challenge's issue time): a signingTime before it (less
   * the clock skew) is back-dated, which would let a certificate that has expired since pass.
   */
  notBefore?: Date;
}

export type SignatureRefusal =
  | 'unreadable'
  | 'bad-signature'
  | 'other-data'
  | 'untrusted-chain'
  | 'not-valid-at-signing-time'
  | 'wrong-signer'
  | 'missing-eku'
  | 'several-signers';

export interface AcceptedSigner {
  /** The signer certificate's subject, on one line. */
  subject: string;
  /** The certificate serial number (hex). */
  serialNumber: string;
  iin?: string;
  bin?: string;
  /** ISO 8601. */
  notAfter: string;
}

export type SignatureCheck = { ok: true; signer: AcceptedSigner } | { ok: false; reason: SignatureRefusal; message: string };

/** A signingTime this far past `now` is a wrong clock, not a signature made "now". */
const CLOCK_SKEW_MS = 5 * 60_000;

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.2': 'authentication',
  '1.3.6.1.5.5.7.3.4': 'signing',
  '1.2.398.3.3.4.1.1': 'individual',
  '1.2.398.3.3.4.1.2': 'legal entity',
};

const refuse = (reason: SignatureRefusal, message: string): SignatureCheck => ({ ok: false, reason, message });

/**
 * Accepts `cms` (DER, PEM or base64) only when it is a single-signer CMS SignedData over exactly
 * `challenge` (attached content equal to it, or detached and checked against it), its signature
 * valid, the signer certificate valid at the CMS's signingTime (else at `now`) and chaining to
 * `requirements.caBundle` at that time, and naming the required IIN/BIN and extended key usages.
 * Never throws for bad input: every problem with `cms` is a refusal.
 */
export async function checkPersonSignature(
  cms: Uint8Array | string,
  challenge: Uint8Array,
  requirements: SignatureRequirements,
  now: Date,
): Promise<SignatureCheck> {
  let verification: CmsVerification;
  try {
    const message = cmsToDer(cms);
    if (message.length === 0) return unreadable;
    verification = await verifyCms(message, challenge);
  } catch {
    return unreadable; // not base64, not DER, or a structure the parsers reject
  }
  const v = verification;
  if (v.problem === 'not-signed-data' || v.signerCount === 0) return unreadable;
  if (v.signerCount > 1) return refuse('several-signers', 'The signature has several signers: sign again with your key alone.');
  if (v.problem === 'content-mismatch' || (v.problem === 'signature-invalid' && isDigestMismatch(v)))
    return refuse('other-data', 'This signature is not of the text we asked you to sign: sign it again on this page.');
  if (!v.signatureValid)
    return refuse('bad-signature', 'The signature does not verify (it was damaged or altered): sign again on this page.');
  const cert = v.signerCertificate;
  if (!cert) return refuse('unreadable', 'The signature carries no signer certificate: sign again with NCALayer.');

  if (v.signingTime && v.signingTime.getTime() > now.getTime() + CLOCK_SKEW_MS)
    return refuse(
      'not-valid-at-signing-time',
      `The signature claims to be made in the future (${iso(v.signingTime)}): correct your computer's clock and sign again.`,
    );
  if (v.signingTime && requirements.notBefore && v.signingTime.getTime() < requirements.notBefore.getTime() - CLOCK_SKEW_MS)
    return refuse(
      'not-valid-at-signing-time',
      `The signature claims to be made at ${iso(v.signingTime)}, before this request existed (${iso(requirements.notBefore)}): correct your computer's clock and sign again.`,
    );
  const at = v.signingTime ?? now;
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (at < notBefore || at > notAfter)
    return refuse(
      'not-valid-at-signing-time',
      `Your certificate was not valid at ${iso(at)} (it is valid ${iso(notBefore)} to ${iso(notAfter)}): ${at > notAfter ? 'renew it at NCA RK' : 'check your computer clock'} and sign again.`,
    );
  if (!chainValid(cert, requirements.caBundle, at))
    return refuse(
      'untrusted-chain',
      'Your certificate is not from a certification authority accepted here: sign with a key issued by NCA RK.',
    );

  const iinFound = subjectId(cert, IIN_OIDS, 'IIN');
  const binFound = subjectId(cert, BIN_OIDS, 'BIN');
  if (iinFound === 'several' || binFound === 'several')
    return refuse(
      'wrong-signer',
      `This certificate names several ${iinFound === 'several' ? 'IINs' : 'BINs'}: sign with an NCA RK key of your own.`,
    );
  const iin = iinFound;
  const bin = binFound;
  const mismatch = [idMismatch('IIN', requirements.iin, iin), idMismatch('BIN', requirements.bin, bin)].filter(Boolean);
  if (mismatch.length > 0)
    return refuse('wrong-signer', `This key is not the expected one (${mismatch.join('; ')}): sign with the right key.`);

  const present = new Set(ekusOf(cert));
  const missing = (requirements.extKeyUsage ?? []).filter((oid) => !present.has(oid));
  if (missing.length > 0)
    return refuse(
      'missing-eku',
      `This key may not be used here (it lacks ${missing.map((o) => (EKU_NAMES[o] ? `${EKU_NAMES[o]} (${o})` : o)).join(', ')}): choose your other key, e.g. the AUTH_ one for sign-in.`,
    );

  return {
    ok: true,
    signer: {
      subject: cert.subject.split('\n').join(', '),
      serialNumber: cert.serialNumber,
      ...(iin ? { iin } : {}),
      ...(bin ? { bin } : {}),
      notAfter: notAfter.toISOString(),
    },
  };
}

const unreadable: SignatureCheck = {
  ok: false,
  reason: 'unreadable',
  message: 'This is not a signature we can read (expected a CMS from NCALayer): sign again on this page.',
};

/**
 * For a detached CMS (or one whose signed digest is of other bytes) verifyCms reports the content
 * digest mismatch as signature-invalid; both of its paths (verify.ts, kz-gost.ts) name it so.
 */
const isDigestMismatch = (v: CmsVerification) => /digest does not match messageDigest/.test(v.reason ?? '');

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// Where NCA RK puts the identifiers: serialNumber (2.5.4.5) IIN… for the person; OU (2.5.4.11) BIN… (as
// in the published GOSTKNCA and ceo_ certificates) or organizationIdentifier (2.5.4.97) for the
// organisation. Read from the DER, attribute by attribute: a value that merely contains
// "+serialNumber=IIN…" (an organisation's name) is text, not an attribute.
const IIN_OIDS = ['2.5.4.5'];
const BIN_OIDS = ['2.5.4.11', '2.5.4.97'];

/**
 * The 12 digits after `prefix` in the subject attributes of those types: undefined when none names
 * one, 'several' when they name different ones (no certificate of NCA RK does).
 */
function subjectId(cert: X509Certificate, oids: string[], prefix: 'IIN' | 'BIN'): string | 'several' | undefined {
  const pattern = new RegExp(`^${prefix}(\\d{12})$`, 'i');
  let attributes: { oid: string; value: string }[];
  try {
    attributes = certificateSubjectAttributes(cert.raw);
  } catch {
    return undefined;
  }
  const ids = new Set(attributes.filter((a) => oids.includes(a.oid)).flatMap((a) => pattern.exec(a.value.trim())?.[1] ?? []));
  return ids.size > 1 ? 'several' : [...ids][0];
}

/**
 * "expected IIN …1234, got …5678". IINs are personal data (and an individual entrepreneur's BIN is
 * their IIN): this message reaches a signing page and logs, so it shows only the last 4 digits of
 * each, enough for a person to tell their own key from another's and no more.
 */
function idMismatch(kind: 'IIN' | 'BIN', expected: string | undefined, got: string | undefined): string | undefined {
  if (expected === undefined || expected === got) return undefined;
  const last4 = (id: string) => `…${id.slice(-4)}`;
  return `expected ${kind} ${last4(expected)}, ${got ? `got ${last4(got)}` : `the certificate names no ${kind}`}`;
}

function chainValid(cert: X509Certificate, caBundle: readonly X509Certificate[], at: Date): boolean {
  try {
    return verifyChain(cert, caBundle, at).valid;
  } catch {
    return false; // a certificate the parsers cannot read chains to nothing
  }
}

function ekusOf(cert: X509Certificate): string[] {
  try {
    return cert.keyUsage ?? []; // Node's name for the extended key usage OIDs
  } catch {
    return [];
  }
}
