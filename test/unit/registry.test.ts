// The registry (src/flows/registry.ts) lists every workflow type, and what derives from it agrees:
// every workflow function in a `*.workflow.ts` is registered, every registered type's module exports
// it, the package exports exactly the registered workflow functions, and the flows' contracts are
// the registry's `flow` kind. A workflow added without its registry line fails here.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import * as pkg from '../../src/index.js';
import { flowContracts, workflowFunctions } from '../../src/flows/contracts.js';
import { loadWorkflow, workflowRegistry, workflowTypes, workflowTypesOf } from '../../src/flows/registry.js';
import { repoRoot } from '../helpers/paths.js';

const flowsDir = join(repoRoot, 'src', 'flows');
const WORKFLOW_EXPORT = /^export\s+async\s+function\s+(\w+)/gm;

function workflowSources(dir = flowsDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? workflowSources(join(dir, e.name)) : e.name.endsWith('.workflow.ts') ? [join(dir, e.name)] : [],
  );
}

/** `file: name` for every workflow function a `*.workflow.ts` source exports that the registry does not list. */
export function unregisteredWorkflows(sources: { file: string; text: string }[], registered: readonly string[]): string[] {
  return sources.flatMap(({ file, text }) =>
    [...text.matchAll(WORKFLOW_EXPORT)]
      .map((m) => m[1]!)
      .filter((name) => !registered.includes(name))
      .map((name) => `${file}: ${name}`),
  );
}

describe('the workflow registry', () => {
  const sources = workflowSources().map((f) => ({ file: relative(repoRoot, f), text: readFileSync(f, 'utf8') }));

  it('lists every workflow function of every *.workflow.ts, and each file holds one', () => {
    assert.ok(sources.length >= 15, `${sources.length} workflow files found`);
    assert.deepEqual(unregisteredWorkflows(sources, workflowTypes), []);
    const exported = sources.flatMap(({ text }) => [...text.matchAll(WORKFLOW_EXPORT)].map((m) => m[1]!));
    assert.deepEqual([...exported].sort(), [...workflowTypes].sort(), 'one workflow function per registered type, none twice');
  });

  it("loads each type's function from its module, under its own name", async () => {
    for (const type of workflowTypes) {
      const fn: unknown = await loadWorkflow(type);
      assert.equal(typeof fn, 'function', type);
      assert.equal((fn as () => void).name, type, `${type}'s module exports it under that name (the SDK starts it by fn.name)`);
      // The module path says which folder holds it: the provider's, or keepers/credentials.
      const load = String(workflowRegistry[type].load);
      assert.match(load, /\.\/(ismpt|kontur|kisc|cipher|kpsis|keepers|credentials)\/[a-z-]+\.workflow\.js/, type);
    }
  });

  it('the package exports exactly the registered workflow functions', async () => {
    const exportedFunctions = Object.entries(pkg).filter(([name, v]) => typeof v === 'function' && name in workflowRegistry);
    assert.deepEqual(exportedFunctions.map(([n]) => n).sort(), [...workflowTypes].sort());
    for (const type of workflowTypes) {
      assert.equal(
        (pkg as Record<string, unknown>)[type],
        await loadWorkflow(type),
        `${type}: the package's export is the worker's function`,
      );
      assert.equal(workflowFunctions[type], await loadWorkflow(type), type);
    }
  });

  it("the flows' contracts are the registry's `flow` kind, each of its own type", () => {
    assert.deepEqual(Object.keys(flowContracts), workflowTypesOf('flow'));
    for (const [type, contract] of Object.entries(flowContracts)) {
      assert.equal(contract.workflowType, type);
      assert.equal(contract.provider, workflowRegistry[type as keyof typeof workflowRegistry].provider, `${type}: one provider`);
    }
    assert.equal(workflowTypesOf('flow').length, 7);
    assert.ok(workflowTypes.length >= 15, 'flows, keepers, the credential lifecycle and internal types are all listed');
  });

  it('the check catches a workflow missing from the registry', () => {
    const text = 'export async function mptSignIn() {}\nexport async function brandNewFlow(input: X) {}\nexport function helper() {}';
    assert.deepEqual(unregisteredWorkflows([{ file: 'src/flows/x/brand-new.workflow.ts', text }], workflowTypes), [
      'src/flows/x/brand-new.workflow.ts: brandNewFlow',
    ]);
  });
});
