// The one HTTP layer every provider client uses, and the one classifier of HTTP outcomes:
//   no answer (network, timeout)  → ProviderNetworkError, retryable
//   5xx, 408, 429                 → ProviderHttpError, retryable, honouring Retry-After
//   other 4xx                     → ProviderHttpError, non-retryable, with the provider's code/message
//   2xx not matching its schema   → ProviderContractViolation, non-retryable, naming paths only
// Redirects are never followed: a response must not be able to send our signed data elsewhere.
import type { Agent as HttpsAgent } from 'node:https';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import got, { RequestError, type Got, type Method } from 'got';
import { z } from 'zod';
import {
  InvalidInputError,
  ProviderContractViolation,
  ProviderHttpError,
  ProviderNetworkError,
  ProviderTlsError,
  TrustflowError,
  type FailureType,
} from '../common/errors.js';
import { hostAndPort, isPlainHttpToRemote, transportProblem } from '../common/transport.js';
import { metrics, statusClassOf, type StatusClass } from '../common/metrics.js';
import { CLOSED_AFTER_HANDSHAKE, probeTlsAlert } from './tls-probe.js';

// A no-op until a tracer provider is registered (worker/telemetry.ts, when OTLP export is configured).
const tracer = trace.getTracer('trustflow');

/** Upper bound on a Retry-After we honour; longer waits are the retry policy's business. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;
/** Provider error texts are cut to this length: enough to act on, too short to carry a payload. */
const MAX_PROVIDER_MESSAGE = 300;

export interface HttpOutcomeClass {
  retryable: boolean;
  retryAfterMs?: number;
}

export function classifyHttpStatus(status: number, retryAfterHeader?: string, now: Date = new Date()): HttpOutcomeClass {
  const retryable = status >= 500 || status === 408 || status === 429;
  if (!retryable) return { retryable };
  const retryAfterMs = parseRetryAfter(retryAfterHeader, now);
  return retryAfterMs === undefined ? { retryable } : { retryable, retryAfterMs };
}

/** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now: Date = new Date()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** Paths of the failing fields, e.g. `token (invalid_type)`; never the values. */
export function describeSchemaIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'} (${i.code})`);
}

export interface ProviderErrorDetails {
  code?: string;
  message?: string;
}

// Error bodies differ per provider and are often undocumented: accept the common shapes leniently.
const ErrorObject = z
  .object({
    code: z.union([z.string(), z.number()]).optional(),
    error: z.union([z.string(), z.number()]).optional(),
    error_message: z.string().optional(),
    errorMessage: z.string().optional(),
    message: z.string().optional(),
  })
  .loose();
const ErrorBody = z.union([ErrorObject, z.array(ErrorObject).min(1)]);

/** Extracts a code and message from a JSON error body (object or KZ-style array) or short plain text. */
export function extractProviderError(body: string, contentType: string | undefined): ProviderErrorDetails {
  const cut = (s: string | undefined) => (s ? s.replace(/\s+/g, ' ').trim().slice(0, MAX_PROVIDER_MESSAGE) : undefined);
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(body));
    if (parsed.success) {
      const e = Array.isArray(parsed.data) ? parsed.data[0]! : parsed.data;
      const code = e.code ?? (typeof e.error === 'number' ? e.error : undefined);
      const message = e.error_message ?? e.errorMessage ?? e.message ?? (typeof e.error === 'string' ? e.error : undefined);
      return { ...(code !== undefined ? { code: String(code) } : {}), ...(message ? { message: cut(message)! } : {}) };
    }
  } catch {
    // not JSON
  }
  if (contentType?.startsWith('text/plain') && body.trim()) return { message: cut(body)! };
  return {};
}

export interface ProviderHttpOptions {
  provider: string;
  baseUrl: string;
  /** Whole-request timeout; keep it below the activity's startToCloseTimeout. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Reads a code and message from an error body, for providers with their own error shapes. */
  describeError?: (body: string, contentType: string | undefined) => ProviderErrorDetails;
  /** An HTTPS agent carrying a client certificate and the CA to trust (mutual TLS). */
  agent?: HttpsAgent;
  /** What to check when a TLS handshake fails (e.g. that initial keys were extended). */
  tlsAdvice?: string;
  /**
   * A provider's own meaning of an error status, where it differs from the general rule (Cipher:
   * 400 = the ticket is gone, 500 = the operation failed for good, 503 = its service is not started).
   */
  statusMeaning?: (status: number) => { retryable: boolean; type: FailureType } | undefined;
  /**
   * Plain http to a non-loopback host (a closed segment: KPSIS). Off by default: the transport rule
   * (common/transport.ts) then refuses such a baseUrl here too, whatever the input schema let through.
   */
  allowPlainHttp?: boolean;
  /** Told on every client built with allowPlainHttp for a remote http URL (the caller logs it as a warning). */
  warnPlainHttp?: (message: string) => void;
}

export interface ProviderRequest<S extends z.ZodType> {
  method: Method;
  /** Path relative to baseUrl, without a leading slash (e.g. `auth/key`). */
  path: string;
  /** An absolute URL instead of `path` (a link the provider handed out; check its host first). */
  url?: string;
  /** Human name for errors, e.g. `POST /auth/simpleSignIn`. */
  endpoint: string;
  searchParams?: Record<string, string>;
  json?: unknown;
  /** A raw body, sent as application/octet-stream unless contentType says otherwise. */
  body?: Buffer | string;
  contentType?: string;
  /** Extra request headers (idempotency keys, signatures). */
  headers?: Record<string, string>;
  /** The 2xx body's schema; `null`: the body is not read (a webhook that answers with nothing). */
  schema: S | null;
  signal?: AbortSignal;
}

// Activities build a provider client per call; got.extend costs ~0.25 ms of CPU, so the configured
// instances are shared (by base URL, timeout and headers; per agent for mutual TLS). A bounded cache.
const gotInstances = new Map<string, Got>();
const gotInstancesByAgent = new WeakMap<HttpsAgent, Map<string, Got>>();
const GOT_INSTANCES_MAX = 64;

function gotFor(options: ProviderHttpOptions): Got {
  const key = JSON.stringify([options.baseUrl, options.timeoutMs, options.headers]);
  let instances = gotInstances;
  if (options.agent) {
    instances = gotInstancesByAgent.get(options.agent) ?? new Map();
    gotInstancesByAgent.set(options.agent, instances);
  }
  let instance = instances.get(key);
  if (!instance) {
    instance = got.extend({
      prefixUrl: options.baseUrl.replace(/\/?$/, '/'),
      timeout: { request: options.timeoutMs ?? 10_000 },
      retry: { limit: 0 }, // Temporal retries, with the policy from the table
      throwHttpErrors: false,
      followRedirect: false,
      responseType: 'text',
      headers: { accept: 'application/json', ...options.headers },
      ...(options.agent ? { agent: { https: options.agent } } : {}),
    });
    if (instances.size >= GOT_INSTANCES_MAX) instances.delete(instances.keys().next().value!);
    instances.set(key, instance);
  }
  return instance;
}

export class ProviderHttp {
  private readonly http: Got;
  constructor(readonly options: ProviderHttpOptions) {
    const problem = transportProblem(options.baseUrl, { allowPlainHttp: options.allowPlainHttp === true });
    if (problem) throw new InvalidInputError(`${options.provider} base URL ${problem}`);
    if (isPlainHttpToRemote(options.baseUrl)) {
      options.warnPlainHttp?.(
        `${options.provider} over plain http to ${hostAndPort(options.baseUrl)} (allowPlainHttp): everything sent, passwords included, crosses the network in clear`,
      );
    }
    this.http = gotFor(options);
  }

  async request<S extends z.ZodType>(req: ProviderRequest<S>): Promise<z.infer<S>> {
    return (await this.requestWithStatus(req)).data;
  }

  /**
   * As `request`, with the 2xx status (for providers where 200 and 202 mean different things). Each
   * exchange is one span (`<provider> <endpoint>`) and one sample of trustflow_provider_request_latency;
   * span attributes and metric labels carry the provider, the endpoint template and the status only.
   */
  async requestWithStatus<S extends z.ZodType>(req: ProviderRequest<S>): Promise<{ status: number; data: z.infer<S> }> {
    const { provider } = this.options;
    return tracer.startActiveSpan(
      `${provider} ${req.endpoint}`,
      { kind: SpanKind.CLIENT, attributes: { 'trustflow.provider': provider, 'trustflow.endpoint': req.endpoint } },
      async (span) => {
        const started = performance.now();
        let statusClass: StatusClass = 'network';
        try {
          const result = await this.exchange(req, (status) => {
            statusClass = statusClassOf(status);
            span.setAttribute('http.response.status_code', status);
          });
          return result;
        } catch (err) {
          if (err instanceof ProviderNetworkError && err.code === 'ETIMEDOUT') statusClass = 'timeout';
          span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof TrustflowError ? err.type : 'error' });
          throw err;
        } finally {
          metrics.providerRequest({ provider, endpoint: req.endpoint, status_class: statusClass }, performance.now() - started);
          span.end();
        }
      },
    );
  }

  private async exchange<S extends z.ZodType>(
    req: ProviderRequest<S>,
    answered: (status: number) => void,
  ): Promise<{ status: number; data: z.infer<S> }> {
    const { provider } = this.options;
    // A link the provider handed out is held to the same transport rule as the base URL.
    const urlProblem = req.url ? transportProblem(req.url, { allowPlainHttp: this.options.allowPlainHttp === true }) : undefined;
    if (urlProblem) throw new InvalidInputError(`${provider} ${req.endpoint}: the URL ${urlProblem}`);
    let res;
    try {
      res = await this.http(req.url ?? req.path, {
        method: req.method,
        ...(req.url ? { prefixUrl: '' } : {}),
        ...(req.searchParams ? { searchParams: req.searchParams } : {}),
        ...(req.json !== undefined ? { json: req.json } : {}),
        ...(req.body !== undefined ? { body: req.body } : {}),
        headers: { ...(req.body !== undefined ? { 'content-type': req.contentType ?? 'application/octet-stream' } : {}), ...req.headers },
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (err) {
      const tls = toTlsError(provider, req.endpoint, err, this.options.tlsAdvice);
      if (tls) throw tls;
      if (this.options.agent && (err as { code?: string }).code === 'ECONNRESET') {
        // A certificate alert may hide behind the reset (TLS 1.3): ask the server once more, carefully.
        const alert = await probeTlsAlert(req.url ?? this.options.baseUrl, this.options.agent);
        if (alert) throw toTlsError(provider, req.endpoint, { code: alert }, this.options.tlsAdvice)!;
      }
      throw toNetworkError(provider, req.endpoint, err, hostAndPort(req.url ?? this.options.baseUrl));
    }
    answered(res.statusCode);
    const contentType = res.headers['content-type'];
    if (res.statusCode >= 300) {
      const { retryable, retryAfterMs } = classifyHttpStatus(res.statusCode, headerValue(res.headers['retry-after']));
      const details = (this.options.describeError ?? extractProviderError)(res.body, contentType);
      const own = this.options.statusMeaning?.(res.statusCode);
      const answer = {
        provider,
        endpoint: req.endpoint,
        status: res.statusCode,
        providerCode: details.code,
        providerMessage: details.message,
      };
      if (own)
        throw new ProviderHttpError({
          ...answer,
          retryable: own.retryable,
          retryAfterMs: own.retryable ? retryAfterMs : undefined,
          type: own.type,
        });
      throw new ProviderHttpError({ ...answer, retryable, retryAfterMs });
    }
    if (req.schema === null) return { status: res.statusCode, data: undefined as z.infer<S> };
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      throw new ProviderContractViolation(provider, req.endpoint, ['(body) (not JSON)']);
    }
    const parsed = req.schema.safeParse(json);
    if (!parsed.success) throw new ProviderContractViolation(provider, req.endpoint, describeSchemaIssues(parsed.error));
    return { status: res.statusCode, data: parsed.data };
  }
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

// Codes that prove the request never left this machine: safe to retry even non-idempotent calls.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

// Certificate problems seen by us (the server's certificate) or by the server (ours, reported as a
// TLS alert). Neither goes away by retrying: someone has to renew, register or configure a certificate.
const SERVER_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);
const CLIENT_CERT_ALERT =
  /^ERR_SSL_.*ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|UNKNOWN_CA|ACCESS_DENIED|DECRYPT_ERROR)$/;

function toTlsError(provider: string, endpoint: string, err: unknown, advice: string | undefined): ProviderTlsError | undefined {
  const code = (err as { code?: string })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  if (!code) return undefined;
  if (SERVER_CERT_CODES.has(code)) return new ProviderTlsError(provider, endpoint, code, 'server-certificate', advice);
  if (CLIENT_CERT_ALERT.test(code) || code === CLOSED_AFTER_HANDSHAKE)
    return new ProviderTlsError(provider, endpoint, code, 'client-certificate', advice);
  if (/^ERR_SSL_/.test(code)) return new ProviderTlsError(provider, endpoint, code, 'handshake', advice);
  return undefined;
}

function toNetworkError(provider: string, endpoint: string, err: unknown, target: string): ProviderNetworkError {
  if (err instanceof RequestError) {
    const code = err.code;
    const timeoutPhase = (err as RequestError & { event?: string }).event;
    const notSent = NOT_SENT_CODES.has(code) || timeoutPhase === 'lookup' || timeoutPhase === 'connect';
    return new ProviderNetworkError(provider, endpoint, code, notSent, target);
  }
  return new ProviderNetworkError(provider, endpoint, (err as { code?: string })?.code, false, target);
}
