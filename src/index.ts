// The package's public surface for other services: workflow types, input/output schemas, typed
// client helpers, the sandbox for integration tests.
export * from './common/contracts/mpt-sign-in.js';
export * from './common/contracts/kontur-sign-in.js';
export * from './common/contracts/kisc-verify-identity.js';
export * from './common/contracts/cipher-sign.js';
export * from './common/contracts/kpsis-issue-certificate.js';
export { isValidIin, iinCheckDigit } from './common/iin.js';
export * from './common/contracts/status.js';
export { FailureType } from './common/errors.js';
export { searchAttributes } from './common/search-attributes.js';
export { SecretRefSchema, type SecretRef } from './secrets/reference.js';
export { SignerSpecSchema, type SignerSpec } from './crypto/signer-spec.js';
export { DecryptionKeySpecSchema, type DecryptionKeySpec } from './crypto/decryption-key-spec.js';
export * from './client/index.js';
