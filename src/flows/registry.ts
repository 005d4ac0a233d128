// Every workflow type the worker runs, in one list: what it is, which service it talks to, and where
// its code is. Everything else derives from this list or is checked against it: the worker's entry
// (workflows.ts dispatches by it), the package's exports and the CLI's flows (contracts.ts,
// client/flows.ts), the sandbox's examples, the demo and the tests' lists of types. A workflow type
// missing here fails test/unit/registry.test.ts.
//
// Workflow-safe and light on purpose: workflows.ts imports it in every execution, so it names each
// type's module without importing it. `load` runs only when an execution of that type starts; the
// SDK evaluates a workflow's modules again for every execution, and importing every flow here would
// build every flow's zod schemas each time (~5 ms per flow, against ~2.5 ms for the flow's own
// module). `webpackMode: "eager"` keeps each module in the one bundle: a lookup, no I/O, the same on
// every replay.
import type { Provider } from '../contracts/flow-contract.js';

/**
 * - `flow`: a flow other services start (`startFlow`, `trustflow run`); has a FlowContract.
 * - `entity`: one long-lived workflow per participant or credential, driven by Updates (keepers, watch).
 * - `scheduled`: what a Temporal Schedule installed by `trustflow credentials apply` runs.
 * - `command`: started by one `trustflow` command to run something on a worker (preflight, test alert).
 * - `child`: started by another workflow only.
 */
export type WorkflowKind = 'flow' | 'entity' | 'scheduled' | 'command' | 'child';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any input: every workflow's parameters fit
type WorkflowFunction = (...args: any[]) => Promise<unknown>;

interface RegistryEntry {
  kind: WorkflowKind;
  /** The service it talks to (the TrustflowProvider search attribute); null for the credential lifecycle's own workflows. */
  provider: Provider | null;
  /** Its module, in its folder under src/flows/ (`<folder>/<name>.workflow.ts`). */
  load(): Promise<object>;
}

export const workflowRegistry = {
  mptSignIn: { kind: 'flow', provider: 'ismpt', load: () => import(/* webpackMode: "eager" */ './ismpt/mpt-sign-in.workflow.js') },
  konturSignIn: { kind: 'flow', provider: 'kontur', load: () => import(/* webpackMode: "eager" */ './kontur/kontur-sign-in.workflow.js') },
  kiscVerifyIdentity: {
    kind: 'flow',
    provider: 'kisc',
    load: () => import(/* webpackMode: "eager" */ './kisc/kisc-verify-identity.workflow.js'),
  },
  kiscReconcile: { kind: 'flow', provider: 'kisc', load: () => import(/* webpackMode: "eager" */ './kisc/kisc-reconcile.workflow.js') },
  cipherSign: { kind: 'flow', provider: 'cipher', load: () => import(/* webpackMode: "eager" */ './cipher/cipher-sign.workflow.js') },
  cipherInspectKeyStore: {
    kind: 'flow',
    provider: 'cipher',
    load: () => import(/* webpackMode: "eager" */ './cipher/cipher-inspect-key-store.workflow.js'),
  },
  kpsisIssueCertificate: {
    kind: 'flow',
    provider: 'kpsis',
    load: () => import(/* webpackMode: "eager" */ './kpsis/kpsis-issue-certificate.workflow.js'),
  },
  // A Cipher ticket its flow could not delete, deleted later (an abandoned child of that flow).
  cipherTicketCleanup: {
    kind: 'child',
    provider: 'cipher',
    load: () => import(/* webpackMode: "eager" */ './cipher/cipher-ticket-cleanup.workflow.js'),
  },
  // Token keepers: one long-lived holder of a token per participant and stand.
  mptTokenKeeper: {
    kind: 'entity',
    provider: 'ismpt',
    load: () => import(/* webpackMode: "eager" */ './keepers/mpt-token-keeper.workflow.js'),
  },
  konturSessionKeeper: {
    kind: 'entity',
    provider: 'kontur',
    load: () => import(/* webpackMode: "eager" */ './keepers/kontur-session-keeper.workflow.js'),
  },
  // The credential lifecycle: one watch per credential, the scheduled check, apply's preflight, the
  // test alert, and the daily KISC reconciliation the inventory installs.
  credentialWatch: {
    kind: 'entity',
    provider: null,
    load: () => import(/* webpackMode: "eager" */ './credentials/credential-watch.workflow.js'),
  },
  credentialsCheck: {
    kind: 'scheduled',
    provider: null,
    load: () => import(/* webpackMode: "eager" */ './credentials/credentials-check.workflow.js'),
  },
  kiscReconcileDaily: {
    kind: 'scheduled',
    provider: 'kisc',
    load: () => import(/* webpackMode: "eager" */ './kisc/kisc-reconcile-daily.workflow.js'),
  },
  credentialsPreflight: {
    kind: 'command',
    provider: null,
    load: () => import(/* webpackMode: "eager" */ './credentials/credentials-preflight.workflow.js'),
  },
  credentialsTestAlert: {
    kind: 'command',
    provider: null,
    load: () => import(/* webpackMode: "eager" */ './credentials/credentials-test-alert.workflow.js'),
  },
} as const satisfies Record<string, RegistryEntry>;

export type WorkflowType = keyof typeof workflowRegistry;
type Registry = typeof workflowRegistry;
/** The workflow function of a type: its module's export of that name (checked below). */
export type WorkflowOf<T extends WorkflowType> = Awaited<ReturnType<Registry[T]['load']>>[T &
  keyof Awaited<ReturnType<Registry[T]['load']>>];
/** The types of one kind, e.g. FlowType: the seven flows services start. */
export type WorkflowTypeOf<K extends WorkflowKind> = { [T in WorkflowType]: Registry[T]['kind'] extends K ? T : never }[WorkflowType];
export type FlowType = WorkflowTypeOf<'flow'>;

// Compile-time: each type's module exports a workflow function of that very name.
const everyModuleExportsItsType: { [T in WorkflowType]: { load(): Promise<{ [N in T]: WorkflowFunction }> } } = workflowRegistry;
void everyModuleExportsItsType;

/** Every workflow type, in the registry's order. */
export const workflowTypes = Object.keys(workflowRegistry) as WorkflowType[];

export function isWorkflowType(name: string): name is WorkflowType {
  return Object.prototype.hasOwnProperty.call(workflowRegistry, name);
}

/** The types of one kind, in the registry's order. */
export function workflowTypesOf<K extends WorkflowKind>(kind: K): WorkflowTypeOf<K>[] {
  return workflowTypes.filter((t) => workflowRegistry[t].kind === kind) as WorkflowTypeOf<K>[];
}

/** Loads the workflow function of a type (in a workflow: from the bundle; in Node: its module). */
export async function loadWorkflow<T extends WorkflowType>(type: T): Promise<WorkflowOf<T>> {
  const module = (await workflowRegistry[type].load()) as unknown as Record<T, WorkflowOf<T>>;
  return module[type];
}
