export * from './client.js';
export * from './schemas.js';
export * from './key-usage.js';
