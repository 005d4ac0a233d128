// The worker's workflowsPath: every workflow type the worker runs, exported by its type name.
export { mptSignIn } from './mpt-sign-in.js';
export { konturSignIn } from './kontur-sign-in.js';
export { kiscVerifyIdentity } from './kisc-verify-identity.js';
export { kiscReconcile } from './kisc-reconcile.js';
export { cipherSign } from './cipher-sign.js';
export { cipherInspectKeyStore } from './cipher-inspect-key-store.js';
export { kpsisIssueCertificate } from './kpsis-issue-certificate.js';
