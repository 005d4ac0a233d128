// The client side of the credential lifecycle: read an inventory file, and `apply` it like
// `kubectl apply` (idempotent: creates what is new, reconfigures what changed, retires what was
// removed, and leaves the rest untouched), plus scan, list, acknowledge and the test alert, and the
// states `scan --fail-on` matches. Schedules are installed here, never by a worker at start-up (design.md).
//
// The public surface, by concern (client/index.ts re-exports it):
//   credentials/inventory.ts   loadInventoryFile, configOf
//   credentials/apply.ts       applyInventory: validate, preflight, watches, schedules (its steps are described there)
//   credentials/schedules.ts   the check and kiscReconcile schedules apply installs
//   credentials/watches.ts     what is applied, listCredentials, acknowledgeCredential
//   credentials/scan.ts        scanCredentials and what `scan --fail-on` matches
//   credentials/test-alert.ts  sendTestAlert
export { configOf, InventoryError, loadInventoryFile } from './credentials/inventory.js';
export { applyInventory, type ApplyOptions, type ApplyReport } from './credentials/apply.js';
export { acknowledgeCredential, CredentialNotAppliedError, listCredentials } from './credentials/watches.js';
export { credentialsInStates, FAIL_ON_STATES, parseFailOn, scanCredentials, type FailOnState } from './credentials/scan.js';
export { sendTestAlert, type TestAlertOptions } from './credentials/test-alert.js';
