// Public contract of the credential lifecycle's workflows:
//   credentialWatch     one long-lived workflow per inventory entry (id: workflowIds.credentialWatch):
//                       its certificates, alert ladder, renewal, acknowledgement; Updates check /
//                       acknowledge / reconfigure / retire, query status.
//   credentialsCheck    what the schedule (and `trustflow credentials scan`) runs: asks every watch to check.
//   credentialsPreflight `apply`'s check of an inventory on the worker (files, passwords) before anything changes.
//   credentialsTestAlert `trustflow credentials test-alert`: one test alert through the worker's own sink.
//   kiscReconcileDaily  what the daily KISC schedule runs: yesterday's kiscReconcile.
// Pure: workflow-safe.
import { z } from 'zod';
import type { CredentialEntry, CredentialKind, CredentialPolicy } from './credential-inventory.js';
import type { KiscEndpoint } from './kisc-endpoint.js';

export const CREDENTIAL_WATCH = 'credentialWatch';
export const CREDENTIALS_CHECK = 'credentialsCheck';
export const CREDENTIALS_PREFLIGHT = 'credentialsPreflight';
export const CREDENTIALS_TEST_ALERT = 'credentialsTestAlert';
export const KISC_RECONCILE_DAILY = 'kiscReconcileDaily';

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

/** One certificate a check found (a file's leaf and its chain, both keys of a Cipher container). */
export interface InspectedCertificate {
  /** Stable per certificate: its SHA-256 fingerprint, or `sn-<serial>` where only the serial is known. */
  certificateId: string;
  role: 'leaf' | 'chain';
  /** Where it was found, e.g. 'key.p12', 'ca bundle', 'signature key'. */
  source: string;
  organization: string | null;
  /** A CA certificate's own name (its subject CN); null for end-entity certificates, whose names are personal data. */
  caName: string | null;
  issuer: string | null;
  serialNumber: string | null;
  /** Unknown for a Cipher key whose service does not say (no renewal point then, the ladder only). */
  notBefore: string | null;
  notAfter: string;
}

export interface CredentialInspection {
  certificates: InspectedCertificate[];
  /** The service's own warnings (Cipher's "less than N days left"), verbatim. */
  serviceWarnings: string[];
}

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

export interface CredentialsCheckInput {
  credentialIds: string[];
  /** The schedule's interval (ms): how long a worker keeps exporting a credential's gauge without a newer check. */
  every?: number;
}

export interface CredentialsCheckResult {
  checked: {
    id: string;
    state: CredentialState;
    notAfter: string | null;
    alertsSent: number;
    undelivered: number;
    lastDeliveryError: AlertDeliveryError | null;
    /** Why the credential could not be read (state unreadable), else null. */
    lastError: string | null;
  }[];
  /** Watches that could not be reached (not applied, retired): apply again. */
  missing: string[];
  failed: { id: string; error: string }[];
}

export interface CredentialsPreflightInput {
  credentials: CredentialConfig[];
}

export interface CredentialsPreflightResult {
  problems: { id: string; problem: string }[];
  certificates: { id: string; count: number; notAfter: string | null }[];
}

export interface KiscReconcileDailyInput {
  credentialId: string;
  connection: KiscEndpoint;
}

export const CredentialsTestAlertInputSchema = z
  .object({
    /** Shown in the alert's text, e.g. who asked and why (no secret; one line, at most 200 characters). */
    note: z
      .string()
      .max(200)
      .regex(/^[^\r\n]*$/, 'must be one line')
      .optional(),
  })
  .strict();
export type CredentialsTestAlertInput = z.input<typeof CredentialsTestAlertInputSchema>;
