// Codec server for the Temporal Web UI, the CLI (`--codec-endpoint`) and other SDKs' remote codecs,
// following Temporal's codec-server protocol: POST /encode and POST /decode, also under a namespace
// segment (/{namespace}/encode: the CLI's endpoint templating), with `{"payloads": [{"metadata": {k:
// base64}, "data": base64}]}` (protobuf JSON of Payloads) in and the same number of payloads out. The
// namespace comes from the path or the X-Namespace header. The wire contract is written down in
// docs/calling-trustflow.md.
// It is a decryption oracle, so: loopback by default, CORS only for the configured UI origins, an
// optional bearer token compared in constant time, optionally only some namespaces, a body size
// limit, short 4xx answers for malformed requests (never a stack), and logs that carry counts and
// sizes, never payload content.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { z } from 'zod';
import type { Logger } from '../common/logger.js';
import { BodyTooLargeError, readBody } from '../common/read-body.js';

/** The embedded dev server's Web UI, as users open it. */
export const DEFAULT_UI_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];

export interface CodecServerOptions {
  codec: PayloadCodec;
  host?: string;
  port?: number;
  /** Origins allowed to call from a browser (the Web UI's), e.g. http://127.0.0.1:8233. */
  corsOrigins: string[];
  /** When set, requests may authenticate with `Authorization: Bearer <token>` (the CLI's --codec-auth). */
  authToken?: string;
  /**
   * When set, requests may authenticate with the Web UI user's OIDC access token, which the UI passes
   * on (TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true): a JWT checked against the issuer's keys, issuer,
   * audience and expiry. With authToken and/or oidc set, one of them must be presented.
   */
  oidc?: OidcSettings;
  /** PEM certificate (chain) and key: serve HTTPS, for callers that reach it over a network. */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** When set, only these namespaces are served (403 for others); otherwise any. */
  namespaces?: string[];
  maxBodyBytes?: number;
  logger: Logger;
}

/**
 * `/encode`, `/decode`, `/{namespace}/encode`, `/{namespace}/decode`; also `//encode`: the CLI fills
 * `{namespace}` with an empty string when no --namespace is given.
 */
const ROUTE = /^(?:\/([^/]*))?\/(encode|decode)$/;
/** Temporal's namespace names: letters, digits, `-`, `_`, `.` (a Cloud namespace is `name.account`). */
const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
/** application/json, or any `+json` type, with parameters (charset) allowed. */
const JSON_CONTENT_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i;

// `payloads` may be absent: in protobuf JSON an empty repeated field is omitted, so the temporal CLI
// sends `{}` for "no payloads" (e.g. `temporal workflow query … --codec-endpoint`). That is an empty
// list, answered with `{"payloads":[]}`, not a malformed body.
const PayloadsBody = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), z.base64()).optional(),
        data: z.base64().optional(),
      }),
    )
    .default([]),
});

export interface OidcSettings {
  issuer: string;
  /** Expected `aud` of the access token (the API the UI requests tokens for). */
  audience?: string;
  /** The issuer's JWKS; discovered from /.well-known/openid-configuration when absent. */
  jwksUrl?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class CodecServer {
  private server: Server | undefined;
  private readonly tokenDigest: Buffer | undefined;

  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(private readonly o: CodecServerOptions) {
    this.tokenDigest = o.authToken ? sha256(o.authToken) : undefined;
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('codec server is not listening');
    return `${this.o.tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async listen(): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = this.o.tls ? createHttpsServer({ cert: this.o.tls.cert, key: this.o.tls.key }, handler) : createServer(handler);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port ?? 8234, this.o.host ?? '127.0.0.1', resolve);
    });
    return this.url;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const origin = req.headers.origin;
    const allowedOrigin = origin && this.o.corsOrigins.includes(origin) ? origin : undefined;
    if (allowedOrigin) {
      res.setHeader('access-control-allow-origin', allowedOrigin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'origin');
    }
    let status = 200;
    let count = 0;
    let bytes = 0;
    let op: 'encode' | 'decode' | undefined;
    let namespace: string | undefined;
    try {
      if (req.method === 'OPTIONS') {
        if (!allowedOrigin) throw new HttpError(403, 'origin not allowed');
        res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
        res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
        res.setHeader('access-control-max-age', '600');
        status = 204;
        res.writeHead(204).end();
        return;
      }
      const route = ROUTE.exec(req.url?.split('?')[0] ?? '');
      if (!route) throw new HttpError(404, 'use POST /encode or POST /decode (or /{namespace}/encode, /{namespace}/decode)');
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST, OPTIONS');
        throw new HttpError(405, `use POST, not ${req.method}`);
      }
      op = route[2] as 'encode' | 'decode';
      if (origin && !allowedOrigin) throw new HttpError(403, 'origin not allowed');
      await this.authorize(req);
      namespace = this.namespaceOf(req, route[1]);
      const contentType = req.headers['content-type'];
      if (contentType !== undefined && !JSON_CONTENT_TYPE.test(contentType)) {
        throw new HttpError(415, `send the payloads as JSON (Content-Type: application/json), not ${contentType.slice(0, 100)}`);
      }
      const body = await readBody(req, this.o.maxBodyBytes ?? 4 * 1024 * 1024).catch((err: unknown) => {
        throw err instanceof BodyTooLargeError ? new HttpError(413, err.message) : err;
      });
      bytes = body.length;
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new HttpError(400, 'body is not JSON');
      }
      const parsed = PayloadsBody.safeParse(json);
      if (!parsed.success) throw new HttpError(400, 'body must be {"payloads":[{"metadata":{...base64},"data":base64}]}');
      const payloads: Payload[] = parsed.data.payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(p.data ?? '', 'base64'),
      }));
      count = payloads.length;
      let out: Payload[];
      try {
        out = op === 'encode' ? await this.o.codec.encode(payloads) : await this.o.codec.decode(payloads);
      } catch (err) {
        // Our codec's messages name key ids only; safe and useful to the operator.
        throw new HttpError(400, (err as Error).message.slice(0, 300));
      }
      // The protocol pairs payloads by position: the same number back, always.
      if (out.length !== payloads.length) throw new Error(`codec returned ${out.length} payloads for ${payloads.length}`);
      const response = {
        payloads: out.map((p) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          data: Buffer.from(p.data ?? []).toString('base64'),
        })),
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
    } catch (err) {
      status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : 'internal error';
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message }));
    } finally {
      this.o.logger.info(
        {
          method: req.method,
          path: (req.url?.split('?')[0] ?? '').slice(0, 200),
          ...(namespace ? { namespace } : {}),
          status,
          payloads: count,
          bytes,
          ms: Math.round(performance.now() - started),
        },
        'codec request',
      );
    }
  }

  /** The namespace of a request: its path segment or X-Namespace (both: they must agree). */
  private namespaceOf(req: IncomingMessage, fromPath: string | undefined): string | undefined {
    let inPath: string | undefined;
    try {
      inPath = fromPath ? decodeURIComponent(fromPath) : undefined;
    } catch {
      throw new HttpError(400, 'the namespace in the path is not valid percent-encoding');
    }
    const header = req.headers['x-namespace'];
    // Empty means none: the temporal CLI sends `X-Namespace:` empty when no --namespace is given.
    const inHeader = (Array.isArray(header) ? header[0] : header) || undefined;
    if (inPath !== undefined && inHeader !== undefined && inHeader !== inPath) {
      throw new HttpError(400, `the path names namespace '${inPath.slice(0, 100)}' but X-Namespace says '${inHeader.slice(0, 100)}'`);
    }
    const namespace = inPath ?? inHeader;
    if (namespace !== undefined && !NAMESPACE.test(namespace)) throw new HttpError(400, 'not a namespace name (letters, digits, . _ -)');
    if (this.o.namespaces) {
      if (namespace === undefined) {
        throw new HttpError(
          400,
          `name the namespace (X-Namespace header or /{namespace}/decode): this server serves ${this.o.namespaces.join(', ')}`,
        );
      }
      if (!this.o.namespaces.includes(namespace)) throw new HttpError(403, `namespace '${namespace}' is not served here`);
    }
    return namespace;
  }

  private async authorize(req: IncomingMessage): Promise<void> {
    if (!this.tokenDigest && !this.o.oidc) return;
    const header = req.headers.authorization ?? '';
    const presented = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
    // Compare digests: equal length whatever was sent, so timing says nothing about the token.
    if (this.tokenDigest && timingSafeEqual(sha256(presented), this.tokenDigest)) return;
    if (this.o.oidc && presented && (await this.verifyAccessToken(presented, this.o.oidc))) return;
    throw new HttpError(401, 'missing or wrong bearer token');
  }

  private async verifyAccessToken(token: string, oidc: OidcSettings): Promise<boolean> {
    try {
      this.jwks ??= createRemoteJWKSet(new URL(oidc.jwksUrl ?? (await discoverJwksUrl(oidc.issuer))));
      await jwtVerify(token, this.jwks, { issuer: oidc.issuer, ...(oidc.audience ? { audience: oidc.audience } : {}) });
      return true;
    } catch (err) {
      // Why, for the operator; never the token.
      this.o.logger.warn({ reason: (err as { code?: string }).code ?? (err as Error).message }, 'codec: access token refused');
      return false;
    }
  }
}

async function discoverJwksUrl(issuer: string): Promise<string> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`OIDC discovery at ${issuer}: HTTP ${res.status}`);
  const jwksUri = ((await res.json()) as { jwks_uri?: unknown }).jwks_uri;
  if (typeof jwksUri !== 'string') throw new Error(`OIDC discovery at ${issuer}: no jwks_uri`);
  return jwksUri;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
