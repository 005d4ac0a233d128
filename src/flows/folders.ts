// Every folder's public surface (its contracts and workflow functions), one line per folder.
export * from './ismpt/index.js';
export * from './kontur/index.js';
export * from './kisc/index.js';
export * from './cipher/index.js';
export * from './kpsis/index.js';
export * from './keepers/index.js';
export * from './credentials/index.js';
