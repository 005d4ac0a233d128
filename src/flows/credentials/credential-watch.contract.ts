// Public contract of credentialWatch: one long-lived workflow per inventory entry (id:
// workflowIds.credentialWatch): its certificates, alert ladder, renewal, acknowledgement; Updates
// check / acknowledge / reconfigure / retire, query status. Pure: workflow-safe.
import type { CredentialEntry, CredentialKind, CredentialPolicy } from './inventory.contract.js';
import type { InspectedCertificate } from '../../contracts/inspected-certificate.js';

export const CREDENTIAL_WATCH = 'credentialWatch';

export const CHECK_UPDATE = 'check';
export const ACKNOWLEDGE_UPDATE = 'acknowledge';
export const RECONFIGURE_UPDATE = 'reconfigure';
export const RETIRE_UPDATE = 'retire';
export const CREDENTIAL_STATUS_QUERY = 'credentialStatus';

/** What a watch is told by `apply`: the entry as validated, its policy with defaults, and their hash. */
export interface CredentialConfig {
  entry: CredentialEntry;
  policy: CredentialPolicy;
  /** SHA-256 of the entry and policy: apply compares it to find what changed. */
  configHash: string;
}

export type { InspectedCertificate, CredentialInspection } from '../../contracts/inspected-certificate.js';

/**
 * Most urgent first: retired, unreadable, unchecked, expired, not-yet-valid (a certificate whose
 * notBefore is ahead: every flow refuses it), renewing, expiring, renewal-due, ok.
 */
export type CredentialState =
  'unchecked' | 'ok' | 'renewal-due' | 'renewing' | 'expiring' | 'expired' | 'not-yet-valid' | 'unreadable' | 'retired';

/** The last time the alert sink did not take an alert of this credential. */
export interface AlertDeliveryError {
  /** Why (the receiver's status or the network error; never the URL's path or a secret). */
  message: string;
  at: string;
}

/** What `trustflow credentials list` shows of one credential (the `credentialStatus` query). */
export interface CredentialStatus {
  id: string;
  kind: CredentialKind;
  owner: string | null;
  labels: Record<string, string>;
  state: CredentialState;
  /** The earliest notAfter of every watched certificate: what expires first breaks the credential. */
  notAfter: string | null;
  daysLeft: number | null;
  /** Which certificate expires first, e.g. 'leaf' or 'chain: <issuer>'. */
  expiresFirst: string | null;
  /** The leaf's renewal point. */
  renewAt: string | null;
  nextAction: string;
  lastCheckAt: string | null;
  lastError: string | null;
  checks: number;
  alertsSent: number;
  /** Alerts decided but not taken by the sink yet: sent again at every check until they are. */
  undelivered: number;
  /** Kept after a later success, with its time: undelivered 0 says whether it still matters. */
  lastDeliveryError: AlertDeliveryError | null;
  configHash: string;
  certificates: (InspectedCertificate & { tiersSent: string[] })[];
  renewal: { workflowId: string; attempt: number; artifactsDir: string; state: 'running' | 'failed' | 'issued' } | null;
  acknowledged: { at: string; note: string | null } | null;
}

export interface AcknowledgeRequest {
  note?: string;
}
