// The links of the documentation: every relative link in README.md and docs/**/*.md points at a file
// of the repository that exists, and its `#anchor`, if any, at a heading of the target page (slugged
// as GitHub does). Links with a scheme (https:, mailto:) are not followed. Links inside code blocks
// and code spans are not links. Every docs page is in the index (docs/README.md) and links back to it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { closestName } from '../../src/common/closest-name.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * The text of a markdown file with fenced code blocks and code spans blanked out (spaces, newlines
 * kept), so offsets and line numbers still match the original.
 */
export function withoutCode(markdown: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const out: string[] = [];
  let fence: { char: string; length: number } | undefined;
  for (const line of markdown.split('\n')) {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1]![0] === fence.char && m[1]!.length >= fence.length && line.trim() === m[1]) fence = undefined;
      out.push(blank(line));
    } else if (m) {
      fence = { char: m[1]![0]!, length: m[1]!.length };
      out.push(blank(line));
    } else out.push(line);
  }
  // A code span ends at the same number of backticks, within its paragraph.
  return out.join('\n').replace(/(`+)([^`](?:[^\n]|\n(?![ \t]*\n))*?)\1(?!`)/g, (span) => blank(span));
}

/**
 * GitHub's anchor for a heading: the rendered text (markup and link targets dropped), lowercased,
 * every character that is not a letter, digit, mark, space, `-` or `_` removed, each space a `-`.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // [text](url) and images: the text only
    .replace(/<[^>]+>/g, ''); // inline HTML tags
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a markdown page: its headings' slugs (a repeated one gets -1, -2, … as on GitHub) and explicit ids. */
export function anchorsOf(markdown: string): string[] {
  const seen = new Map<string, number>();
  const anchors: string[] = [];
  const originals = markdown.split('\n');
  withoutCode(markdown)
    .split('\n')
    .forEach((line, i) => {
      // A heading is found on the blanked line (not inside a code block), slugged from its own text.
      if (/^ {0,3}#{1,6}\s/.test(line)) {
        const slug = githubSlug(/^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(originals[i]!)![1]!);
        const n = seen.get(slug) ?? 0;
        seen.set(slug, n + 1);
        anchors.push(n === 0 ? slug : `${slug}-${n}`);
      }
      for (const a of line.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) anchors.push(a[1]!);
    });
  return anchors;
}

/** Every link target of a markdown text, with its line: inline links, images and reference definitions. */
export function linksOf(markdown: string): { target: string; text: string; line: number }[] {
  const text = withoutCode(markdown);
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const links: { target: string; text: string; line: number }[] = [];
  const inline = /!?\[((?:[^[\]]|\[[^\]]*\])*)\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
  for (const m of text.matchAll(inline)) links.push({ text: m[1]!, target: m[2]!.replace(/^<|>$/g, ''), line: lineAt(m.index) });
  for (const m of text.matchAll(/^ {0,3}\[([^\]]+)\]:\s*(<[^>]*>|\S+)/gm))
    links.push({ text: m[1]!, target: m[2]!.replace(/^<|>$/g, ''), line: lineAt(m.index) });
  return links;
}

/**
 * What is wrong with the relative links of `file` (its text `markdown`), one line each. `read` gives
 * a path's markdown ('' for a file that is not markdown, or a folder) or undefined when nothing is
 * there; `root` is the repository's folder (a link may not leave it, and `/x` starts at it).
 */
export function brokenLinks(file: string, markdown: string, read: (path: string) => string | undefined, root = repoRoot): string[] {
  const problems: string[] = [];
  for (const { target, text, line } of linksOf(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // https:, mailto:, …
    const hash = target.indexOf('#');
    const pathPart = decodeURI((hash < 0 ? target : target.slice(0, hash)).replace(/\?.*$/, ''));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const path = pathPart === '' ? file : pathPart.startsWith('/') ? join(root, pathPart) : resolve(dirname(file), pathPart);
    const where = `${relative(root, file)}:${line}: [${text.replace(/\s+/g, ' ')}](${target})`;
    if (path !== root && !path.startsWith(root + sep)) {
      problems.push(`${where}: leaves the repository`);
      continue;
    }
    const content = path === file ? markdown : read(path);
    if (content === undefined) {
      problems.push(`${where}: no file ${relative(root, path)}`);
      continue;
    }
    if (anchor === undefined || !path.endsWith('.md')) continue;
    const anchors = anchorsOf(content);
    if (!anchors.includes(anchor)) {
      const near = closestName(anchor, anchors, Math.max(3, Math.floor(anchor.length / 3)));
      problems.push(`${where}: no heading #${anchor} in ${relative(root, path)}${near ? ` (did you mean #${near}?)` : ''}`);
    }
  }
  return problems;
}

/** A path's markdown as `brokenLinks` wants it, from the file system. */
function readFromDisk(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return statSync(path).isFile() && path.endsWith('.md') ? readFileSync(path, 'utf8') : '';
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? markdownFiles(p) : p.endsWith('.md') ? [p] : [];
  });
}

const docs = join(repoRoot, 'docs');
const pages = [join(repoRoot, 'README.md'), ...markdownFiles(docs)];

describe('documentation links', () => {
  it('every relative link of README.md and docs/ reaches an existing file and heading', () => {
    assert.ok(pages.length >= 18, `${pages.length} markdown files found`);
    const relativeLinks = pages.flatMap((p) => linksOf(readFileSync(p, 'utf8'))).filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target));
    assert.ok(relativeLinks.length > 50, `${relativeLinks.length} relative links found`);
    assert.deepEqual(
      pages.flatMap((p) => brokenLinks(p, readFileSync(p, 'utf8'), readFromDisk)),
      [],
    );
  });

  it('every docs page is in the index and links back to it', () => {
    const index = join(docs, 'README.md');
    const linked = new Set(linksOf(readFileSync(index, 'utf8')).map((l) => resolve(docs, l.target.replace(/#.*$/, ''))));
    for (const page of markdownFiles(docs).filter((p) => p !== index)) {
      assert.ok(linked.has(page), `${relative(repoRoot, page)} is not linked from docs/README.md`);
      const back = linksOf(readFileSync(page, 'utf8')).some((l) => resolve(dirname(page), l.target.replace(/#.*$/, '')) === index);
      assert.ok(back, `${relative(repoRoot, page)} does not link back to docs/README.md`);
    }
  });

  it('the checker catches a link to a missing file and to a missing heading', () => {
    const root = '/repo';
    const files: Record<string, string> = {
      '/repo/docs/target.md': '# Target\n\n## Keys and codec keys\n\n```bash\n# not a heading\n```\n',
      '/repo/src/x.ts': '',
    };
    const read = (p: string) => files[p];
    const markdown = [
      '# Index',
      '',
      '[fine](target.md) and [fine too](target.md#keys-and-codec-keys), [a file](../src/x.ts), [here](#index)',
      '[gone](missing.md) and [a bad anchor](target.md#keys-and-codec-key)',
      '[not a heading](target.md#not-a-heading) and [outside](../../etc/passwd)',
      '`[in a code span](nowhere.md)` and [external](https://example.com/nowhere.md)',
      '```md',
      '[in a code block](nowhere.md)',
      '```',
    ].join('\n');
    assert.deepEqual(brokenLinks('/repo/docs/index.md', markdown, read, root), [
      'docs/index.md:4: [gone](missing.md): no file docs/missing.md',
      'docs/index.md:4: [a bad anchor](target.md#keys-and-codec-key): no heading #keys-and-codec-key in docs/target.md (did you mean #keys-and-codec-keys?)',
      'docs/index.md:5: [not a heading](target.md#not-a-heading): no heading #not-a-heading in docs/target.md',
      'docs/index.md:5: [outside](../../etc/passwd): leaves the repository',
    ]);
  });

  it('slugs headings as GitHub does', () => {
    assert.equal(
      githubSlug("cipherInspectKeyStore: a key container's keys and expiry"),
      'cipherinspectkeystore-a-key-containers-keys-and-expiry',
    );
    assert.equal(
      githubSlug('Kazakh GOST keys (NCA RK): signed and verified without Kalkan'),
      'kazakh-gost-keys-nca-rk-signed-and-verified-without-kalkan',
    );
    assert.equal(
      githubSlug('The production topology without Docker: `scripts/local-cluster`'),
      'the-production-topology-without-docker-scriptslocal-cluster',
    );
    assert.equal(githubSlug('Using the `trustflow` command'), 'using-the-trustflow-command');
    assert.equal(githubSlug('See [Security](security.md) -- and_more'), 'see-security----and_more');
    assert.equal(githubSlug('Ключи и сертификаты'), 'ключи-и-сертификаты');
    assert.deepEqual(anchorsOf('# A\n## Sandbox\n### Sandbox\n```\n# Sandbox\n```\n## `code` title\n'), [
      'a',
      'sandbox',
      'sandbox-1',
      'code-title',
    ]);
  });
});
