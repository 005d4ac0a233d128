// The rule for workflow code: deterministic code only. No Node built-ins, no I/O libraries, and
// activities imported with `import type` only. Workflow code is known by its file role: in src/flows/,
// every file except the activities (`activities.ts`, `*.activities.ts`). Checked over every file it
// reaches through relative imports, so a helper in src/common cannot smuggle a built-in in.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

/** Packages workflow code may import (they are built for the workflow sandbox or are pure). */
const ALLOWED_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common', 'zod', 'asn1js', '@noble/hashes']);
const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
/** `import('./x.js')`, with or without a bundler comment: flows/registry.ts loads each flow this way. */
const DYNAMIC_IMPORT = /\bimport\(\s*(?:\/\*[^*]*\*\/\s*)?['"]([^'"]+)['"]\s*\)/g;

/** Every import of a source: [specifier, type-only]. */
function importsOf(source: string): [string, boolean][] {
  return [
    ...[...source.matchAll(IMPORT)].map((m): [string, boolean] => [m[3]!, !!m[2]]),
    ...[...source.matchAll(DYNAMIC_IMPORT)].map((m): [string, boolean] => [m[1]!, false]),
  ];
}

/** The activities' role: `activities.ts` or `<name>.activities.ts` (Node code, run by the worker, never in a workflow). */
export function isActivitiesFile(path: string): boolean {
  return /(^|[/.])activities\.(ts|js)$/.test(path);
}

/** Every workflow-code file: src/flows/ without its activities. */
export function workflowCodeFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  return walk(join(repoRoot, 'src', 'flows')).filter((f) => !isActivitiesFile(f));
}

export function violationsOf(file: string, source: string): { spec: string; problem: string; typeOnly: boolean }[] {
  const out: { spec: string; problem: string; typeOnly: boolean }[] = [];
  for (const [spec, typeOnly] of importsOf(source)) {
    if (typeOnly) continue; // erased at compile time
    const bare = spec.replace(/^node:/, '').split('/')[0]!;
    if (spec.startsWith('node:') || builtinModules.includes(bare)) out.push({ spec, problem: 'Node built-in', typeOnly });
    else if (spec.startsWith('.')) {
      if (isActivitiesFile(resolve(dirname(file), spec)))
        out.push({ spec, problem: 'activities must be imported with `import type`', typeOnly });
    } else {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : bare;
      if (!ALLOWED_PACKAGES.has(pkg))
        out.push({ spec, problem: `package not allowed in workflows (allowed: ${[...ALLOWED_PACKAGES].join(', ')})`, typeOnly });
    }
  }
  return out;
}

function reachableFiles(entries: string[]): string[] {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [spec, typeOnly] of importsOf(readFileSync(file, 'utf8'))) {
      if (typeOnly || !spec.startsWith('.')) continue;
      queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  }
  return [...seen];
}

describe('workflow code rules', () => {
  it('no Node built-ins, foreign packages or value imports of activities in anything a workflow reaches', () => {
    const entries = workflowCodeFiles();
    assert.ok(entries.length >= 30, `${entries.length} workflow sources found`);
    assert.ok(
      entries.some((f) => f.endsWith('registry.ts')) && !entries.some(isActivitiesFile),
      'the registry is workflow code, activities are not',
    );
    const problems = reachableFiles(entries).flatMap((f) =>
      violationsOf(f, readFileSync(f, 'utf8')).map((v) => `${relative(repoRoot, f)}: '${v.spec}' (${v.problem})`),
    );
    assert.deepEqual(problems, []);
  });

  it('the checker catches each kind of violation', () => {
    const file = join(repoRoot, 'src', 'flows', 'ismpt', 'x.workflow.ts');
    const bad = [
      "import { readFile } from 'node:fs/promises';",
      "import crypto from 'crypto';",
      "import got from 'got';",
      "import { createIsmptActivities } from './activities.js';",
      "import type { IsmptActivities } from './activities.js';",
      "import { proxyActivities } from '@temporalio/workflow';",
      'const m = await import(/* webpackMode: "eager" */ \'node:crypto\');',
      "const a = await import('../credentials/alerts.activities.js');",
    ].join('\n');
    assert.deepEqual(
      violationsOf(file, bad).map((v) => v.problem.split(' (')[0]),
      [
        'Node built-in',
        'Node built-in',
        'package not allowed in workflows',
        'activities must be imported with `import type`',
        'Node built-in',
        'activities must be imported with `import type`',
      ],
    );
  });
});
