// The signing page's bundle (src/signing-page/page-bundle.ts): it builds from the sources under
// src/signing-page/assets, the HTML names exactly the content-hashed assets and carries nothing the
// server's CSP would block (inline scripts, style attributes or blocks), the JavaScript evaluates no
// strings, and every text has its Russian and English version (Kazakh may fall back to English).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import {
  buildSigningPage,
  signingPageAssetCandidates,
  signingPageAssetsDir,
  type SigningPageAssets,
} from '../../src/signing-page/page-bundle.js';
import { repoRoot } from '../helpers/paths.js';

const assetsDir = join(repoRoot, 'src', 'signing-page', 'assets');

/** The hooks the browser tests and the server rely on (page.mjs's header). */
const HOOK_IDS = ['main', 'status', 'reason', 'sign', 'hash', 'expected-iin'];

interface Texts {
  LANGS: readonly string[];
  TEXTS: Record<string, Record<string, string>>;
  t(lang: string, key: string, params?: Record<string, string | number>): string;
  supportedLang(tag: unknown): string | null;
}

let page: SigningPageAssets;
let html: string;

before(async () => {
  page = await buildSigningPage();
  html = page.html.toString('utf8');
});

describe('signing page bundle', () => {
  it('finds its assets from the compiled module (dist/src/signing-page → src/signing-page/assets)', () => {
    assert.equal(signingPageAssetsDir(), assetsDir);
    const fromSource = signingPageAssetCandidates(join(repoRoot, 'src', 'signing-page'));
    assert.equal(fromSource[0], assetsDir);
  });

  it('names the directories it looked in when the assets are missing', () => {
    const nowhere = join(repoRoot, 'no-such-dir', 'a', 'b', 'c');
    assert.throws(
      () => signingPageAssetsDir(nowhere),
      (e: Error) => e.message.includes(join(nowhere, 'assets')) && /missing/.test(e.message),
    );
  });

  it('serves one script and one stylesheet, each named by the SHA-256 of its content', () => {
    const names = [...page.assets.keys()].sort();
    assert.equal(names.length, 2);
    const js = names.find((n) => n.endsWith('.js'))!;
    const css = names.find((n) => n.endsWith('.css'))!;
    assert.match(js, /^page\.[0-9a-f]{12}\.js$/);
    assert.match(css, /^page\.[0-9a-f]{12}\.css$/);
    for (const name of names) {
      const asset = page.assets.get(name)!;
      assert.equal(name.split('.')[1], createHash('sha256').update(asset.body).digest('hex').slice(0, 12));
    }
    assert.equal(page.assets.get(js)!.contentType, 'text/javascript; charset=utf-8');
    assert.equal(page.assets.get(css)!.contentType, 'text/css; charset=utf-8');
    assert.deepEqual(page.assets.get(css)!.body, readFileSync(join(assetsDir, 'page.css')));
  });

  it('references exactly the hashed assets from the HTML, and nothing else', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.equal(scripts.length, 1);
    const [, attrs, body] = scripts[0]!;
    assert.match(attrs!, /\btype="module"/);
    const jsName = [...page.assets.keys()].find((n) => n.endsWith('.js'))!;
    const cssName = [...page.assets.keys()].find((n) => n.endsWith('.css'))!;
    assert.match(attrs!, new RegExp(`\\bsrc="assets/${jsName.replace(/\./g, '\\.')}"`));
    assert.equal(body!.trim(), '', 'no inline script');
    const links = [...html.matchAll(/<link\b[^>]*>/gi)].map((m) => m[0]);
    assert.deepEqual(links, [`<link rel="stylesheet" href="assets/${cssName}" />`]);
    const referenced = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(referenced.sort(), [`assets/${cssName}`, `assets/${jsName}`].sort());
    assert.doesNotMatch(html, /PAGE_JS|PAGE_CSS/);
  });

  it('has nothing the CSP blocks or that reaches another origin: no style, no handlers, no absolute URLs', () => {
    assert.doesNotMatch(html, /<style\b/i);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
    assert.doesNotMatch(html, /(?:src|href|action)\s*=\s*"(?:[a-z]+:|\/\/)/i, 'only relative references');
    assert.doesNotMatch(html, /=\s*"\s*javascript:/i);
    assert.doesNotMatch(html, /<!--/, "the source's comments are not served");
  });

  it('is an accessible page: one main, a live status region, the test hooks', () => {
    assert.equal(html.match(/<main\b/g)?.length, 1);
    assert.match(html, /<div id="status"[^>]*\brole="status"[^>]*\baria-live="polite"[^>]*\bdata-state="loading"/);
    for (const id of HOOK_IDS) assert.equal(html.match(new RegExp(`\\bid="${id}"`, 'g'))?.length, 1, `#${id}`);
    assert.match(html, /<button id="sign"[^>]*type="button"/);
    assert.match(html, /<noscript>[\s\S]*JavaScript[\s\S]*<\/noscript>/);
    assert.match(html, /<meta name="viewport"/);
  });

  it('bundles the client for the browser: no eval, no Function constructor, no require, no Node built-ins', () => {
    const js = page.assets.get([...page.assets.keys()].find((n) => n.endsWith('.js'))!)!.body.toString('utf8');
    assert.doesNotMatch(js, /\beval\s*\(/);
    assert.doesNotMatch(js, /\bnew\s+Function\b|\bFunction\s*\(/);
    assert.doesNotMatch(js, /\brequire\s*\(\s*["']/);
    assert.doesNotMatch(js, /node:/);
    assert.doesNotMatch(js, /sourceMappingURL/);
    assert.match(js, /kz\.gov\.pki\.knca\.basics/, 'the sigex client is in the bundle');
    // Nothing the page writes to the console or to storage.
    assert.doesNotMatch(readFileSync(join(assetsDir, 'page.mjs'), 'utf8'), /console\.|localStorage|sessionStorage|document\.cookie/);
  });
});

describe('signing page texts', () => {
  let texts: Texts;
  before(async () => {
    texts = (await import(pathToFileURL(join(assetsDir, 'texts.mjs')).href)) as Texts;
  });

  it('has every key in Russian and English, and Kazakh only with keys English has', () => {
    const { en, ru, kk } = texts.TEXTS as Record<'en' | 'ru' | 'kk', Record<string, string>>;
    assert.deepEqual(Object.keys(ru).sort(), Object.keys(en).sort());
    assert.deepEqual(
      Object.keys(kk).filter((k) => !(k in en)),
      [],
    );
    for (const [lang, table] of Object.entries(texts.TEXTS))
      for (const [key, text] of Object.entries(table)) assert.ok(text.trim().length > 0, `${lang}.${key} is empty`);
  });

  it('uses the same parameters in every language', () => {
    const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const lang of ['ru', 'kk'])
      for (const [key, text] of Object.entries(texts.TEXTS[lang]!))
        assert.deepEqual(params(text), params(texts.TEXTS.en![key]!), `${lang}.${key}`);
  });

  it('has a text for every refusal reason of the contract', () => {
    const contract = readFileSync(join(repoRoot, 'src', 'flows', 'person-signing', 'person-signing.contract.ts'), 'utf8');
    const union = /export type PersonSignatureRefusal =([\s\S]*?);/.exec(contract)![1]!;
    const reasons = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]!);
    assert.ok(reasons.length >= 10);
    for (const reason of reasons) assert.ok(`refused.${reason}` in texts.TEXTS.en!, reason);
  });

  it('falls back to English, fills parameters, and picks languages from tags', () => {
    const kkOnlyEnglish = Object.keys(texts.TEXTS.en!).find((k) => !(k in texts.TEXTS.kk!));
    if (kkOnlyEnglish) assert.equal(texts.t('kk', kkOnlyEnglish), texts.t('en', kkOnlyEnglish));
    assert.match(texts.t('en', 'refused.wrong-signer', { iin: '1234' }), /1234/);
    assert.equal(texts.t('en', 'no-such-key'), 'no-such-key');
    assert.equal(texts.supportedLang('ru-RU'), 'ru');
    assert.equal(texts.supportedLang('KK'), 'kk');
    assert.equal(texts.supportedLang('de'), null);
    assert.deepEqual([...texts.LANGS].sort(), ['en', 'kk', 'ru']);
  });
});
