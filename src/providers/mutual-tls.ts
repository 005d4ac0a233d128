// Mutual TLS from a PKCS#12 client identity: node-forge opens the file (legacy and AES), the key
// and chain go to Node's TLS as PEM, the server is verified against a configured CA bundle only.
// Agents are cached per identity (opening a PKCS#12 costs up to ~1.5 s and a fresh agent loses
// its kept-alive connections); the cache key is a hash, never the key material itself.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { FailureType, KeyStoreError, TrustflowError } from '../common/errors.js';
import { openPkcs12 } from '../crypto/keys/pkcs12.js';
import type { SecretResolver } from '../secrets/resolve.js';
import type { MutualTlsSpec } from '../contracts/mutual-tls-spec.js';

export interface MutualTlsIdentity {
  agent: Agent;
  clientCertificate: X509Certificate;
}

export interface OpenMutualTlsOptions {
  /** Provider name for messages. */
  provider: string;
  /** What to tell the operator when the client certificate is expired (provider-specific renewal advice). */
  renewalAdvice: string;
  /** Warnings (insecure mode, certificate about to expire) go here. */
  warn: (message: string, attrs?: Record<string, unknown>) => void;
  now?: Date;
  /** Warn when the client certificate has fewer days left than this. */
  expiryWarningDays?: number;
}

const MAX_CACHED = 8;
const cache = new Map<string, MutualTlsIdentity>();
/** Expiry warnings: once per certificate per hour, not on every call. */
const EXPIRY_WARNING_EVERY_MS = 3600_000;
const lastExpiryWarning = new Map<string, number>();

export async function openMutualTls(
  spec: MutualTlsSpec,
  resolveSecret: SecretResolver,
  o: OpenMutualTlsOptions,
): Promise<MutualTlsIdentity> {
  if (spec.insecureSkipServerVerification) {
    o.warn(
      `!!! ${o.provider}: server certificate verification is OFF (insecureSkipServerVerification). Anyone between this worker and ` +
        `${o.provider} can read and change the traffic. Test stands only: configure tls.ca with the ${o.provider} CA instead.`,
    );
  }
  const [p12, password, ca] = await Promise.all([
    readFile(spec.p12).catch((err: NodeJS.ErrnoException) => {
      throw new KeyStoreError(`${spec.p12}: cannot read the TLS client key store (${err.code ?? 'error'})`);
    }),
    resolveSecret(spec.password),
    spec.ca
      ? readFile(spec.ca, 'utf8').catch((err: NodeJS.ErrnoException) => {
          throw new KeyStoreError(`${spec.ca}: cannot read the CA bundle (${err.code ?? 'error'})`);
        })
      : Promise.resolve(undefined),
  ]);
  const cacheKey = createHash('sha256')
    .update(p12)
    .update('\0')
    .update(password)
    .update('\0')
    .update(ca ?? '(no ca)')
    .update(spec.insecureSkipServerVerification ? 'insecure' : 'verify')
    .digest('hex');

  let identity = cache.get(cacheKey);
  if (!identity) {
    const key = openPkcs12(p12, password, spec.p12, spec.password);
    if (ca !== undefined) assertCaBundle(ca, spec.ca!);
    const clientCertificate = key.certificates[0]!;
    checkValidity(clientCertificate, spec.p12, o); // before caching: an expired key must not take a slot
    identity = {
      agent: new Agent({
        key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }),
        cert: key.certificates.map((c) => c.toString()).join('\n'),
        ...(ca !== undefined ? { ca } : {}),
        rejectUnauthorized: !spec.insecureSkipServerVerification,
        keepAlive: true,
        maxSockets: 16,
      }),
      clientCertificate,
    };
    if (cache.size >= MAX_CACHED) {
      const oldest = cache.keys().next().value!;
      cache.get(oldest)?.agent.destroy();
      cache.delete(oldest);
    }
    cache.set(cacheKey, identity);
    return identity;
  }
  checkValidity(identity.clientCertificate, spec.p12, o);
  return identity;
}

/** Expired or not-yet-valid client certificates fail here, before the provider sees them. */
function checkValidity(cert: X509Certificate, label: string, o: OpenMutualTlsOptions): void {
  const now = (o.now ?? new Date()).getTime();
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (now < from) {
    throw new TrustflowError(
      `${label}: the TLS client certificate is not valid before ${new Date(from).toISOString()} (check the worker's clock)`,
      FailureType.TlsRejected,
      false,
    );
  }
  if (now > to) {
    throw new TrustflowError(
      `${label}: the TLS client certificate expired on ${new Date(to).toISOString()}. ${o.renewalAdvice}`,
      FailureType.TlsRejected,
      false,
    );
  }
  const daysLeft = Math.floor((to - now) / 86400_000);
  const warnedAt = lastExpiryWarning.get(cert.fingerprint256);
  if (daysLeft < (o.expiryWarningDays ?? 30) && (warnedAt === undefined || now - warnedAt >= EXPIRY_WARNING_EVERY_MS)) {
    lastExpiryWarning.set(cert.fingerprint256, now);
    o.warn(`${o.provider}: the TLS client certificate expires in ${daysLeft} days. ${o.renewalAdvice}`, {
      validTo: new Date(to).toISOString(),
      serialNumber: cert.serialNumber,
    });
  }
}

function assertCaBundle(pem: string, label: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error('no certificate');
    for (const b of blocks) new X509Certificate(b);
  } catch {
    throw new KeyStoreError(`${label}: not a PEM bundle of CA certificates (expected one or more -----BEGIN CERTIFICATE----- blocks)`);
  }
}

/** Drops cached agents and their connections (tests, worker shutdown). */
export function closeMutualTlsAgents(): void {
  for (const i of cache.values()) i.agent.destroy();
  cache.clear();
}
