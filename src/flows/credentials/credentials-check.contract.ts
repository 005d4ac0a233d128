// credentialsCheck: what the schedule (and `trustflow credentials scan`) runs: asks every watch to
// check. Pure: workflow-safe.
import type { AlertDeliveryError, CredentialState } from './credential-watch.contract.js';

export const CREDENTIALS_CHECK = 'credentialsCheck';

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
