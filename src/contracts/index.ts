// The shared contract fragments every flow builds on: the flow contract's shape, the input
// fragments flows share (signer, decryption key, mutual TLS, KISC and Cipher endpoints, Cipher
// options), the field rules, limits, workflow ids, the alert's wire format. Each flow's own contract
// lives in its folder under src/flows/. Imports only zod and pure helpers from common/: safe in
// workflow code, usable by other services.
export * from './alert.js';
export * from './cipher-endpoint.js';
export * from './cipher-options.js';
export * from './credential-kind.js';
export * from './decryption-key-spec.js';
export * from './fields.js';
export * from './flow-contract.js';
export * from './inspected-certificate.js';
export * from './kisc-endpoint.js';
export * from './kisc-maintenance.js';
export * from './kisc-time.js';
export * from './limits.js';
export * from './mutual-tls-spec.js';
export * from './signer-spec.js';
export * from './status.js';
export * from './validation.js';
export * from './workflow-ids.js';
