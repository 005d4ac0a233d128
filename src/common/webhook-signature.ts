// The alert webhook's signature scheme: HMAC-SHA256 over the exact body bytes, sent as
// `X-Trustflow-Signature: sha256=<hex>`. One place for the sender (providers/alert-webhook) and the
// receivers (the sandbox's, and the example in docs/credential-lifecycle.md, "Alerts"), so both sides
// agree byte for byte.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function webhookSignature(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a received `X-Trustflow-Signature` header against the body. */
export function verifyWebhookSignature(body: string | Uint8Array, header: string | undefined, secret: string): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const expected = Buffer.from(webhookSignature(body, secret));
  const got = Buffer.from(header);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
