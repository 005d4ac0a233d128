// The worker's workflowsPath: every workflow type the worker runs, exported by its type name.
//
// Each type's module is loaded by its first call in an execution, not with this file. The SDK
// evaluates the bundle's modules again for every workflow execution (its reusable V8 context keeps
// module state apart per execution), so importing every flow here built every flow's contract for
// each execution: ~5 ms of zod schemas per flow, where its own module costs ~2.5 ms. `webpackMode:
// "eager"` keeps every module in the one bundle: the import is a lookup that resolves in a microtask,
// with no I/O, the same on every replay. Start workflows by these functions; the modules behind them
// hold the code.
import type * as cipherInspect from './cipher-inspect-key-store.js';
import type * as cipher from './cipher-sign.js';
import type * as cipherCleanup from './cipher-ticket-cleanup.js';
import type * as watch from './credential-watch.js';
import type * as check from './credentials-check.js';
import type * as preflight from './credentials-preflight.js';
import type * as testAlert from './credentials-test-alert.js';
import type * as kiscDaily from './kisc-reconcile-daily.js';
import type * as kiscRec from './kisc-reconcile.js';
import type * as kisc from './kisc-verify-identity.js';
import type * as konturKeeper from './kontur-session-keeper.js';
import type * as kontur from './kontur-sign-in.js';
import type * as kpsis from './kpsis-issue-certificate.js';
import type * as mpt from './mpt-sign-in.js';
import type * as mptKeeper from './mpt-token-keeper.js';

export const mptSignIn: typeof mpt.mptSignIn = async (...a) =>
  (await import(/* webpackMode: "eager" */ './mpt-sign-in.js')).mptSignIn(...a);
export const konturSignIn: typeof kontur.konturSignIn = async (...a) =>
  (await import(/* webpackMode: "eager" */ './kontur-sign-in.js')).konturSignIn(...a);
export const kiscVerifyIdentity: typeof kisc.kiscVerifyIdentity = async (...a) =>
  (await import(/* webpackMode: "eager" */ './kisc-verify-identity.js')).kiscVerifyIdentity(...a);
export const kiscReconcile: typeof kiscRec.kiscReconcile = async (...a) =>
  (await import(/* webpackMode: "eager" */ './kisc-reconcile.js')).kiscReconcile(...a);
export const cipherSign: typeof cipher.cipherSign = async (...a) =>
  (await import(/* webpackMode: "eager" */ './cipher-sign.js')).cipherSign(...a);
export const cipherInspectKeyStore: typeof cipherInspect.cipherInspectKeyStore = async (...a) =>
  (await import(/* webpackMode: "eager" */ './cipher-inspect-key-store.js')).cipherInspectKeyStore(...a);
// A Cipher ticket its flow could not delete, deleted later (an abandoned child of that flow).
export const cipherTicketCleanup: typeof cipherCleanup.cipherTicketCleanup = async (...a) =>
  (await import(/* webpackMode: "eager" */ './cipher-ticket-cleanup.js')).cipherTicketCleanup(...a);
export const kpsisIssueCertificate: typeof kpsis.kpsisIssueCertificate = async (...a) =>
  (await import(/* webpackMode: "eager" */ './kpsis-issue-certificate.js')).kpsisIssueCertificate(...a);
// The credential lifecycle: one watch per credential, the scheduled check, apply's preflight, the
// test alert, and the daily KISC reconciliation the inventory installs.
export const credentialWatch: typeof watch.credentialWatch = async (...a) =>
  (await import(/* webpackMode: "eager" */ './credential-watch.js')).credentialWatch(...a);
export const credentialsCheck: typeof check.credentialsCheck = async (...a) =>
  (await import(/* webpackMode: "eager" */ './credentials-check.js')).credentialsCheck(...a);
export const credentialsPreflight: typeof preflight.credentialsPreflight = async (...a) =>
  (await import(/* webpackMode: "eager" */ './credentials-preflight.js')).credentialsPreflight(...a);
export const credentialsTestAlert: typeof testAlert.credentialsTestAlert = async (...a) =>
  (await import(/* webpackMode: "eager" */ './credentials-test-alert.js')).credentialsTestAlert(...a);
export const kiscReconcileDaily: typeof kiscDaily.kiscReconcileDaily = async (...a) =>
  (await import(/* webpackMode: "eager" */ './kisc-reconcile-daily.js')).kiscReconcileDaily(...a);
// Token keepers: one long-lived holder of a token per participant and stand.
export const mptTokenKeeper: typeof mptKeeper.mptTokenKeeper = async (...a) =>
  (await import(/* webpackMode: "eager" */ './mpt-token-keeper.js')).mptTokenKeeper(...a);
export const konturSessionKeeper: typeof konturKeeper.konturSessionKeeper = async (...a) =>
  (await import(/* webpackMode: "eager" */ './kontur-session-keeper.js')).konturSessionKeeper(...a);
// Any other type runs this: it fails the workflow at once (UnknownWorkflowType, non-retryable) with
// the offered types and a "did you mean", instead of a workflow task that fails and retries forever.
export { unknownWorkflowType as default } from './unknown-workflow-type.js';
