// A small HTTP framework shared by all simulators: routing, JSON bodies, per-endpoint call
// counters, fault injection and the admin API of design.md under /__sandbox/:
//   GET  /__sandbox/state   counters + the simulator's own state
//   POST /__sandbox/faults  {endpoint, times?, action, status?, retryAfterSeconds?, delayMs?, body?}
//   POST /__sandbox/reset   clear counters, faults, clock offset and the simulator's state
//   POST /__sandbox/clock   {advanceMs}: move the simulator's clock (expire challenges, certificates)
//   POST /__sandbox/config  simulator-specific switches
// Listens on loopback only. A simulator with `tls` serves its API over HTTPS and demands a client
// certificate from its CA at the TLS level (mutual TLS); its admin API then listens separately on
// plain HTTP, so tests and demos can reach it without a client certificate.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import type { Logger } from '../common/logger.js';
import { BodyTooLargeError, readBody } from '../common/read-body.js';

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  json: unknown;
  params: Record<string, string>;
  /** SHA-256 fingerprint of the client's TLS certificate (mutual-TLS simulators only). */
  clientCertFingerprint?: string;
}

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export const FaultSchema = z.object({
  /** `METHOD /path` as routed, e.g. `POST /auth/simpleSignIn`. */
  endpoint: z.string().regex(/^[A-Z]+ \//, 'must look like "POST /auth/simpleSignIn"'),
  times: z.number().int().min(1).default(1),
  /**
   * status: answer with `status` (default 503) without processing.
   * delay: wait `delayMs`, then process (skipped when the client has gone away meanwhile).
   * drop: process, then close the connection without answering.
   * malformed: process, then answer 200 with `body` (default: a body no schema accepts).
   * stall: process, then wait `delayMs` before answering (the work is done even if the client goes).
   */
  action: z.enum(['status', 'delay', 'drop', 'malformed', 'stall']),
  status: z.number().int().min(100).max(599).default(503),
  retryAfterSeconds: z.number().int().min(0).optional(),
  delayMs: z.number().int().min(0).max(120_000).default(1000),
  body: z.unknown().optional(),
});
export type Fault = z.infer<typeof FaultSchema>;

/**
 * POST /__sandbox/outage: the whole API is down for `seconds` (admin endpoints keep answering).
 * unavailable: every request gets 503 (a load balancer in front of a stopped service);
 * reset: every connection is closed without an answer (the service itself gone).
 */
export const OutageSchema = z
  .object({
    seconds: z
      .number()
      .min(0)
      .max(24 * 3600),
    mode: z.enum(['unavailable', 'reset']).default('unavailable'),
  })
  .strict();

export interface SimulatorSpec {
  name: string;
  routes: Record<string, Handler>;
  /** Simulator-specific state for /__sandbox/state (counters, open tickets...). */
  state: () => Record<string, unknown>;
  reset: () => void;
  /** Request lines (method, path, status, fault) at debug level; never bodies. */
  logger?: Logger;
  /** POST /__sandbox/config: simulator-specific switches (error body format, cipher...). */
  configure?: (json: unknown) => SimResponse;
  /** Serve the API over HTTPS, requiring client certificates issued by `ca`. */
  tls?: { key: string; cert: string; ca: string };
  /** Path prefix of every route, e.g. `/identity/1.1.0`. */
  basePath?: string;
}

export class Simulator {
  private server: Server | undefined;
  private adminServer: Server | undefined;
  private faults: Fault[] = [];
  private calls: Record<string, number> = {};
  private clockOffsetMs = 0;
  private outage: { until: number; mode: 'unavailable' | 'reset'; refused: number } = { until: 0, mode: 'unavailable', refused: 0 };
  private readonly routes: { method: string; pattern: RegExp; keys: string[]; endpoint: string; handler: Handler }[];

  constructor(private readonly spec: SimulatorSpec) {
    this.routes = Object.entries(spec.routes).map(([endpoint, handler]) => {
      const [method, path] = endpoint.split(' ') as [string, string];
      const keys: string[] = [];
      const pattern = new RegExp('^' + path.replace(/\{(\w+)\}/g, (_m, k: string) => (keys.push(k), '([^/]+)')) + '$');
      return { method, pattern, keys, endpoint, handler };
    });
  }

  /** The simulator's clock: real time moved by /__sandbox/clock. */
  now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  get baseUrl(): string {
    const addr = this.server?.address() as AddressInfo | undefined;
    if (!addr) throw new Error(`${this.spec.name} simulator is not listening`);
    return `${this.spec.tls ? 'https' : 'http'}://127.0.0.1:${addr.port}${this.spec.basePath ?? ''}`;
  }

  /** Root of the admin API (`<adminBaseUrl>/__sandbox/...`): plain HTTP on loopback. */
  get adminBaseUrl(): string {
    const addr = (this.adminServer ?? this.server)?.address() as AddressInfo | undefined;
    if (!addr) throw new Error(`${this.spec.name} simulator is not listening`);
    return `http://127.0.0.1:${addr.port}`;
  }

  async listen(port = 0, adminPort = 0): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    if (this.spec.tls) {
      this.server = createHttpsServer({ ...this.spec.tls, requestCert: true, rejectUnauthorized: true }, handler);
      this.adminServer = createServer((req, res) => void this.handle(req, res, true));
      await listenOn(this.adminServer, adminPort);
    } else {
      this.server = createServer(handler);
    }
    await listenOn(this.server, port);
    return this.baseUrl;
  }

  async close(): Promise<void> {
    const servers = [this.server, this.adminServer].filter((s): s is Server => s !== undefined);
    this.server = this.adminServer = undefined;
    await Promise.all(
      servers.map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse, adminOnly = false): Promise<void> {
    res.once('finish', () =>
      this.spec.logger?.debug(
        { simulator: this.spec.name, method: req.method, path: req.url?.split('?')[0], status: res.statusCode },
        'sandbox request',
      ),
    );
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const body = await readBody(req, MAX_BODY);
      const adminHere = adminOnly || !this.spec.tls;
      if (adminHere && url.pathname.startsWith('/__sandbox/')) return send(res, this.admin(req.method ?? 'GET', url.pathname, body));
      if (adminOnly)
        return send(res, { status: 404, body: { error_message: `the admin port serves /__sandbox/ only; the API is at ${this.baseUrl}` } });

      const base = this.spec.basePath ?? '';
      const path = url.pathname.startsWith(base + '/') ? url.pathname.slice(base.length) : undefined;
      const route = path === undefined ? undefined : this.routes.find((r) => r.method === req.method && r.pattern.test(path));
      if (!route || path === undefined)
        return send(res, { status: 404, body: { error_message: `no such endpoint: ${req.method} ${url.pathname}` } });
      this.calls[route.endpoint] = (this.calls[route.endpoint] ?? 0) + 1;
      if (Date.now() < this.outage.until) {
        this.outage.refused++;
        if (this.outage.mode === 'reset') return void req.socket.destroy();
        return send(res, { status: 503, body: { error_message: 'sandbox: the service is down (outage)' } });
      }

      const match = route.pattern.exec(path)!;
      const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(match[i + 1]!)]));
      let json: unknown;
      try {
        json = body.length ? JSON.parse(body.toString('utf8')) : undefined;
      } catch {
        json = undefined;
      }
      const peer = this.spec.tls ? (req.socket as TLSSocket).getPeerCertificate() : undefined;
      const simReq: SimRequest = {
        method: req.method!,
        path,
        query: url.searchParams,
        headers: req.headers,
        body,
        json,
        params,
        ...(peer?.fingerprint256 ? { clientCertFingerprint: peer.fingerprint256 } : {}),
      };

      const fault = this.takeFault(route.endpoint);
      if (fault?.action === 'status') {
        return send(res, {
          status: fault.status,
          body: fault.body ?? { error_message: 'sandbox: injected fault' },
          headers: fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
        });
      }
      if (fault?.action === 'delay') {
        await new Promise((r) => setTimeout(r, fault.delayMs));
        // A real server might go on; ours models a client that gave up before processing began.
        if (req.socket.destroyed) return;
      }
      const response = await route.handler(simReq);
      if (fault?.action === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.action === 'malformed') return send(res, { status: 200, body: fault.body ?? { sandbox: 'malformed response' } });
      if (fault?.action === 'stall') await new Promise((r) => setTimeout(r, fault.delayMs));
      send(res, response);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return send(res, { status: 413, body: { error_message: err.message } });
      send(res, { status: 500, body: { error_message: `sandbox internal error: ${(err as Error).name}` } });
    }
  }

  private takeFault(endpoint: string): Fault | undefined {
    const i = this.faults.findIndex((f) => f.endpoint === endpoint);
    if (i < 0) return undefined;
    const fault = this.faults[i]!;
    if (--fault.times <= 0) this.faults.splice(i, 1);
    return fault;
  }

  private admin(method: string, path: string, body: Buffer): SimResponse {
    const json = (() => {
      try {
        return body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch {
        return undefined;
      }
    })();
    if (method === 'GET' && path === '/__sandbox/state') {
      return {
        status: 200,
        body: {
          simulator: this.spec.name,
          now: this.now().toISOString(),
          calls: { ...this.calls },
          pendingFaults: this.faults,
          outage: { until: new Date(this.outage.until).toISOString(), mode: this.outage.mode, refused: this.outage.refused },
          ...this.spec.state(),
        },
      };
    }
    if (method === 'POST' && path === '/__sandbox/faults') {
      const parsed = FaultSchema.safeParse(json);
      if (!parsed.success)
        return { status: 400, body: { error_message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
      this.faults.push(parsed.data);
      return { status: 200, body: { pendingFaults: this.faults } };
    }
    if (method === 'POST' && path === '/__sandbox/outage') {
      const parsed = OutageSchema.safeParse(json);
      if (!parsed.success)
        return { status: 400, body: { error_message: 'expected {"seconds": 0..86400, "mode"?: "unavailable"|"reset"}' } };
      this.outage = { until: Date.now() + parsed.data.seconds * 1000, mode: parsed.data.mode, refused: 0 };
      return { status: 200, body: { outageUntil: new Date(this.outage.until).toISOString(), mode: this.outage.mode } };
    }
    if (method === 'POST' && path === '/__sandbox/reset') {
      this.outage = { until: 0, mode: 'unavailable', refused: 0 };
      this.faults = [];
      this.calls = {};
      this.clockOffsetMs = 0;
      this.spec.reset();
      return { status: 200, body: { reset: true } };
    }
    if (method === 'POST' && path === '/__sandbox/config') {
      return this.spec.configure
        ? this.spec.configure(json)
        : { status: 404, body: { error_message: `${this.spec.name} has no configuration` } };
    }
    if (method === 'POST' && path === '/__sandbox/clock') {
      const parsed = z.object({ advanceMs: z.number().int() }).safeParse(json);
      if (!parsed.success) return { status: 400, body: { error_message: 'expected {"advanceMs": <integer>}' } };
      this.clockOffsetMs += parsed.data.advanceMs;
      return { status: 200, body: { now: this.now().toISOString() } };
    }
    return { status: 404, body: { error_message: `no such admin endpoint: ${method} ${path}` } };
  }
}

const MAX_BODY = 10 * 1024 * 1024;

function listenOn(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
}

function send(res: ServerResponse, r: SimResponse): void {
  if (res.headersSent || res.destroyed) return;
  if (Buffer.isBuffer(r.body)) {
    res.writeHead(r.status, { 'content-type': 'application/octet-stream', ...r.headers });
    res.end(r.body);
    return;
  }
  const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'content-type': typeof r.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...r.headers,
  });
  res.end(body);
}

/**
 * Plays NCES for a KPSIS request: the sandbox CA issues a certificate (PEM) for a PKCS#10 (DER).
 * `notBeforeDays`/`days` make not-yet-valid or expired certificates for tests.
 */
export async function issueSandboxCertificate(
  caIssueUrl: string,
  certRequestDer: Uint8Array,
  o: { days?: number; seconds?: number; notBeforeDays?: number } = {},
): Promise<string> {
  const res = await fetch(caIssueUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      cert_request: Buffer.from(certRequestDer).toString('base64'),
      ...(o.days !== undefined ? { days: o.days } : {}),
      ...(o.seconds !== undefined ? { seconds: o.seconds } : {}),
      ...(o.notBeforeDays !== undefined ? { not_before_days: o.notBeforeDays } : {}),
    }),
  });
  const json = (await res.json()) as { certificate?: string };
  if (!res.ok || !json.certificate) throw new Error(`sandbox CA: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json.certificate;
}

/** Helper for clients of the admin API (tests, demos). */
export async function sandboxAdmin(
  baseUrl: string,
  path: 'state' | 'faults' | 'reset' | 'clock' | 'config' | 'outage',
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each simulator's state has its own shape; callers read what they need
): Promise<any> {
  const res = await fetch(`${baseUrl}/__sandbox/${path}`, {
    method: path === 'state' ? 'GET' : 'POST',
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`sandbox admin ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}
