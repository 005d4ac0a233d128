// The Temporal side's public surface: each folder's contracts and workflow functions (start them by
// reference: startFlow(client, mptSignIn, …)), the registry, and the flows' contracts by type.
// test/unit/registry.test.ts checks that the package exports exactly the registry's workflow types.
export * from './folders.js';
export { workflowRegistry, workflowTypes, workflowTypesOf, type WorkflowType, type FlowType, type WorkflowKind } from './registry.js';
export { flowContracts, workflowFunctions } from './contracts.js';
