// KPSIS (BY): the public surface of this folder: contracts and workflow functions.
export * from './kpsis-issue-certificate.contract.js';
export { kpsisIssueCertificate } from './kpsis-issue-certificate.workflow.js';
