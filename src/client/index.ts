export { connectClient } from './connection.js';
export * from './flows.js';
export * from './token-keepers.js';
export * from './credentials.js';
