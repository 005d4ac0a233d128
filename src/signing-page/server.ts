// The HTTP server of the signing page (`trustflow signing-server`): serves the page a person opens a
// signing link on, and the two calls the page makes with the link's token, answered from the
// waiting flow through a SigningBackend (temporal-backend.ts in production, an in-memory one in
// tests). Its own process and port, beside the worker.
//
//   GET  /sign             the page (the token is in the URL fragment: this server never sees it here)
//   GET  /                 a short page: links look like /sign#…
//   GET  /assets/<name>    the page's bundled files (immutable)
//   GET  /healthz          200 ok
//   POST /api/request      {token}                  → 200 {request, ncalayerUrl}
//   POST /api/sign         {token, challengeId, cms} → 200 {accepted, signer} | 422 {refused: {reason, message}}
//   errors                 {error: {code, message}} (API), see ApiErrorCode
//
// Same origin only: no CORS headers, API POSTs with another Origin are refused, JSON bodies only (a
// cross-site form or "simple" request cannot send one). Every response carries a strict CSP whose
// connect-src names NCALayer. The API is rate-limited per client address. One log line per request:
// method, route name, status, duration; never the token, the body, the CMS, an IIN or a raw API path.
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/logger.js';
import { signingPageWaits } from '../common/policies.js';
import { BodyTooLargeError, readBody } from '../common/read-body.js';
import {
  MAX_PERSON_CMS_BASE64_CHARS,
  type PersonSignatureRefusal,
  type PersonSigningView,
  type SubmitPersonSignatureRequest,
  type SubmitPersonSignatureResult,
} from '../flows/person-signing/person-signing.contract.js';
import { openLinkToken, type SigningLink } from '../common/signing-link.js';

/** What a submission came to: the flow accepted the signature, or refused it (the flow keeps waiting). */
export type SubmitOutcome = SubmitPersonSignatureResult | { refused: { reason: PersonSignatureRefusal; message: string } };

/** Where the server asks the waiting flow: Temporal in production (temporal-backend.ts). */
export interface SigningBackend {
  /**
   * The flow's view of the request; 'completed': the flow closed after it was signed (the link is used
   * up); 'not-found': no such flow, not a person signer, or closed otherwise.
   */
  view(link: SigningLink): Promise<PersonSigningView | 'not-found' | 'completed'>;
  submit(link: SigningLink, req: SubmitPersonSignatureRequest): Promise<SubmitOutcome>;
}

/** Temporal, or a worker running the flow, did not answer in time: the page says "try again in a minute" (503). */
export class SigningBackendUnavailableError extends Error {
  override readonly name = 'SigningBackendUnavailableError';
  constructor(
    /** For the log: what did not answer (timeout, unreachable, …); never an id. */
    readonly why: string,
    message = 'the signing service cannot reach the waiting request right now',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SigningPageAsset {
  body: Buffer;
  contentType: string;
}

/** The built page (page-bundle.ts): its HTML and its files, served under /assets/<name>. */
export interface SigningPageBundle {
  html: Buffer;
  assets: Map<string, SigningPageAsset>;
}

export interface SigningServerOptions {
  backend: SigningBackend;
  /** The AES key links are sealed with (settings.ts: linkKeyFromSecret of TRUSTFLOW_SIGNING_LINK_KEY). */
  linkKey: Buffer;
  /** Port 0: any free port (`url` says which). */
  listen: { host: string; port: number };
  /** HTTPS with this certificate (PEM); plain HTTP without. */
  tls?: { cert: Buffer; key: Buffer };
  /** Where the page finds NCALayer, e.g. wss://127.0.0.1:13579: told to the page and allowed by the CSP. */
  ncalayerUrl: string;
  page: SigningPageBundle;
  logger: Logger;
  /** The clock links expire by (tests move it). */
  now?: () => Date;
  /**
   * The origin persons open links at when it is not this server's own (TRUSTFLOW_SIGNING_PAGE_URL
   * behind a reverse proxy): API calls from it are accepted too.
   */
  publicOrigin?: string;
  /**
   * TLS ends at the operator's reverse proxy: the client address for the rate limit is the last
   * X-Forwarded-For entry (the one the proxy added), and HSTS is sent as with TLS.
   */
  behindProxy?: boolean;
  /** The API's per-address limit (default signingPageWaits.apiRate). */
  rateLimit?: { perMinute: number; burst: number };
  /** How long stop() lets requests in flight finish before closing their connections. */
  stopGraceMs?: number;
}

export interface SigningServer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Where it listens, e.g. https://127.0.0.1:8443 (after start). */
  readonly url: string;
}

/** Every `error.code` the API answers with, and its status. */
export const API_ERRORS = {
  'link-malformed': 400,
  'link-expired': 410,
  'link-used': 410,
  'request-over': 410,
  unavailable: 503,
  'too-many-requests': 429,
  'bad-request': 400,
  'bad-json': 400,
  'forbidden-origin': 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'too-large': 413,
  'unsupported-media-type': 415,
  internal: 500,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

const MESSAGES: Record<ApiErrorCode, string> = {
  'link-malformed': 'this is not a valid signing link: open the link exactly as you received it',
  'link-expired': 'this signing link has expired: ask for a new one',
  'link-used': 'this signing request has been signed already: nothing more to do',
  'request-over': 'this signing request is over (its time ran out, or it was cancelled or replaced): ask for a new link',
  unavailable: 'the signing service cannot reach the waiting request right now: try again in a minute',
  'too-many-requests': 'too many requests from this address: wait a minute and try again',
  'bad-request': 'the request body does not have the expected fields',
  'bad-json': 'the request body is not JSON',
  'forbidden-origin': 'requests from other sites are not accepted',
  'not-found': 'no such page',
  'method-not-allowed': 'method not allowed here',
  'too-large': 'the request body is too large',
  'unsupported-media-type': 'send Content-Type: application/json',
  internal: 'internal error',
};

/** The token (≤ 2048), the challenge id and JSON's punctuation beside the largest CMS accepted. */
export const MAX_API_BODY_BYTES = MAX_PERSON_CMS_BASE64_CHARS + 8 * 1024;
const MAX_CHALLENGE_ID_CHARS = 200;
/** NCALayer's default: the page talks to it over both, whatever ncalayerUrl says. */
const NCALAYER_DEFAULT_ORIGINS = ['wss://127.0.0.1:13579', 'ws://127.0.0.1:13579'];
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ROOT_PAGE = Buffer.from(
  [
    '<!doctype html>',
    '<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>trustflow</title></head><body>',
    '<p>Откройте ссылку на подпись, которую вы получили: она выглядит как <code>/sign#…</code>.</p>',
    '<p lang="kk">Өзіңізге жіберілген қол қою сілтемесін ашыңыз: ол <code>/sign#…</code> түрінде болады.</p>',
    '<p lang="en">Open the signing link you were sent: it looks like <code>/sign#…</code>.</p>',
    '</body></html>',
    '',
  ].join('\n'),
);

class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    /** Extra fields for the log line (a link problem's kind): never ids or tokens. */
    readonly log: Record<string, string> = {},
  ) {
    super(MESSAGES[code]);
  }
}

/** The Content-Security-Policy of every response: the page's own files, its own API and NCALayer only. */
export function contentSecurityPolicy(ncalayerUrl: string): string {
  const connect = [...new Set(["'self'", new URL(ncalayerUrl).origin, ...NCALAYER_DEFAULT_ORIGINS])];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The API's limit per client address: a bucket of `burst` requests, refilled at `perMinute`. */
class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly o: { perMinute: number; burst: number }) {}

  take(client: string): boolean {
    const now = performance.now();
    const perMs = this.o.perMinute / 60_000;
    const b = this.buckets.get(client) ?? { tokens: this.o.burst, at: now };
    b.tokens = Math.min(this.o.burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
    if (this.buckets.size > 10_000) this.prune(now, perMs);
    this.buckets.set(client, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets the addresses whose bucket is full again (nothing to remember). */
  private prune(now: number, perMs: number): void {
    for (const [k, v] of this.buckets) if (v.tokens + (now - v.at) * perMs >= this.o.burst) this.buckets.delete(k);
  }
}

type Route = 'page' | 'root' | 'asset' | 'healthz' | 'api.request' | 'api.sign' | 'api.unknown' | 'unknown';

/** A route's name by path; the query string is ignored (chat apps add tracking parameters to links). */
function routeOf(path: string): Route {
  if (path === '/sign') return 'page';
  if (path === '/') return 'root';
  if (path === '/healthz') return 'healthz';
  if (path === '/api/request') return 'api.request';
  if (path === '/api/sign') return 'api.sign';
  if (path.startsWith('/api/')) return 'api.unknown';
  if (path.startsWith('/assets/')) return 'asset';
  return 'unknown';
}

const isApi = (route: Route): route is 'api.request' | 'api.sign' | 'api.unknown' => route.startsWith('api.');

export function createSigningServer(o: SigningServerOptions): SigningServer {
  const now = o.now ?? (() => new Date());
  const secure = !!o.tls || !!o.behindProxy;
  const limiter = new RateLimiter(o.rateLimit ?? signingPageWaits.apiRate);
  const ncalayerUrl = new URL(o.ncalayerUrl).href.replace(/\/$/, '');
  const common: Record<string, string> = {
    'content-security-policy': contentSecurityPolicy(o.ncalayerUrl),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    ...(secure ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
  const publicOrigin = o.publicOrigin ? new URL(o.publicOrigin).origin : undefined;
  let server: Server | undefined;
  let url: string | undefined;
  let stopping = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string) => {
    res.writeHead(status, {
      ...common,
      ...(stopping ? { connection: 'close' } : {}),
      ...headers,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, value: unknown) =>
    send(res, status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, JSON.stringify(value));

  /** Where a request comes from, for the rate limit: the proxy's X-Forwarded-For entry behind a proxy. */
  const clientOf = (req: IncomingMessage): string => {
    if (o.behindProxy) {
      const xff = req.headers['x-forwarded-for'];
      const last = (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',').pop()?.trim();
      if (last) return last;
    }
    return req.socket.remoteAddress ?? 'unknown';
  };

  /** Our own origins: the public one, where we listen, and the Host the browser used. */
  const sameOrigin = (req: IncomingMessage, origin: string): boolean => {
    if (origin === publicOrigin) return true;
    if (url && origin === new URL(url).origin) return true;
    const host = req.headers.host;
    return !!host && origin === `${o.tls ? 'https' : 'http'}://${host}`;
  };

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new ApiError('unsupported-media-type');
    let body: Buffer;
    try {
      body = await readBody(req, MAX_API_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw new ApiError('too-large');
      throw err;
    }
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ApiError('bad-json');
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ApiError('bad-request');
    return value as Record<string, unknown>;
  }

  /** The link's checks, shared by both calls: sealed by us, not expired, naming a request that still waits. */
  async function openRequest(token: unknown): Promise<{ link: SigningLink; view: PersonSigningView }> {
    const opened = openLinkToken(o.linkKey, typeof token === 'string' ? token : '', now());
    if (!opened.ok)
      throw opened.problem === 'expired'
        ? new ApiError('link-expired', { link: 'expired' })
        : new ApiError('link-malformed', { link: 'malformed' });
    const view = await o.backend.view(opened.link);
    if (view === 'not-found') throw new ApiError('request-over', { link: 'no-request' });
    if (view === 'completed') throw new ApiError('link-used', { link: 'used' });
    if (view.requestId !== opened.link.requestId) throw new ApiError('request-over', { link: 'other-request' });
    if (view.state === 'signed') throw new ApiError('link-used', { link: 'used' });
    if (view.state === 'expired' || view.state === 'ended') throw new ApiError('request-over', { link: `request-${view.state}` });
    return { link: opened.link, view };
  }

  async function api(
    route: 'api.request' | 'api.sign' | 'api.unknown',
    req: IncomingMessage,
    res: ServerResponse,
    log: Record<string, unknown>,
  ) {
    if (route === 'api.unknown') throw new ApiError('not-found');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new ApiError('method-not-allowed');
    }
    if (!limiter.take(clientOf(req))) {
      res.setHeader('retry-after', '60');
      throw new ApiError('too-many-requests');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(req, origin)) throw new ApiError('forbidden-origin');
    const body = await readJson(req);
    if (route === 'api.request') {
      const { view } = await openRequest(body.token);
      const { requestId: _requestId, ...request } = view;
      log.state = view.state;
      return sendJson(res, 200, { request, ncalayerUrl });
    }
    const { challengeId, cms } = body;
    if (typeof challengeId !== 'string' || !challengeId || challengeId.length > MAX_CHALLENGE_ID_CHARS || typeof cms !== 'string' || !cms)
      throw new ApiError('bad-request');
    if (cms.length > MAX_PERSON_CMS_BASE64_CHARS) throw new ApiError('too-large');
    const { link } = await openRequest(body.token);
    const outcome = await o.backend.submit(link, { requestId: link.requestId, challengeId, cms });
    if ('refused' in outcome) {
      log.refused = outcome.refused.reason;
      return sendJson(res, 422, { refused: { reason: outcome.refused.reason, message: outcome.refused.message } });
    }
    log.accepted = true;
    return sendJson(res, 200, { accepted: true, signer: outcome.signer });
  }

  function staticRoute(
    route: Exclude<Route, 'api.request' | 'api.sign' | 'api.unknown'>,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
    log: Record<string, unknown>,
  ) {
    if (route === 'unknown') throw new ApiError('not-found');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      throw new ApiError('method-not-allowed');
    }
    const html = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
    if (route === 'page') return send(res, 200, html, o.page.html);
    if (route === 'root') return send(res, 200, html, ROOT_PAGE);
    if (route === 'healthz') return send(res, 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, 'ok');
    const name = path.slice('/assets/'.length);
    const asset = ASSET_NAME.test(name) ? o.page.assets.get(name) : undefined;
    if (!asset) throw new ApiError('not-found');
    log.asset = name;
    return send(
      res,
      200,
      { 'content-type': asset.contentType, 'cache-control': 'public, max-age=31536000, immutable', etag: etagOf(asset.body) },
      asset.body,
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    // In flight until its response is handed to the OS (or the connection is gone): what stop() waits for.
    inFlight++;
    res.once('close', () => {
      if (--inFlight === 0 && drained) drained();
      if (stopping) server?.closeIdleConnections();
    });
    const path = pathOf(req.url);
    const route = routeOf(path);
    const log: Record<string, unknown> = {};
    let status = 500;
    try {
      if (isApi(route)) await api(route, req, res, log);
      else staticRoute(route, path, req, res, log);
      status = res.statusCode;
    } catch (err) {
      let e: ApiError;
      if (err instanceof ApiError) e = err;
      else if (err instanceof SigningBackendUnavailableError) {
        e = new ApiError('unavailable');
        log.unavailable = err.why;
      } else {
        e = new ApiError('internal');
        o.logger.error({ route, err }, 'signing server: request failed');
      }
      Object.assign(log, e.log);
      status = API_ERRORS[e.code];
      if (res.headersSent) res.destroy();
      else if (isApi(route)) {
        // A body not read (refused before reading it) must not be taken for the next request.
        if (!req.complete) res.setHeader('connection', 'close');
        sendJson(res, status, { error: { code: e.code, message: e.message } });
      } else send(res, status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, e.message);
    } finally {
      o.logger.info({ method: req.method, route, status, ms: Math.round(performance.now() - started), ...log }, 'signing request');
    }
  }

  return {
    get url() {
      if (!url) throw new Error('the signing server is not listening');
      return url;
    },

    async start() {
      if (server) throw new Error('the signing server is already started');
      const s = o.tls
        ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }, (req, res) => void handle(req, res))
        : createHttpServer((req, res) => void handle(req, res));
      s.requestTimeout = 30_000;
      s.headersTimeout = 10_000;
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, o.listen)));
        s.listen(o.listen.port, o.listen.host, () => resolve());
      });
      server = s;
      const a = s.address() as AddressInfo;
      url = `${o.tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    },

    /** Stops accepting, lets requests in flight finish (up to stopGraceMs), then closes every connection. */
    async stop() {
      const s = server;
      if (!s || stopping) return;
      stopping = true;
      const closed = new Promise<void>((r) => s.close(() => r()));
      s.closeIdleConnections();
      const grace = o.stopGraceMs ?? signingPageWaits.stopGraceMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, grace);
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
        if (inFlight === 0) drained();
      });
      s.closeAllConnections();
      await closed;
      server = undefined;
    },
  };
}

/** The request's path, without its query; '' when it is not one. */
function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://x').pathname;
  } catch {
    return '';
  }
}

function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/** The listen error in words: what is wrong with the address, and what to do. */
function listenError(err: NodeJS.ErrnoException, at: { host: string; port: number }): Error {
  const where = `${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}`;
  const why =
    err.code === 'EADDRINUSE'
      ? 'the port is in use by another process: stop it or choose another port'
      : err.code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges): choose a port of 1024 or above'
        : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND'
          ? 'not an address of this machine'
          : `${err.code ?? 'error'}: ${err.message}`;
  return new Error(`cannot listen on ${where}: ${why}`, { cause: err });
}
