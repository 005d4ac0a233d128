// Typed client of KISC's identity exchange over mutual TLS. No Temporal imports.
// The IIN travels in the query string (as KISC wants it); it never appears in our errors or logs:
// error messages name endpoints without their query.
import type { Agent } from 'node:https';
import { ProviderContractViolation, ProviderHttpError } from '../../common/errors.js';
import { ProviderHttp } from '../http.js';
import {
  ActSchema,
  NewsSchema,
  PersonalDataSchema,
  TransactionsSchema,
  VendorsResponseSchema,
  VerificationSchema,
  type NewsItem,
  type PersonalData,
  type Transaction,
  type Vendor,
  type Verification,
} from './schemas.js';

export const KISC_TLS_ADVICE =
  'KISC issues initial ("primary initialization") keys valid for 14 days: check that the RSA TLS certificate was extended ' +
  'to one year on the KISC CA portal, that it is the one registered for this participant, and that tls.ca holds the KISC CA';

export interface KiscClientOptions {
  /** e.g. https://onlinetest.kisc.kz/identity/1.1.0 */
  baseUrl: string;
  /** Mutual-TLS agent (openMutualTls). */
  agent: Agent;
  timeoutMs?: number;
}

export interface VerifyRequest {
  iin: string;
  vendorId: number;
  idempotencyKey: string;
  photo: Buffer;
  contentType: 'image/png' | 'image/jpeg';
}

export class KiscClient {
  private readonly http: ProviderHttp;

  constructor(o: KiscClientOptions) {
    this.http = new ProviderHttp({
      provider: 'KISC',
      baseUrl: o.baseUrl,
      timeoutMs: o.timeoutMs ?? 30_000,
      agent: o.agent,
      tlsAdvice: KISC_TLS_ADVICE,
    });
  }

  async vendors(signal?: AbortSignal): Promise<Vendor[]> {
    return (
      await this.http.request({
        method: 'GET',
        path: 'vendors',
        endpoint: 'GET /vendors',
        schema: VendorsResponseSchema,
        ...(signal ? { signal } : {}),
      })
    ).vendors;
  }

  /** Billed. Send only with a key persisted before the call; after an ambiguous failure, `lookupVerification` first. */
  async verify(r: VerifyRequest, signal?: AbortSignal): Promise<Verification> {
    const v = await this.http.request({
      method: 'POST',
      path: 'verify',
      endpoint: 'POST /verify',
      searchParams: { iin: r.iin, vendor: String(r.vendorId) },
      headers: { 'x-idempotency-key': r.idempotencyKey },
      body: r.photo,
      contentType: r.contentType,
      schema: VerificationSchema,
      ...(signal ? { signal } : {}),
    });
    return checkVerification(v, r.idempotencyKey, r.iin, 'POST /verify');
  }

  /** The stored result of a verification by its key (not billed), or undefined when KISC has none. */
  async lookupVerification(idempotencyKey: string, iin: string, signal?: AbortSignal): Promise<Verification | undefined> {
    try {
      const v = await this.http.request({
        method: 'GET',
        path: 'verify',
        endpoint: 'GET /verify',
        headers: { 'x-idempotency-key': idempotencyKey },
        schema: VerificationSchema,
        ...(signal ? { signal } : {}),
      });
      return checkVerification(v, idempotencyKey, iin, 'GET /verify');
    } catch (err) {
      if (err instanceof ProviderHttpError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** `body` is sent byte for byte as signed: the signature covers exactly these bytes. */
  async personalData(
    r: { idempotencyKey: string; body: Buffer; jwsSignature: string; mcdb: boolean },
    signal?: AbortSignal,
  ): Promise<PersonalData> {
    return this.http.request({
      method: 'POST',
      path: 'data',
      endpoint: 'POST /data',
      ...(r.mcdb ? { searchParams: { mcdb: '1' } } : {}),
      headers: { 'x-idempotency-key': r.idempotencyKey, 'x-jws-signature': r.jwsSignature },
      body: r.body,
      contentType: 'application/json',
      schema: PersonalDataSchema,
      ...(signal ? { signal } : {}),
    });
  }

  async news(signal?: AbortSignal): Promise<NewsItem[]> {
    return this.http.request({ method: 'GET', path: 'news', endpoint: 'GET /news', schema: NewsSchema, ...(signal ? { signal } : {}) });
  }

  /** Billed verifications between two dates (inclusive), `YYYYMMDD`. */
  async transactions(from: string, to: string, signal?: AbortSignal): Promise<Transaction[]> {
    return this.http.request({
      method: 'GET',
      path: `report/transactions/${from}/${to}`,
      endpoint: 'GET /report/transactions',
      schema: TransactionsSchema,
      ...(signal ? { signal } : {}),
    });
  }

  /** The monthly act: a ZIP archive. */
  async act(year: number, month: number, signal?: AbortSignal): Promise<Buffer> {
    const r = await this.http.request({
      method: 'GET',
      path: `report/act/${year}/${String(month).padStart(2, '0')}`,
      endpoint: 'GET /report/act',
      schema: ActSchema,
      ...(signal ? { signal } : {}),
    });
    return Buffer.from(r.binary.replace(/\s+/g, ''), 'base64');
  }
}

/** A verification is only ours when it carries our key and our IIN; anything else is a contract breach. */
function checkVerification(v: Verification, key: string, iin: string, endpoint: string): Verification {
  const wrong = [
    ...(v.x_idempotency_key !== key ? ['x_idempotency_key (not our key)'] : []),
    ...(v.iin !== iin ? ['iin (not the IIN we sent)'] : []),
  ];
  if (wrong.length) throw new ProviderContractViolation('KISC', endpoint, wrong);
  return v;
}
