// `trustflow schema`: the published contract for callers in other languages (client/contract-files.ts).
// Local: needs no Temporal server and no keys. One schema goes to stdout as it is, so `| jq` works.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { closestName } from '../../common/closest-name.js';
import { workflowTypesOf } from '../../flows/registry.js';
import { contractFiles, contractIndex, flowJsonSchema, flowTypeNamed } from '../contract-files.js';
import { defineCommand, UsageError } from './command.js';
import type { Commands } from './shared.js';

const flowNames = () => workflowTypesOf('flow').join(', ');

/** Writes contract/ (or checks it): the generated files, and no stale schema of a flow that is gone. */
async function syncContract(dir: string, check: boolean): Promise<{ changed: string[]; removed: string[] }> {
  const files = contractFiles();
  const changed: string[] = [];
  for (const [path, text] of files) {
    const target = join(dir, path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current === text) continue;
    changed.push(path);
    if (check) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  }
  const stale = (await readdir(join(dir, 'schemas')).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.schema.json') && !files.has(`schemas/${name}`))
    .map((name) => `schemas/${name}`);
  if (!check) for (const path of stale) await rm(join(dir, path));
  return { changed, removed: stale };
}

const command = defineCommand({
  summary: "a flow's input or result as JSON Schema, for callers in any language",
  positionals: { names: ['<flow>'], required: 0 },
  options: {
    result: { type: 'boolean', help: "the flow's result instead of its input" },
    index: { type: 'boolean', help: 'contract.json: task queue, id rules, start options, failure types, search attributes' },
    write: { type: 'string', value: 'DIR', help: 'write every contract file into DIR (the repository keeps them in contract/)' },
    check: { type: 'string', value: 'DIR', help: 'exit 1 when DIR differs from what this version generates' },
  },
  details: `flows: ${flowNames()} (or their CLI names: mpt-sign-in, ...).
The schemas are JSON Schema 2020-12 generated from trustflow's zod contracts. An input schema is
what a caller sends (fields with defaults may be left out); the worker checks more than a schema can
say (cross-field rules, check digits) and fails the flow with type InvalidInput when it refuses.
docs/calling-trustflow.md explains the contract and shows callers in TypeScript, Go, Python, Java, .NET.
Examples:
  trustflow schema mptSignIn | jq .properties.signer
  trustflow schema kisc-verify-identity --result
  trustflow schema --index | jq .failureTypes
  trustflow schema --write contract     (after changing a contract; commit the result)
Exit codes: 0 printed or written; 1 --check found differences; 2 wrong usage.`,
  async run(v, [name]) {
    const modes = [name !== undefined || v.result === true, v.index === true, v.write !== undefined, v.check !== undefined].filter(Boolean);
    if (modes.length !== 1) {
      throw new UsageError(`name a flow (${flowNames()}), or give one of --index, --write DIR, --check DIR`);
    }
    if (v.write !== undefined || v.check !== undefined) {
      const given = (v.write ?? v.check)!;
      // An empty value (an unset variable: --write "$DIR") would mean the current directory.
      if (given.trim() === '') throw new UsageError(`--${v.write !== undefined ? 'write' : 'check'} needs a directory, e.g. contract`);
      const dir = resolve(given);
      const { changed, removed } = await syncContract(dir, v.check !== undefined);
      if (v.check !== undefined) {
        if (changed.length + removed.length === 0) {
          console.error(`${dir}: up to date`);
          return 0;
        }
        console.error(
          `${dir} differs from this version's contract: ${[...changed, ...removed.map((r) => `${r} (stale)`)].join(', ')}; ` +
            `run: trustflow schema --write ${v.check}`,
        );
        return 1;
      }
      console.error(
        `${dir}: ${changed.length} written, ${removed.length} stale removed, ${contractFiles().size - changed.length} unchanged`,
      );
      return 0;
    }
    if (v.index === true) {
      console.log(JSON.stringify(contractIndex(), null, 2));
      return 0;
    }
    if (name === undefined) throw new UsageError(`--result needs a flow: trustflow schema <flow> --result (flows: ${flowNames()})`);
    const type = flowTypeNamed(name);
    if (!type) {
      const near = closestName(name, [...workflowTypesOf('flow')]);
      throw new UsageError(`unknown flow '${name}'${near ? `; did you mean '${near}'?` : ''}; flows: ${flowNames()}`);
    }
    console.log(JSON.stringify(flowJsonSchema(type, v.result === true ? 'result' : 'input'), null, 2));
    return 0;
  },
});

/** Registered in main.ts as a command of its own (not a group). */
export const commands: Commands = { schema: command };
