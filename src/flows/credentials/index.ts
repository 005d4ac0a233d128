// The credential lifecycle: the public surface of this folder: contracts and workflow functions.
export * from './inventory.contract.js';
export * from './credential-watch.contract.js';
export * from './credentials-check.contract.js';
export * from './credentials-preflight.contract.js';
export * from './credentials-test-alert.contract.js';
export { credentialWatch } from './credential-watch.workflow.js';
export type { CredentialWatchInput, CredentialWatchResult } from './credential-watch.state.js';
export { credentialsCheck } from './credentials-check.workflow.js';
export { credentialsPreflight } from './credentials-preflight.workflow.js';
export { credentialsTestAlert } from './credentials-test-alert.workflow.js';
