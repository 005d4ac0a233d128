// The public contract layer: one file per workflow type (its type name, input schema, result,
// steps, provider), the input fragments they share (signer, decryption key, mutual TLS, KISC and
// Cipher endpoints, Cipher options), the field rules (fields.ts) and this typed registry of flows.
// Imports only zod and pure helpers from common/: safe in workflow code, usable by other services.
import { cipherInspectKeyStoreContract } from './cipher-inspect-key-store.js';
import { cipherSignContract } from './cipher-sign.js';
import type { FlowContract } from './flow-contract.js';
import { kiscReconcileContract } from './kisc-reconcile.js';
import { kiscVerifyIdentityContract } from './kisc-verify-identity.js';
import { konturSignInContract } from './kontur-sign-in.js';
import { kpsisIssueCertificateContract } from './kpsis-issue-certificate.js';
import { mptSignInContract } from './mpt-sign-in.js';

/** Every flow's contract, by workflow type. */
export const flowContracts = {
  mptSignIn: mptSignInContract,
  konturSignIn: konturSignInContract,
  kiscVerifyIdentity: kiscVerifyIdentityContract,
  kiscReconcile: kiscReconcileContract,
  cipherSign: cipherSignContract,
  cipherInspectKeyStore: cipherInspectKeyStoreContract,
  kpsisIssueCertificate: kpsisIssueCertificateContract,
} as const satisfies { [T in string]: FlowContract<T> };

export type WorkflowType = keyof typeof flowContracts;

export * from './cipher-endpoint.js';
export * from './cipher-inspect-key-store.js';
export * from './cipher-options.js';
export * from './cipher-sign.js';
export * from './decryption-key-spec.js';
export * from './fields.js';
export * from './flow-contract.js';
export * from './kisc-endpoint.js';
export * from './kisc-reconcile.js';
export * from './kisc-verify-identity.js';
export * from './kontur-sign-in.js';
export * from './kpsis-issue-certificate.js';
export * from './limits.js';
export * from './mpt-sign-in.js';
export * from './mutual-tls-spec.js';
export * from './signer-spec.js';
export * from './status.js';
export * from './token-keeper.js';
export * from './credential-inventory.js';
export * from './credential-watch.js';
export * from './alert.js';
export * from './workflow-ids.js';
export * from './validation.js';
