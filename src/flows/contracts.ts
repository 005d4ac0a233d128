// For the client side (Node), derived from the registry: each flow's contract and every workflow
// function by type. Imports every flow, so workflow code never imports this file (registry.ts says why).
import type { FlowContract } from '../contracts/flow-contract.js';
import * as folders from './folders.js';
import { workflowTypes, workflowTypesOf, type FlowType, type WorkflowType } from './registry.js';

type Exports = typeof folders;

/** Every flow's contract, by workflow type: `<type>Contract` from its folder (the compiler checks each exists). */
export const flowContracts = Object.fromEntries(
  workflowTypesOf('flow').map((type) => [type, (folders as Record<string, unknown>)[`${type}Contract`]]),
) as { [T in FlowType]: Exports[`${T}Contract`] };

/** Every workflow function, by type: what `startFlow(client, fn, …)` takes (the compiler checks each is exported). */
export const workflowFunctions = Object.fromEntries(workflowTypes.map((type) => [type, (folders as Record<string, unknown>)[type]])) as {
  [T in WorkflowType]: Exports[T];
};

// Compile-time: each flow's contract is a FlowContract of its own type.
const contractsFit: { [T in FlowType]: FlowContract<T> } = flowContracts;
void contractsFit;
