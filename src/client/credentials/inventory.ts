// An inventory file read and validated, and the config (entry, policy, hash) a watch is given for
// each of its credentials.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { canonicalJson } from '../../common/canonical-json.js';
import { InventoryError, parseInventory, type Inventory } from '../../flows/credentials/inventory.contract.js';
import type { CredentialConfig } from '../../flows/credentials/credential-watch.contract.js';

export { InventoryError };

/** Reads an inventory file (.yaml/.yml or .json; YAML is a superset of JSON) and validates it. */
export async function loadInventoryFile(path: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InventoryError([`${path}: cannot read the inventory (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new InventoryError([
      `${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    ]);
  }
  return parseInventory(raw);
}

/** An entry and its policy as a watch gets them, with the hash apply compares. */
export function configOf(c: Inventory['credentials'][number]): CredentialConfig {
  const configHash = createHash('sha256')
    .update(canonicalJson({ entry: c.entry, policy: c.policy }))
    .digest('hex');
  return { entry: c.entry, policy: c.policy, configHash };
}
