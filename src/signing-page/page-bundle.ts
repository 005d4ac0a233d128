// The signing page's files, built once when the signing server starts: assets/page.mjs with
// assets/texts.mjs and ncalayer-js-client bundled by esbuild in memory, assets/page.css as it is, each
// named by its content hash (page.<12 hex of SHA-256>.js / .css, so they may be cached for ever), and
// assets/index.html with those names in place of its PAGE_JS / PAGE_CSS placeholders.
//
// The assets are sources, not compiled: from dist/src/signing-page/page-bundle.js they are at
// ../../../src/signing-page/assets (the Docker image copies them there), from src/signing-page/ at
// ./assets.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface SigningPageAsset {
  body: Buffer;
  contentType: string;
}

export interface SigningPageAssets {
  /** index.html with the hashed asset names: what `<page URL>/sign` answers. */
  html: Buffer;
  /** By file name (no directory), e.g. `page.0123456789ab.js`: served at `<page URL>/assets/<name>`. */
  assets: Map<string, SigningPageAsset>;
}

/** The placeholders of index.html (in `assets/PAGE_JS`, `assets/PAGE_CSS`). */
export const PAGE_JS_PLACEHOLDER = 'PAGE_JS';
export const PAGE_CSS_PLACEHOLDER = 'PAGE_CSS';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the assets are looked for, in order: beside the source, then from the compiled module. */
export function signingPageAssetCandidates(moduleDir: string = here): string[] {
  return [join(moduleDir, 'assets'), resolve(moduleDir, '..', '..', '..', 'src', 'signing-page', 'assets')];
}

/** The assets directory, or an error naming every path tried. */
export function signingPageAssetsDir(moduleDir: string = here): string {
  const candidates = signingPageAssetCandidates(moduleDir);
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'page.mjs')));
  if (found) return found;
  throw new Error(
    `signing page: its assets (index.html, page.mjs, texts.mjs, page.css) are missing: looked in ${candidates.join(' and ')}; ` +
      'the image must contain src/signing-page/assets',
  );
}

const hashName = (body: Buffer, ext: string) => `page.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${ext}`;

export async function buildSigningPage(assetsDir: string = signingPageAssetsDir()): Promise<SigningPageAssets> {
  const [source, css, bundled] = await Promise.all([
    readFile(join(assetsDir, 'index.html'), 'utf8'),
    readFile(join(assetsDir, 'page.css')),
    build({
      entryPoints: [join(assetsDir, 'page.mjs')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      sourcemap: false,
      charset: 'utf8',
      legalComments: 'none',
      write: false,
      logLevel: 'silent',
    }),
  ]);
  const [jsFile, ...more] = bundled.outputFiles; // one entry, no outdir, no source map: one file
  if (!jsFile || more.length > 0) throw new Error(`signing page: esbuild produced ${bundled.outputFiles.length} files, not one`);
  const js = Buffer.from(jsFile.contents);
  const jsName = hashName(js, 'js');
  const cssName = hashName(css, 'css');

  const template = source.replace(/<!--[\s\S]*?-->\n?/g, ''); // developer notes stay in the source
  for (const placeholder of [PAGE_JS_PLACEHOLDER, PAGE_CSS_PLACEHOLDER])
    if (template.split(`assets/${placeholder}`).length !== 2)
      throw new Error(`signing page: index.html must reference assets/${placeholder} exactly once`);
  const html = template
    .replace(`assets/${PAGE_JS_PLACEHOLDER}`, `assets/${jsName}`)
    .replace(`assets/${PAGE_CSS_PLACEHOLDER}`, `assets/${cssName}`);

  return {
    html: Buffer.from(html, 'utf8'),
    assets: new Map([
      [jsName, { body: js, contentType: 'text/javascript; charset=utf-8' }],
      [cssName, { body: css, contentType: 'text/css; charset=utf-8' }],
    ]),
  };
}
