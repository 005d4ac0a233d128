export { connectClient } from './connection.js';
export * from './flows.js';
