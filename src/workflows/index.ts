// The worker's workflowsPath: every workflow type the worker runs, exported by its type name.
export { mptSignIn } from './mpt-sign-in.js';
export { konturSignIn } from './kontur-sign-in.js';
export { kiscVerifyIdentity } from './kisc-verify-identity.js';
export { kiscReconcile } from './kisc-reconcile.js';
export { cipherSign } from './cipher-sign.js';
export { cipherInspectKeyStore } from './cipher-inspect-key-store.js';
export { kpsisIssueCertificate } from './kpsis-issue-certificate.js';
// The credential lifecycle: one watch per credential, the scheduled check, apply's preflight, and
// the daily KISC reconciliation the inventory installs.
export { credentialWatch } from './credential-watch.js';
export { credentialsCheck } from './credentials-check.js';
export { credentialsPreflight } from './credentials-preflight.js';
export { kiscReconcileDaily } from './kisc-reconcile-daily.js';
// Token keepers: one long-lived holder of a token per participant and stand.
export { mptTokenKeeper } from './mpt-token-keeper.js';
export { konturSessionKeeper } from './kontur-session-keeper.js';
// Any other type runs this: it fails the workflow at once (UnknownWorkflowType, non-retryable) with
// the offered types and a "did you mean", instead of a workflow task that fails and retries forever.
export { unknownWorkflowType as default } from './unknown-workflow-type.js';
