// Kontur activities. The decrypted random value is a one-time credential, so decrypting and
// posting it happen in one activity: it never leaves the worker's memory, never enters history.
import { X509Certificate } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { FailureType, ProviderHttpError, ProviderNetworkError } from '../../common/errors.js';
import { httpTimeout } from '../http-timeout.activities.js';
import { assertCertificateValid } from '../../crypto/certificates/validity.js';
import { decryptCms } from '../../crypto/cms/decrypt.js';
import { explainDecryptError, openDecryptionKey } from '../../crypto/keys/decryption-key.js';
import type { DecryptionKeySpec } from '../../contracts/decryption-key-spec.js';
import { assertApproveLink, KonturClient } from '../../providers/kontur/index.js';
import { resolveSecret as defaultResolveSecret, type SecretResolver } from '../../secrets/resolve.js';

export interface KonturActivityDeps {
  resolveSecret?: SecretResolver;
  now?: () => Date;
}

export interface KonturEndpoint {
  baseUrl: string;
  apiVersion: string;
  apiKey?: string | undefined;
}

export interface KonturSession {
  sid: string;
  refreshToken: string;
  obtainedAt: string;
}

export function createKonturActivities(deps: KonturActivityDeps = {}) {
  const resolveSecret = deps.resolveSecret ?? defaultResolveSecret;
  const now = deps.now ?? (() => new Date());
  const ctx = () => Context.current();
  const client = async (e: KonturEndpoint) =>
    new KonturClient({
      baseUrl: e.baseUrl,
      apiVersion: e.apiVersion,
      timeoutMs: httpTimeout(),
      ...(e.apiKey ? { apiKey: await resolveSecret(e.apiKey) } : {}),
    });

  return {
    konturAuthenticate: async (
      input: KonturEndpoint & { free: boolean; key: DecryptionKeySpec },
    ): Promise<{ encryptedKey: string; approveHref: string }> => {
      const { certificate, warning } = await openDecryptionKey(input.key, resolveSecret);
      if (warning) ctx().log.warn('the key opened, but its store needs attention', { warning });
      // Kontur would answer 406 for an expired certificate: say so before asking, with the dates.
      assertCertificateValid(new X509Certificate(certificate), `key ${input.key.path}`, now());
      const res = await (await client(input)).authenticateByCert(certificate, input.free, ctx().cancellationSignal);
      ctx().log.debug('Kontur authenticate-by-cert answered', { encryptedKeyBytes: Buffer.from(res.EncryptedKey, 'base64').length });
      return { encryptedKey: res.EncryptedKey, approveHref: res.Link.Href };
    },

    konturDecryptAndApprove: async (
      input: KonturEndpoint & { key: DecryptionKeySpec; encryptedKey: string; approveHref: string },
    ): Promise<KonturSession> => {
      // Where the decrypted value would go is checked before it exists (and again when sending).
      assertApproveLink(input.approveHref, input.baseUrl);
      const opened = await openDecryptionKey(input.key, resolveSecret);
      const t0 = performance.now();
      const decrypted = await decryptCms({ cms: input.encryptedKey, key: opened.key, certificate: opened.certificate }).catch(
        (err: unknown) => {
          throw explainDecryptError(err, input.key);
        },
      );
      ctx().log.info('Kontur EncryptedKey decrypted', { ms: Math.round(performance.now() - t0), bytes: decrypted.length });
      try {
        const session = await (await client(input)).approveCert(input.approveHref, decrypted, ctx().cancellationSignal);
        ctx().log.info('Kontur session obtained');
        return { sid: session.Sid, refreshToken: session.RefreshToken, obtainedAt: now().toISOString() };
      } catch (err) {
        // approve-cert is single-use: when its outcome is unknown, start again rather than re-post.
        if (err instanceof ProviderNetworkError || (err instanceof ProviderHttpError && err.retryable)) {
          throw new ProviderHttpError({
            provider: 'Kontur',
            endpoint: err.endpoint,
            status: err instanceof ProviderHttpError ? err.status : 0,
            providerCode: 'ApproveOutcomeUnknown',
            providerMessage: `${err.message}; starting again from authenticate-by-cert`,
            retryable: false,
            type: FailureType.ChallengeRejected,
          });
        }
        throw err;
      } finally {
        decrypted.fill(0);
      }
    },

    konturRefreshSession: async (input: KonturEndpoint & { session: { sid: string; refreshToken: string } }): Promise<KonturSession> => {
      const [sid, refreshToken] = await Promise.all([resolveSecret(input.session.sid), resolveSecret(input.session.refreshToken)]);
      const session = await (await client(input)).refreshSession(sid, refreshToken, ctx().cancellationSignal);
      ctx().log.info('Kontur session refreshed');
      return { sid: session.Sid, refreshToken: session.RefreshToken, obtainedAt: now().toISOString() };
    },

    /**
     * A keeper's refresh of the pair it holds (the values themselves, which reach here only through
     * the codec). Spends the pair whatever the outcome: the keeper never sends it again.
     */
    konturRefreshHeldSession: async (input: KonturEndpoint & { sid: string; refreshToken: string }): Promise<KonturSession> => {
      const session = await (await client(input)).refreshSession(input.sid, input.refreshToken, ctx().cancellationSignal);
      ctx().log.info('Kontur session refreshed by its keeper');
      return { sid: session.Sid, refreshToken: session.RefreshToken, obtainedAt: now().toISOString() };
    },
  };
}

export type KonturActivities = ReturnType<typeof createKonturActivities>;
