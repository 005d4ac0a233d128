// The signing page's HTTP layer (src/signing-page/server.ts) over real HTTP(S) on loopback, with an
// in-memory SigningBackend and a tiny page: every route and error code, the security headers, the
// same-origin rules, limits, the rate limit, TLS, a graceful stop, and logs without secrets.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/common/logger.js';
import {
  MAX_PERSON_CMS_BASE64_CHARS,
  type PersonSigningView,
  type SubmitPersonSignatureRequest,
} from '../../src/flows/person-signing/person-signing.contract.js';
import { linkKeyFromSecret, sealLinkToken, type SigningLink } from '../../src/common/signing-link.js';
import {
  contentSecurityPolicy,
  createSigningServer,
  MAX_API_BODY_BYTES,
  SigningBackendUnavailableError,
  type SigningBackend,
  type SigningServer,
  type SigningServerOptions,
  type SubmitOutcome,
} from '../../src/signing-page/server.js';
import { freePort } from '../helpers/ports.js';
import { loopbackCertificate } from '../helpers/tls.js';

const linkKey = linkKeyFromSecret('signing-server-test-secret-0123456789abcdef');
const otherKey = linkKeyFromSecret('some-other-deployment-secret-0123456789abcdef');
/** The clock the server opens links by. */
const clock = new Date('2026-03-01T10:00:00Z');
const IIN = '870412300415';
const CMS = `MIIB${Buffer.from(`cms-of-${IIN}-signed`).toString('base64')}`;

function viewOf(requestId: string, state: PersonSigningView['state'] = 'waiting'): PersonSigningView {
  return {
    requestId,
    state,
    role: 'director',
    service: 'IS MPT (Kazakhstan goods marking)',
    purpose: 'Sign in to IS MPT for seller 1042',
    requestedAt: '2026-03-01T09:00:00Z',
    deadline: '2026-03-02T09:00:00Z',
    challenge: {
      id: 'ch-1',
      dataBase64: Buffer.from('challenge').toString('base64'),
      sha256: 'ab'.repeat(32),
      issuedAt: '2026-03-01T09:00:00Z',
      replaced: 0,
    },
    expected: { iinLast4: IIN.slice(-4), bin: null, extKeyUsage: ['1.3.6.1.5.5.7.3.2'], allowedStorages: null, testKeys: false },
    locale: 'ru',
    lastRefusal: null,
  };
}

/** Flows by workflow id; what was submitted; and what each submission answers. */
class MemoryBackend implements SigningBackend {
  views = new Map<string, PersonSigningView | 'completed'>();
  submitted: { link: SigningLink; req: SubmitPersonSignatureRequest }[] = [];
  answer: (req: SubmitPersonSignatureRequest) => Promise<SubmitOutcome> = async () => ({
    accepted: true,
    signer: { serialNumber: '1f2e3d', notAfter: '2027-01-01T00:00:00Z', iinLast4: IIN.slice(-4), bin: null },
  });

  async view(link: SigningLink): Promise<PersonSigningView | 'not-found' | 'completed'> {
    if (link.workflowId === 'wf-down') throw new SigningBackendUnavailableError('query-timeout');
    if (link.workflowId === 'wf-bug') throw new Error(`bug while asking ${link.workflowId}`);
    return this.views.get(link.workflowId) ?? 'not-found';
  }

  async submit(link: SigningLink, req: SubmitPersonSignatureRequest): Promise<SubmitOutcome> {
    this.submitted.push({ link, req });
    return this.answer(req);
  }
}

let logs = '';
const logger = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) }) });
const page = {
  html: Buffer.from('<!doctype html><title>sign</title><script src="/assets/page.abc123.js"></script>'),
  assets: new Map([['page.abc123.js', { body: Buffer.from('console.log("page")'), contentType: 'text/javascript; charset=utf-8' }]]),
};
const NCALAYER = 'wss://127.0.0.1:13579';
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' wss://127.0.0.1:13579 ws://127.0.0.1:13579; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const backend = new MemoryBackend();
const servers: SigningServer[] = [];
const tokens: string[] = [];

async function startServer(o: Partial<SigningServerOptions> = {}): Promise<SigningServer> {
  const s = createSigningServer({
    backend,
    linkKey,
    listen: { host: '127.0.0.1', port: 0 },
    ncalayerUrl: NCALAYER,
    page,
    logger,
    now: () => clock,
    // Generous: only the rate limit's own test runs into it.
    rateLimit: { perMinute: 6000, burst: 1000 },
    ...o,
  });
  await s.start();
  servers.push(s);
  return s;
}

let server: SigningServer;
let n = 0;
/** A waiting request in the backend and a link to it. */
function newRequest(state: PersonSigningView['state'] = 'waiting', o: { key?: Buffer; expiresAt?: Date; requestId?: string } = {}) {
  const workflowId = `wf-person-${++n}`;
  const requestId = `req-${n}-5f2a`;
  backend.views.set(workflowId, viewOf(o.requestId ?? requestId, state));
  return { workflowId, requestId, token: tokenFor(workflowId, requestId, o) };
}
function tokenFor(workflowId: string, requestId: string, o: { key?: Buffer; expiresAt?: Date } = {}): string {
  const token = sealLinkToken(o.key ?? linkKey, { workflowId, requestId, expiresAt: o.expiresAt ?? new Date(clock.getTime() + 3_600_000) });
  tokens.push(token);
  return token;
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}, s = server) =>
  fetch(s.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function expectError(res: Response, status: number, code: string, o: { hsts?: boolean } = {}): Promise<void> {
  assert.equal(res.status, status, `${code}: status`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 10, 'a message for people');
  assertSecurityHeaders(res, 'no-store', o);
}

function assertSecurityHeaders(res: Response, cache?: string, o: { hsts?: boolean } = {}): void {
  assert.equal(res.headers.get('content-security-policy'), CSP);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin');
  assert.match(res.headers.get('permissions-policy') ?? '', /camera=\(\).*microphone=\(\).*geolocation=\(\)/);
  assert.equal(res.headers.get('access-control-allow-origin'), null, 'no CORS');
  assert.equal(res.headers.get('strict-transport-security'), o.hsts ? 'max-age=31536000' : null, 'HSTS with TLS (or behind a proxy) only');
  if (cache) assert.equal(res.headers.get('cache-control'), cache);
}

before(async () => {
  server = await startServer();
});
after(async () => {
  for (const s of servers) await s.stop();
});

describe('signing server: the page and its files', () => {
  it('GET /sign: the page, not cached, with the security headers (a query string is ignored)', async () => {
    for (const path of ['/sign', '/sign?utm_source=chat']) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
      assertSecurityHeaders(res, 'no-store');
      assert.equal(await res.text(), page.html.toString());
    }
    const head = await fetch(server.url + '/sign', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('GET /: a short page saying what links look like', async () => {
    const res = await fetch(server.url + '/');
    assert.equal(res.status, 200);
    assertSecurityHeaders(res, 'no-store');
    assert.match(await res.text(), /\/sign#/);
  });

  it('GET /assets/<name>: the bundled file, immutable, with the security headers; an unknown name is 404', async () => {
    const res = await fetch(server.url + '/assets/page.abc123.js');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assertSecurityHeaders(res);
    assert.equal(await res.text(), 'console.log("page")');
    for (const path of ['/assets/page.zzz.js', '/assets/', '/assets/%2e%2e%2fsign', '/assets/page.abc123.js/x'])
      assert.equal((await fetch(server.url + path)).status, 404, path);
  });

  it('GET /healthz: 200 ok', async () => {
    const res = await fetch(server.url + '/healthz');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
    assertSecurityHeaders(res, 'no-store');
  });

  it('anything else is 404; a wrong method 405 with Allow', async () => {
    for (const path of ['/nope', '/sign/', '/index.html', '/favicon.ico']) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 404, path);
      assertSecurityHeaders(res, 'no-store');
    }
    await expectError(await post('/api/nope', {}), 404, 'not-found');
    const wrong = await fetch(server.url + '/sign', { method: 'POST', body: '{}' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD');
    for (const method of ['GET', 'PUT', 'OPTIONS']) {
      const res = await fetch(server.url + '/api/request', { method, headers: { origin: 'https://evil.example' } });
      await expectError(res, 405, 'method-not-allowed');
      assert.equal(res.headers.get('allow'), 'POST');
    }
  });

  it('builds the CSP from the configured NCALayer URL, keeping the default ones', () => {
    assert.equal(
      contentSecurityPolicy('wss://localhost:13579'),
      CSP.replace("connect-src 'self' ", "connect-src 'self' wss://localhost:13579 "),
    );
    assert.equal(
      contentSecurityPolicy('ws://127.0.0.1:13579'),
      CSP.replace('wss://127.0.0.1:13579 ws://127.0.0.1:13579', 'ws://127.0.0.1:13579 wss://127.0.0.1:13579'),
    );
  });
});

describe('signing server: POST /api/request', () => {
  it('answers the request (without its id) and where NCALayer is', async () => {
    const r = newRequest();
    const res = await post('/api/request', { token: r.token });
    assert.equal(res.status, 200);
    assertSecurityHeaders(res, 'no-store');
    const body = (await res.json()) as { request: Record<string, unknown>; ncalayerUrl: string };
    const { requestId: _, ...expected } = viewOf(r.requestId);
    assert.deepEqual(body, { request: expected, ncalayerUrl: NCALAYER });
  });

  it('a checking request is shown too', async () => {
    const r = newRequest('checking');
    const res = await post('/api/request', { token: r.token });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { request: { state: string } }).request.state, 'checking');
  });

  it('link-malformed (400): garbled, missing, not a string, sealed with another key', async () => {
    const r = newRequest();
    const garbled = r.token.slice(0, 20) + (r.token[20] === 'A' ? 'B' : 'A') + r.token.slice(21);
    for (const body of [
      { token: garbled },
      {},
      { token: 42 },
      { token: '' },
      { token: tokenFor(r.workflowId, r.requestId, { key: otherKey }) },
    ])
      await expectError(await post('/api/request', body), 400, 'link-malformed');
  });

  it('link-expired (410)', async () => {
    const r = newRequest('waiting', { expiresAt: new Date(clock.getTime() - 1000) });
    await expectError(await post('/api/request', { token: r.token }), 410, 'link-expired');
  });

  it('link-used (410): the request was signed, while the flow runs on and after it completed', async () => {
    await expectError(await post('/api/request', { token: newRequest('signed').token }), 410, 'link-used');
    const done = newRequest('signed');
    backend.views.set(done.workflowId, 'completed');
    await expectError(await post('/api/request', { token: done.token }), 410, 'link-used');
  });

  it('request-over (410): expired, ended, no such flow, or the flow now waits for another request', async () => {
    await expectError(await post('/api/request', { token: newRequest('expired').token }), 410, 'request-over');
    await expectError(await post('/api/request', { token: newRequest('ended').token }), 410, 'request-over');
    await expectError(await post('/api/request', { token: tokenFor('wf-never-started', 'req-x') }), 410, 'request-over');
    await expectError(await post('/api/request', { token: newRequest('waiting', { requestId: 'req-newer' }).token }), 410, 'request-over');
  });

  it('unavailable (503) when the backend cannot reach the flow; internal (500) for anything else, saying nothing of it', async () => {
    await expectError(await post('/api/request', { token: tokenFor('wf-down', 'req-d') }), 503, 'unavailable');
    const res = await post('/api/request', { token: tokenFor('wf-bug', 'req-b') });
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.ok(!text.includes('wf-bug') && !text.includes('bug while'), text);
  });

  it('JSON only: 415 without Content-Type: application/json, 400 for bad JSON or a non-object', async () => {
    const r = newRequest();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])
      await expectError(
        await post('/api/request', JSON.stringify({ token: r.token }), { 'content-type': type }),
        415,
        'unsupported-media-type',
      );
    const none = await fetch(server.url + '/api/request', { method: 'POST', body: new Blob([JSON.stringify({ token: r.token })]) });
    await expectError(none, 415, 'unsupported-media-type');
    const charset = await post('/api/request', { token: r.token }, { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(charset.status, 200);
    await expectError(await post('/api/request', '{"token":'), 400, 'bad-json');
    for (const body of ['[]', '"x"', 'null', '42']) await expectError(await post('/api/request', body), 400, 'bad-request');
  });

  it('413 for a body over the limit, by Content-Length or as it streams', async () => {
    const big = JSON.stringify({ token: 'x', pad: 'a'.repeat(MAX_API_BODY_BYTES) });
    await expectError(await post('/api/request', big), 413, 'too-large');
    const chunked = new ReadableStream({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(new TextEncoder().encode('a'.repeat(MAX_API_BODY_BYTES / 2)));
        c.close();
      },
    });
    const res = await fetch(server.url + '/api/request', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    await expectError(res, 413, 'too-large');
  });
});

describe('signing server: POST /api/sign', () => {
  it("submits the CMS for the link's request and answers the accepted signer", async () => {
    const r = newRequest();
    const before = backend.submitted.length;
    const res = await post('/api/sign', { token: r.token, challengeId: 'ch-1', cms: CMS });
    assert.equal(res.status, 200);
    assertSecurityHeaders(res, 'no-store');
    assert.deepEqual(await res.json(), {
      accepted: true,
      signer: { serialNumber: '1f2e3d', notAfter: '2027-01-01T00:00:00Z', iinLast4: '0415', bin: null },
    });
    assert.equal(backend.submitted.length, before + 1);
    const { link, req } = backend.submitted.at(-1)!;
    assert.equal(link.workflowId, r.workflowId);
    assert.deepEqual(req, { requestId: r.requestId, challengeId: 'ch-1', cms: CMS });
  });

  it('422 with the reason when the flow refuses', async () => {
    const r = newRequest();
    backend.answer = async () => ({ refused: { reason: 'wrong-signer', message: 'the certificate is not the expected IIN …0415' } });
    try {
      const res = await post('/api/sign', { token: r.token, challengeId: 'ch-1', cms: CMS });
      assert.equal(res.status, 422);
      assertSecurityHeaders(res, 'no-store');
      assert.deepEqual(await res.json(), { refused: { reason: 'wrong-signer', message: 'the certificate is not the expected IIN …0415' } });
    } finally {
      backend.answer = new MemoryBackend().answer;
    }
  });

  it('the same link checks before anything is submitted', async () => {
    const before = backend.submitted.length;
    const sign = (token: string) => post('/api/sign', { token, challengeId: 'ch-1', cms: CMS });
    await expectError(await sign('garbage'), 400, 'link-malformed');
    await expectError(await sign(newRequest('waiting', { expiresAt: new Date(clock.getTime() - 1) }).token), 410, 'link-expired');
    await expectError(await sign(newRequest('signed').token), 410, 'link-used');
    await expectError(await sign(newRequest('ended').token), 410, 'request-over');
    await expectError(await sign(newRequest('waiting', { requestId: 'req-other' }).token), 410, 'request-over');
    await expectError(await sign(tokenFor('wf-down', 'req-d')), 503, 'unavailable');
    assert.equal(backend.submitted.length, before, 'nothing submitted');
  });

  it('503 when the submission cannot reach the flow', async () => {
    const r = newRequest();
    backend.answer = async () => {
      throw new SigningBackendUnavailableError('update-timeout');
    };
    try {
      await expectError(await post('/api/sign', { token: r.token, challengeId: 'ch-1', cms: CMS }), 503, 'unavailable');
    } finally {
      backend.answer = new MemoryBackend().answer;
    }
  });

  it('400 without a challenge id or a CMS; 413 for a CMS over MAX_PERSON_CMS_BASE64_CHARS', async () => {
    const r = newRequest();
    const before = backend.submitted.length;
    for (const body of [
      { token: r.token, cms: CMS },
      { token: r.token, challengeId: 'ch-1' },
      { token: r.token, challengeId: '', cms: CMS },
      { token: r.token, challengeId: 'ch-1', cms: 7 },
      { token: r.token, challengeId: 'x'.repeat(201), cms: CMS },
    ])
      await expectError(await post('/api/sign', body), 400, 'bad-request');
    await expectError(
      await post('/api/sign', { token: r.token, challengeId: 'ch-1', cms: 'A'.repeat(MAX_PERSON_CMS_BASE64_CHARS + 4) }),
      413,
      'too-large',
    );
    assert.equal(backend.submitted.length, before);
  });
});

describe('signing server: same origin only', () => {
  it('refuses API calls from another origin (403), accepts its own and those without Origin', async () => {
    const r = newRequest();
    for (const origin of [
      'https://evil.example',
      'null',
      server.url.replace('127.0.0.1', 'localhost'),
      server.url.replace('http:', 'https:'),
    ])
      await expectError(await post('/api/request', { token: r.token }, { origin }), 403, 'forbidden-origin');
    assert.equal((await post('/api/request', { token: r.token }, { origin: server.url })).status, 200);
    assert.equal((await post('/api/request', { token: r.token })).status, 200);
  });

  it('accepts the public origin it is configured with (behind a proxy)', async () => {
    const proxied = await startServer({ publicOrigin: 'https://sign.example.kz', behindProxy: true });
    const r = newRequest();
    const res = await post('/api/request', { token: r.token }, { origin: 'https://sign.example.kz' }, proxied);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('strict-transport-security'), 'max-age=31536000', 'HSTS: the proxy serves it over TLS');
    await expectError(
      await post('/api/request', { token: r.token }, { origin: 'https://sign.example.kz.evil.example' }, proxied),
      403,
      'forbidden-origin',
      {
        hsts: true,
      },
    );
  });
});

describe('signing server: rate limit', () => {
  it('answers 429 past the API limit per client address; the page itself is not limited', async () => {
    const limited = await startServer({ rateLimit: { perMinute: 3, burst: 3 } });
    const r = newRequest();
    for (let i = 0; i < 3; i++) assert.equal((await post('/api/request', { token: r.token }, {}, limited)).status, 200);
    const res = await post('/api/request', { token: r.token }, {}, limited);
    await expectError(res, 429, 'too-many-requests');
    assert.equal(res.headers.get('retry-after'), '60');
    await expectError(await post('/api/sign', { token: r.token, challengeId: 'ch-1', cms: CMS }, {}, limited), 429, 'too-many-requests');
    assert.equal((await fetch(limited.url + '/sign')).status, 200);
  });

  it("behind a proxy, counts per X-Forwarded-For address (the last one: the proxy's own)", async () => {
    const limited = await startServer({
      rateLimit: { perMinute: 2, burst: 2 },
      behindProxy: true,
      publicOrigin: 'https://sign.example.kz',
    });
    const r = newRequest();
    const from = (addr: string) => post('/api/request', { token: r.token }, { 'x-forwarded-for': addr }, limited);
    assert.equal((await from('203.0.113.7')).status, 200);
    assert.equal((await from('198.51.100.1, 203.0.113.7')).status, 200, 'a forged first entry does not help');
    assert.equal((await from('203.0.113.7')).status, 429);
    assert.equal((await from('203.0.113.8')).status, 200, 'another address has its own bucket');
  });
});

describe('signing server: TLS', () => {
  let dir: string;
  let cert: Buffer;
  let tlsServer: SigningServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-signing-tls-'));
    const { certFile, keyFile } = await loopbackCertificate(dir);
    cert = await readFile(certFile);
    tlsServer = await startServer({ tls: { cert, key: await readFile(keyFile) } });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** An HTTPS request trusting only the test certificate. */
  function httpsCall(path: string, o: { method?: string; body?: string } = {}) {
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        tlsServer.url + path,
        { method: o.method ?? 'GET', ca: cert, headers: o.body ? { 'content-type': 'application/json' } : {} },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(o.body);
    });
  }

  it('serves the page and the API over HTTPS, with HSTS and the same headers', async () => {
    assert.match(tlsServer.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const pageRes = await httpsCall('/sign');
    assert.equal(pageRes.status, 200);
    assert.equal(pageRes.body, page.html.toString());
    assert.equal(pageRes.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(pageRes.headers['content-security-policy'], CSP);
    const r = newRequest();
    const api = await httpsCall('/api/request', { method: 'POST', body: JSON.stringify({ token: r.token }) });
    assert.equal(api.status, 200);
    assert.equal(api.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal((JSON.parse(api.body) as { request: { state: string } }).request.state, 'waiting');
  });

  it('is not served as plain HTTP on its port', async () => {
    await assert.rejects(fetch(tlsServer.url.replace('https:', 'http:') + '/healthz'));
  });
});

describe('signing server: start and stop', () => {
  it('says clearly when its port is taken', async () => {
    const port = Number(new URL(server.url).port);
    const clash = createSigningServer({ backend, linkKey, listen: { host: '127.0.0.1', port }, ncalayerUrl: NCALAYER, page, logger });
    await assert.rejects(clash.start(), /cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
  });

  it('stop() lets a request in flight finish, then refuses new connections', async () => {
    const port = await freePort();
    const s = createSigningServer({
      backend,
      linkKey,
      listen: { host: '127.0.0.1', port },
      ncalayerUrl: NCALAYER,
      page,
      logger,
      now: () => clock,
    });
    await s.start();
    const r = newRequest();
    let release!: () => void;
    const entered = new Promise<void>((resolve) => {
      backend.answer = async () => {
        resolve();
        await new Promise<void>((go) => (release = go));
        return new MemoryBackend().answer({ requestId: r.requestId, challengeId: 'ch-1', cms: CMS });
      };
    });
    try {
      const inFlight = post('/api/sign', { token: r.token, challengeId: 'ch-1', cms: CMS }, {}, s);
      await entered;
      const stopped = s.stop();
      await new Promise((go) => setTimeout(go, 50));
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'no new connections while stopping');
      release();
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { accepted: boolean }).accepted, true);
      await stopped;
    } finally {
      backend.answer = new MemoryBackend().answer;
    }
  });
});

describe('signing server: logs', () => {
  it('one line per request: method, route name, status, duration; never a token, the CMS, an IIN or an id', async () => {
    const lines = logs
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'signing request');
    assert.ok(lines.length > 50, `${lines.length} request lines`);
    for (const l of lines) {
      assert.equal(typeof l.method, 'string');
      assert.match(String(l.route), /^(page|root|asset|healthz|api\.request|api\.sign|api\.unknown|unknown)$/);
      assert.equal(typeof l.status, 'number');
      assert.equal(typeof l.ms, 'number');
      assert.equal(l.path, undefined, 'no raw path');
    }
    const kinds = new Set(lines.map((l) => l.link).filter(Boolean));
    for (const kind of ['malformed', 'expired', 'used', 'no-request', 'other-request', 'request-ended', 'request-expired'])
      assert.ok(kinds.has(kind), `link problem ${kind} logged`);
    assert.ok(lines.some((l) => l.refused === 'wrong-signer'));
    assert.ok(lines.some((l) => l.unavailable === 'query-timeout'));
    assert.ok(tokens.length > 20);
    for (const secret of [...tokens, CMS, IIN, 'req-1-5f2a', 'wf-person-1', 'ch-1'])
      assert.ok(!logs.includes(secret), `logs hold ${secret.slice(0, 16)}…`);
  });
});
