// The package's public surface for other services: the shared contract fragments, every flow's
// contract and workflow function (to start them by reference: startFlow(client, mptSignIn, …)), the
// registry of workflow types, typed client helpers, failure types and search attributes. The
// sandbox for integration tests is `trustflow/sandbox`.
export * from './contracts/index.js';
export * from './flows/index.js';
export { isValidIin, iinCheckDigit } from './common/iin.js';
export { FailureType } from './common/errors.js';
export { searchAttributes } from './common/search-attributes.js';
export type { SecretRef } from './secrets/reference.js';
export * from './client/index.js';
