// What the KISC activities share: their dependencies, the client (over mutual TLS), the vendor list
// (cached), the announced planned works, the personal-data signing key and the photo, each read here.
import { Context } from '@temporalio/activity';
import type { KiscEndpoint } from '../../contracts/kisc-endpoint.js';
import type { MaintenanceWindow } from '../../contracts/kisc-maintenance.js';
import type { KiscJwsKeySpec } from './kisc-verify-identity.contract.js';
import { InvalidInputError } from '../../common/errors.js';
import { httpTimeout } from '../http-timeout.activities.js';
import { imageContentType, type ImageContentType } from '../../common/image-type.js';
import { assertCertificateValid } from '../../crypto/certificates/validity.js';
import { openPkcs12File } from '../../crypto/keys/pkcs12.js';
import { KISC_TLS_ADVICE, KiscClient, type Vendor } from '../../providers/kisc/index.js';
import { parseMaintenanceNews } from '../../providers/kisc/maintenance.js';
import { openMutualTls } from '../../providers/mutual-tls.js';
import { readBlob } from '../../secrets/blob.js';
import type { SecretResolver } from '../../secrets/resolve.js';

/** What the KISC activities are given: the dependencies, defaults filled in, and the vendor cache they share. */
export interface KiscDeps {
  resolveSecret: SecretResolver;
  now: () => Date;
  /** How long GET /vendors answers are reused (ms). */
  vendorsCacheMs: number;
  /** GET /vendors answers by base URL. */
  vendorsCache: Map<string, { at: number; vendors: Vendor[] }>;
}

const ctx = () => Context.current();

export async function kiscClient(d: KiscDeps, e: KiscEndpoint): Promise<KiscClient> {
  const { agent } = await openMutualTls(e.tls, d.resolveSecret, {
    provider: 'KISC',
    renewalAdvice: KISC_TLS_ADVICE,
    warn: (message, attrs) => ctx().log.warn(message, attrs ?? {}),
    now: d.now(),
  });
  return new KiscClient({ baseUrl: e.baseUrl, agent, timeoutMs: httpTimeout() });
}

/**
 * Planned works KISC announces in GET /news that have not ended yet. Never fatal: an item that
 * announces works in words this parser cannot read is logged and ignored, and so is a failed
 * request (the billed call then goes ahead, as it did before news were read).
 */
export async function announcedMaintenance(
  d: KiscDeps,
  e: KiscEndpoint,
  assumeIfUnread: MaintenanceWindow[] = [],
): Promise<MaintenanceWindow[]> {
  let items;
  try {
    items = await (await kiscClient(d, e)).news(ctx().cancellationSignal);
  } catch (err) {
    if (ctx().cancellationSignal.aborted) throw err;
    ctx().log.warn(
      assumeIfUnread.length
        ? 'KISC GET /news failed: the planned works announced before are assumed to stand'
        : 'KISC GET /news failed: announced planned works are not known for this verification',
      { reason: err instanceof Error ? err.message : String(err) },
    );
    return assumeIfUnread;
  }
  const { windows, unparsed } = parseMaintenanceNews(items);
  for (const item of unparsed)
    ctx().log.warn('KISC news item announces works but names no time range trustflow can read: ignored', {
      date: item.date,
      subject: item.subject,
    });
  const at = d.now().getTime();
  return windows.filter((w) => Date.parse(w.end) > at);
}

export async function vendors(d: KiscDeps, e: KiscEndpoint): Promise<Vendor[]> {
  const cached = d.vendorsCache.get(e.baseUrl);
  if (cached && Date.now() - cached.at < d.vendorsCacheMs) return cached.vendors;
  const list = await (await kiscClient(d, e)).vendors(ctx().cancellationSignal);
  d.vendorsCache.set(e.baseUrl, { at: Date.now(), vendors: list });
  return list;
}

/**
 * The key that will sign POST /data, opened and tried before anything is billed: the reference
 * resolves, the file reads, the password is right, the key fits the algorithm (a trial signature),
 * and its certificate is valid now. A failure here costs nothing; after /verify it would cost a charge.
 */
export async function openJwsKey(d: KiscDeps, spec: KiscJwsKeySpec) {
  const key = await openPkcs12File(spec.path, spec.password, d.resolveSecret);
  assertCertificateValid(key.certificates[0]!, `signingKey ${spec.path}`, d.now());
  return key;
}

export async function readPhoto(ref: string, maxBytes: number): Promise<{ bytes: Buffer; contentType: ImageContentType }> {
  const bytes = await readBlob(ref, maxBytes, 'photo');
  const contentType = imageContentType(bytes);
  if (!contentType) throw new InvalidInputError(`photo ${ref} is neither a PNG nor a JPEG (judged by its first bytes, not its name)`);
  return { bytes, contentType };
}
