// Cipher (UA): the public surface of this folder: contracts and workflow functions.
export * from './cipher-sign.contract.js';
export * from './cipher-inspect-key-store.contract.js';
export { cipherSign } from './cipher-sign.workflow.js';
export { cipherInspectKeyStore } from './cipher-inspect-key-store.workflow.js';
export { cipherTicketCleanup, type CipherTicketCleanupInput, type CipherTicketCleanupResult } from './cipher-ticket-cleanup.workflow.js';
