// Typed client of Cipher's ticket API. No Temporal imports. Status codes decide, never the
// (localized, version-dependent) message text: 400 = the ticket is gone, 500 = the operation failed
// (message + failureCause, not retried), 503 = the service is not started (the flow waits for it).
import { FailureType } from '../../common/errors.js';
import { ProviderHttp, type ProviderErrorDetails } from '../http.js';
import {
  Base64DataSchema,
  MessageSchema,
  optionsToWire,
  TicketCreatedSchema,
  VerifierResponseSchema,
  type VerifierResponse,
} from './schemas.js';
import { type CipherOptionsSchema } from '../../contracts/cipher-options.js';
import type { z } from 'zod';

const PROVIDER = 'Cipher';

/** 503 is transient, but not retried inside the activity: the workflow waits for the service, visibly (cipher-ticket.ts). */
export function cipherStatusMeaning(status: number): { retryable: boolean; type: FailureType } | undefined {
  if (status === 400) return { retryable: false, type: FailureType.SessionMissing };
  if (status === 503) return { retryable: false, type: FailureType.ServiceNotRunning };
  if (status === 500) return { retryable: false, type: FailureType.ProviderRejected };
  return undefined;
}

/** `{message, failureCause}` → one line: the service's words, cut short, never our request. */
export function describeCipherError(body: string): ProviderErrorDetails {
  try {
    const parsed = MessageSchema.safeParse(JSON.parse(body));
    if (parsed.success) {
      const { message, failureCause } = parsed.data;
      const text = [message, failureCause].filter(Boolean).join(': ').replace(/\s+/g, ' ').trim().slice(0, 400);
      const code = (parsed.data as { code?: unknown }).code;
      return { ...(typeof code === 'string' ? { code } : {}), ...(text ? { message: text } : {}) };
    }
  } catch {
    // not JSON
  }
  return {};
}

export type SigningStatus = 'done' | 'running';

export class CipherClient {
  private readonly http: ProviderHttp;

  constructor(o: { baseUrl: string; timeoutMs?: number }) {
    this.http = new ProviderHttp({
      provider: PROVIDER,
      baseUrl: o.baseUrl,
      timeoutMs: o.timeoutMs ?? 30_000,
      describeError: describeCipherError,
      statusMeaning: cipherStatusMeaning,
    });
  }

  async createTicket(signal?: AbortSignal): Promise<string> {
    return (
      await this.http.request({ method: 'POST', path: 'ticket', endpoint: 'POST /ticket', schema: TicketCreatedSchema, ...sig(signal) })
    ).ticketUuid;
  }

  async deleteTicket(ticket: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: `ticket/${enc(ticket)}`,
      endpoint: 'DELETE /ticket/{uuid}',
      schema: MessageSchema,
      ...sig(signal),
    });
  }

  async uploadData(ticket: string, data: Buffer, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `ticket/${enc(ticket)}/data`,
      endpoint: 'POST /ticket/{uuid}/data',
      body: data,
      contentType: 'application/octet-stream',
      schema: MessageSchema,
      ...sig(signal),
    });
  }

  async setOptions(ticket: string, options: z.output<typeof CipherOptionsSchema>, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'PUT',
      path: `ticket/${enc(ticket)}/option`,
      endpoint: 'PUT /ticket/{uuid}/option',
      json: optionsToWire(options),
      schema: MessageSchema,
      ...sig(signal),
    });
  }

  /** The container's bytes (uploaded) or a path on the agent's machine (`keyStorePath`). */
  async uploadKeyStore(ticket: string, keyStore: { bytes: Buffer } | { path: string }, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'PUT',
      path: `ticket/${enc(ticket)}/keyStore`,
      endpoint: 'PUT /ticket/{uuid}/keyStore',
      ...('bytes' in keyStore
        ? { body: keyStore.bytes, contentType: 'application/octet-stream' }
        : { json: { keyStorePath: keyStore.path } }),
      schema: MessageSchema,
      ...sig(signal),
    });
  }

  async verifyKeyStore(ticket: string, password: string, signal?: AbortSignal): Promise<VerifierResponse> {
    return this.http.request({
      method: 'PUT',
      path: `ticket/${enc(ticket)}/keyStore/verifier`,
      endpoint: 'PUT /ticket/{uuid}/keyStore/verifier',
      json: { keyStorePassword: password },
      schema: VerifierResponseSchema,
      ...sig(signal),
    });
  }

  /** Starts the asynchronous signature. Never sent twice on one ticket. */
  async startSigning(ticket: string, password: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `ticket/${enc(ticket)}/ds/creator`,
      endpoint: 'POST /ticket/{uuid}/ds/creator',
      json: { keyStorePassword: password },
      schema: MessageSchema,
      ...sig(signal),
    });
  }

  /** 200 → done, 202 → still running; a failed signature is a 500 (thrown, with failureCause). */
  async signingStatus(ticket: string, signal?: AbortSignal): Promise<SigningStatus> {
    const { status } = await this.http.requestWithStatus({
      method: 'GET',
      path: `ticket/${enc(ticket)}/ds/creator`,
      endpoint: 'GET /ticket/{uuid}/ds/creator',
      schema: MessageSchema,
      ...sig(signal),
    });
    return status === 202 ? 'running' : 'done';
  }

  async signature(ticket: string, signal?: AbortSignal): Promise<Buffer> {
    const r = await this.http.request({
      method: 'GET',
      path: `ticket/${enc(ticket)}/ds/base64Data`,
      endpoint: 'GET /ticket/{uuid}/ds/base64Data',
      schema: Base64DataSchema,
      ...sig(signal),
    });
    return Buffer.from(r.base64Data.replace(/\s+/g, ''), 'base64');
  }
}

const enc = (ticket: string) => encodeURIComponent(ticket);
const sig = (signal: AbortSignal | undefined) => (signal ? { signal } : {});
