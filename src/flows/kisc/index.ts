// KISC identity exchange (KZ): the public surface of this folder: contracts and workflow functions.
export * from './kisc-verify-identity.contract.js';
export * from './kisc-reconcile.contract.js';
export * from './kisc-reconcile-daily.contract.js';
export { kiscVerifyIdentity } from './kisc-verify-identity.workflow.js';
export { kiscReconcile } from './kisc-reconcile.workflow.js';
export { kiscReconcileDaily } from './kisc-reconcile-daily.workflow.js';
