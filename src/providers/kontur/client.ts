// Typed client of Kontur's certificate authentication. No Temporal imports.
import { isLoopbackHost } from '../../common/transport.js';
import { FailureType, ProviderHttpError, TrustflowError } from '../../common/errors.js';
import { ProviderHttp } from '../http.js';
import {
  AuthenticateResponseSchema,
  describeKonturError,
  RESTART_CODES,
  SessionResponseSchema,
  type AuthenticateResponse,
  type SessionResponse,
} from './schemas.js';

export interface KonturClientOptions {
  /** e.g. https://api.kontur.ru */
  baseUrl: string;
  /** Path version of the auth API; v5.9 is what Kontur's SDKs use. */
  apiVersion?: string;
  apiKey?: string;
  timeoutMs?: number;
}

/** Raised when Kontur's approve link is not where the decrypted key may go. */
export class UnsafeLinkError extends TrustflowError {
  override readonly name = 'UnsafeLinkError';
  constructor(message: string) {
    super(message, FailureType.ProviderContractViolation, false);
  }
}

/**
 * The decrypted value is a one-time credential: it may go only to the configured Kontur host, over
 * https (plain http only when the configured base itself is http on loopback, i.e. the sandbox).
 */
export function assertApproveLink(href: string, baseUrl: string): URL {
  let link: URL;
  try {
    link = new URL(href);
  } catch {
    throw new UnsafeLinkError('Kontur returned an approve link that is not an absolute URL: the decrypted key is not sent');
  }
  const base = new URL(baseUrl);
  const schemeOk = link.protocol === 'https:' || (link.protocol === 'http:' && base.protocol === 'http:' && isLoopbackHost(base.hostname));
  if (link.host !== base.host || !schemeOk || link.username || link.password) {
    throw new UnsafeLinkError(
      `Kontur's approve link points to ${link.protocol}//${link.host}, not to the configured ${base.protocol}//${base.host}${schemeOk ? '' : ' over https'}: the decrypted key is not sent there`,
    );
  }
  return link;
}

export class KonturClient {
  private readonly http: ProviderHttp;
  private readonly version: string;

  constructor(private readonly o: KonturClientOptions) {
    this.http = new ProviderHttp({
      provider: 'Kontur',
      baseUrl: o.baseUrl,
      timeoutMs: o.timeoutMs ?? 10_000,
      describeError: describeKonturError,
    });
    this.version = o.apiVersion ?? 'v5.9';
  }

  /** Step 1: the certificate (PEM or DER bytes) → EncryptedKey and the approve link. */
  async authenticateByCert(certificate: Buffer, free: boolean, signal?: AbortSignal): Promise<AuthenticateResponse> {
    return this.call(() =>
      this.http.request({
        method: 'POST',
        path: `auth/${this.version}/authenticate-by-cert`,
        endpoint: `POST /auth/${this.version}/authenticate-by-cert`,
        searchParams: { free: String(free), ...(this.o.apiKey ? { apiKey: this.o.apiKey } : {}) },
        body: certificate,
        schema: AuthenticateResponseSchema,
        signal,
      }),
    );
  }

  /** Step 3: the decrypted bytes to Link.Href (checked first) → a session. Single-use: never re-post. */
  async approveCert(href: string, decrypted: Buffer, signal?: AbortSignal): Promise<SessionResponse> {
    const link = assertApproveLink(href, this.o.baseUrl);
    if (this.o.apiKey && !link.searchParams.has('apiKey')) link.searchParams.set('apiKey', this.o.apiKey);
    return this.call(() =>
      this.http.request({
        method: 'POST',
        path: '',
        url: link.toString(),
        endpoint: `POST /auth/${this.version}/approve-cert`,
        body: decrypted,
        schema: SessionResponseSchema,
        signal,
      }),
    );
  }

  /** Exchanges a session for a new pair; the old pair becomes invalid. */
  async refreshSession(sid: string, refreshToken: string, signal?: AbortSignal): Promise<SessionResponse> {
    return this.call(() =>
      this.http.request({
        method: 'POST',
        path: `sessions/${this.version}/sessions/refresh`,
        endpoint: `POST /sessions/${this.version}/sessions/refresh`,
        searchParams: { 'auth.sid': sid, 'refresh-token': refreshToken, ...(this.o.apiKey ? { 'api-key': this.o.apiKey } : {}) },
        schema: SessionResponseSchema,
        signal,
      }),
    );
  }

  /** Kontur's statuses: 403 restart codes → ChallengeRejected; 400 → InvalidInput; 406 → explained. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ProviderHttpError) || err.retryable) throw err;
      const retype = (type: FailureType, message?: string) => err.retyped(type, message ?? err.providerMessage);
      if (err.status === 403 && err.providerCode && RESTART_CODES.has(err.providerCode)) throw retype(FailureType.ChallengeRejected);
      if (err.status === 400) throw retype(FailureType.InvalidInput, 'Kontur says required parameters are missing or malformed');
      if (err.status === 406) {
        throw retype(
          FailureType.ProviderRejected,
          'the certificate chain is not valid: a certificate is expired or not yet valid, a signature in the chain is invalid, or the root is not trusted by Kontur; renew the certificate or install its chain (free=true skips the check, for test stands only)',
        );
      }
      throw err;
    }
  }
}
