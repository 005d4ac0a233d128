// The capability link of a signing request: `<page URL>/sign#<token>`. The token is sealed with
// AES-256-GCM under a key derived from TRUSTFLOW_SIGNING_LINK_KEY (shared by the worker, which makes
// links, and the signing server, which opens them), so it cannot be guessed, forged or altered, names
// its workflow and request without showing them, and carries its expiry. Its IV is random, or, for an
// alert's link, derived from the alert's id and the whole plaintext (a redelivery is the same body).
// Single use is the flow's part: once a signature is accepted the request is over and every link to it
// is refused. The token travels in the URL fragment, which browsers never send to a server, so it is in
// no access log; the page posts it in request bodies. Never logged, never in a workflow's history.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export interface SigningLink {
  workflowId: string;
  requestId: string;
  /** Past this the link is refused as expired. */
  expiresAt: Date;
}

export type OpenedLink = { ok: true; link: SigningLink } | { ok: false; problem: 'malformed' | 'expired'; expiresAt?: Date };

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Workflow ids are at most 1,000 characters: a longer token is not one of ours. */
const MAX_TOKEN_CHARS = 2048;

/** The AES key for links, from the shared secret (HKDF-SHA256, its own label). */
export function linkKeyFromSecret(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'trustflow signing link v1', 32));
}

/** The HMAC key for derived IVs: its own, not the AES key. */
function ivKeyOf(key: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'trustflow signing link iv', 32));
}

/**
 * `deliveryId`: makes the token the same for every delivery attempt of one alert (a redelivery after a
 * worker crash carries the same body). The IV is then an HMAC of the whole plaintext and the id, so one
 * IV never meets two plaintexts (GCM's one rule); without it the IV is random.
 */
export function sealLinkToken(key: Buffer, link: SigningLink, deliveryId?: string): string {
  const plain = Buffer.from(JSON.stringify({ w: link.workflowId, r: link.requestId, e: Math.floor(link.expiresAt.getTime() / 1000) }));
  const iv =
    deliveryId === undefined
      ? randomBytes(IV_BYTES)
      : createHmac('sha256', ivKeyOf(key)).update('iv\0').update(deliveryId).update('\0').update(plain).digest().subarray(0, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from([VERSION]));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

/** Opens a token: 'malformed' for anything not sealed with this key (forged, altered, truncated, other key). */
export function openLinkToken(key: Buffer, token: string, now: Date): OpenedLink {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token))
    return { ok: false, problem: 'malformed' };
  const raw = Buffer.from(token, 'base64url');
  // One spelling per token: the decoder would ignore a stray last character or unused low bits.
  if (raw.toString('base64url') !== token) return { ok: false, problem: 'malformed' };
  if (raw.length < 1 + IV_BYTES + TAG_BYTES + 2 || raw[0] !== VERSION) return { ok: false, problem: 'malformed' };
  let fields: { w?: unknown; r?: unknown; e?: unknown };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(raw.subarray(0, 1));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    fields = JSON.parse(plain.toString('utf8')) as typeof fields;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (typeof fields.w !== 'string' || typeof fields.r !== 'string' || typeof fields.e !== 'number')
    return { ok: false, problem: 'malformed' };
  const expiresAt = new Date(fields.e * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, problem: 'expired', expiresAt };
  return { ok: true, link: { workflowId: fields.w, requestId: fields.r, expiresAt } };
}

/** The link a person opens: the token in the fragment, never in the path or query. */
export function signingLinkUrl(pageUrl: string, token: string): string {
  return `${pageUrl.replace(/\/+$/, '')}/sign#${token}`;
}
