// IS MPT (KZ): the public surface of this folder: contracts and workflow functions.
export * from './mpt-sign-in.contract.js';
export { mptSignIn } from './mpt-sign-in.workflow.js';
