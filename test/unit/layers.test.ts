// The layers of src/, lowest first. A file may import from its own folder and from folders of lower
// layers only, never upwards or sideways: contracts stay usable without crypto or providers, the
// providers and crypto without Temporal, and a new folder must be given its place here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

export const LAYERS: readonly (readonly string[])[] = [
  ['common'], //                        pure helpers, error types, policies, search attributes
  ['contracts', 'secrets', 'codec'], // public input/output contracts; secret references; payload codec
  ['crypto'], //                        signers, CMS, PKCS#12, OpenSSL
  ['providers'], //                     HTTP clients + wire schemas (no Temporal)
  ['flows'], //                         the Temporal side, one folder per provider or feature
  ['signing-page'], //                  the person signer's page: its HTTP server, its backend, the page
  ['sandbox'], //                       the provider simulators (their examples are flows' inputs)
  ['client'], //                        start/execute helpers, the CLI
  ['worker'], //                        the worker process
  ['demo'], //                          `npm start`: dev server, sandbox, worker and one run per flow
  ['index.ts'], //                      the package surface
];

const src = join(repoRoot, 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function layerOf(top: string): number {
  return LAYERS.findIndex((l) => l.includes(top));
}

/** `from -> to (why)` for every import in `source` (a file at `file`) that goes up or sideways. */
export function upwardImports(file: string, source: string): string[] {
  const from = relative(src, file).split('/')[0]!;
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT)) {
    const spec = (m[1] ?? m[2])!;
    const to = relative(src, resolve(dirname(file), spec)).split('/')[0]!;
    if (to === from) continue;
    const [lf, lt] = [layerOf(from), layerOf(to)];
    if (lf < 0 || lt < 0) out.push(`${relative(repoRoot, file)}: '${spec}' (${lf < 0 ? from : to} has no layer: add it to LAYERS)`);
    else if (lt >= lf)
      out.push(`${relative(repoRoot, file)}: '${spec}' (${from} may not import ${to}: ${lt === lf ? 'same layer' : 'a higher layer'})`);
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('layers of src/', () => {
  it('no file imports from a folder above (or beside) its own layer', () => {
    const files = sources(src);
    assert.ok(files.length > 50, `${files.length} source files found`);
    assert.deepEqual(
      files.flatMap((f) => upwardImports(f, readFileSync(f, 'utf8'))),
      [],
    );
  });

  it('the checker catches upward, sideways and unplaced imports', () => {
    const at = (p: string) => join(src, p);
    assert.equal(upwardImports(at('contracts/x.ts'), "import { openSigner } from '../crypto/signer.js';").length, 1);
    assert.equal(
      upwardImports(at('providers/x.ts'), "import type { X } from '../flows/kisc/activities.js';").length,
      1,
      'type imports count too',
    );
    assert.equal(upwardImports(at('secrets/x.ts'), "export { A } from '../codec/keyring.js';").length, 1, 'same layer');
    assert.equal(upwardImports(at('common/x.ts'), "const m = await import('../worker/main.js');").length, 1);
    assert.match(upwardImports(at('newthing/x.ts'), "import { a } from '../common/env.js';")[0] ?? '', /newthing has no layer/);
    assert.deepEqual(
      upwardImports(at('flows/kisc/x.ts'), "import { a } from '../../providers/http.js';\nimport { b } from '../ismpt/y.js';"),
      [],
    );
  });
});
