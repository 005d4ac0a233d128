// Kontur (RU): the public surface of this folder: contracts and workflow functions.
export * from './kontur-sign-in.contract.js';
export { konturSignIn } from './kontur-sign-in.workflow.js';
