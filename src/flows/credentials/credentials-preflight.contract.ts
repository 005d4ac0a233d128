// credentialsPreflight: `apply`'s check of an inventory on the worker (files, passwords) before
// anything changes. Pure: workflow-safe.
import type { CredentialConfig } from './credential-watch.contract.js';

export const CREDENTIALS_PREFLIGHT = 'credentialsPreflight';

export interface CredentialsPreflightInput {
  credentials: CredentialConfig[];
}

export interface CredentialsPreflightResult {
  problems: { id: string; problem: string }[];
  certificates: { id: string; count: number; notAfter: string | null }[];
}
