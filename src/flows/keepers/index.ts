// Token keepers: the public surface of this folder: contracts and workflow functions.
export * from './token-keeper.contract.js';
export { mptTokenKeeper } from './mpt-token-keeper.workflow.js';
export { konturSessionKeeper } from './kontur-session-keeper.workflow.js';
