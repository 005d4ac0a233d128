// The alert sink's HTTP side: POSTs one TrustflowAlert (contracts/alert.ts) as JSON to the operator's
// webhook, signed when a secret is set. Through the shared HTTP client, so the one classifier decides
// what is retried (5xx, 429, network) and what is not (4xx). The body is serialised once and signed as
// sent; a retry sends the same bytes, so receivers can dedupe on alertId and check the signature.
import { ALERT_ID_HEADER, ALERT_SIGNATURE_HEADER, type TrustflowAlert } from '../../contracts/alert.js';
import { webhookSignature } from '../../common/webhook-signature.js';
import { ProviderHttp } from '../http.js';

export interface AlertWebhookOptions {
  url: string;
  /** HMAC-SHA256 key; null only when unsigned delivery was chosen on purpose (common/alert-settings.ts). */
  secret: string | null;
  timeoutMs: number;
}

export class AlertWebhook {
  private readonly http: ProviderHttp;
  constructor(private readonly o: AlertWebhookOptions) {
    // An alert carries no secret (and the HMAC key is never sent): a plain-http relay inside the
    // operator's network is allowed, as for any receiver of the old KPSIS reminders.
    this.http = new ProviderHttp({ provider: 'alert webhook', baseUrl: o.url, timeoutMs: o.timeoutMs, allowPlainHttp: true });
  }

  /** POSTs the alert; resolves with the receiver's 2xx status, throws the classified HTTP error otherwise. */
  async send(alert: TrustflowAlert, signal?: AbortSignal): Promise<{ status: number }> {
    const body = JSON.stringify(alert);
    const { status } = await this.http.requestWithStatus({
      method: 'POST',
      path: '',
      url: this.o.url,
      endpoint: 'POST (alert webhook)',
      body,
      contentType: 'application/json',
      headers: {
        [ALERT_ID_HEADER]: alert.alertId,
        ...(this.o.secret ? { [ALERT_SIGNATURE_HEADER]: webhookSignature(body, this.o.secret) } : {}),
      },
      schema: null,
      ...(signal ? { signal } : {}),
    });
    return { status };
  }
}
