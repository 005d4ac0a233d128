// The package's public surface for other services: the workflow contracts (types, input schemas,
// results, steps), the workflow functions (to start them by reference: startFlow(client, mptSignIn,
// …)), typed client helpers, failure types and search attributes. The sandbox for integration tests
// is `trustflow/sandbox`.
export * from './contracts/index.js';
export { isValidIin, iinCheckDigit } from './common/iin.js';
export { FailureType } from './common/errors.js';
export { searchAttributes } from './common/search-attributes.js';
export type { SecretRef } from './secrets/reference.js';
export * from './client/index.js';
export {
  cipherInspectKeyStore,
  cipherSign,
  kiscReconcile,
  kiscVerifyIdentity,
  konturSignIn,
  kpsisIssueCertificate,
  mptSignIn,
  mptTokenKeeper,
  konturSessionKeeper,
  credentialWatch,
} from './workflows/index.js';
