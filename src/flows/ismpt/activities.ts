// IS MPT activities: one per step of the sign-in. Thin: resolve secrets, call the provider client
// or the signer; errors are mapped once, by the worker's error boundary. Dependencies come in through the factory.
import { Context } from '@temporalio/activity';
import { httpTimeout } from '../http-timeout.activities.js';
import { assertCertificateValid } from '../../crypto/certificates/validity.js';
import { openSigner } from '../../crypto/keys/signer.js';
import type { SignerSpec } from '../../contracts/signer-spec.js';
import { IsmptClient, tokenExpiry, tokenOf, type Challenge } from '../../providers/ismpt/index.js';
import { resolveSecret as defaultResolveSecret, type SecretResolver } from '../../secrets/resolve.js';

export interface IsmptActivityDeps {
  resolveSecret?: SecretResolver;
  now?: () => Date;
}

export interface MptExchangeInput {
  baseUrl: string;
  uuid: string;
  /** base64 attached CMS over the challenge. */
  signedData: string;
  defaultTokenTtlSeconds: number;
  challengeRejectedCodes?: string[] | undefined;
}

export interface MptToken {
  token: string;
  expiresAt: string;
  obtainedAt: string;
  expirySource: string;
}

export function createIsmptActivities(deps: IsmptActivityDeps = {}) {
  const resolveSecret = deps.resolveSecret ?? defaultResolveSecret;
  const now = deps.now ?? (() => new Date());
  const signal = () => Context.current().cancellationSignal;
  const log = () => Context.current().log;

  return {
    mptFetchChallenge: async (input: { baseUrl: string }): Promise<Challenge> => {
      const challenge = await new IsmptClient({ baseUrl: input.baseUrl, timeoutMs: httpTimeout() }).fetchChallenge(signal());
      log().debug('IS MPT challenge fetched', { uuid: challenge.uuid });
      return challenge;
    },

    /** Signs the challenge string as attached CMS, as NCALayer's createCAdESFromBase64(base64(data), true) does. */
    mptSignChallenge: async (input: { signer: SignerSpec; challenge: string }): Promise<{ signedData: string }> => {
      const signer = await openSigner(input.signer, resolveSecret);
      // Refused here, with its dates, rather than by the stand's 403 after the exchange.
      assertCertificateValid(signer.certificate, `signer ${input.signer.path}`, now());
      const cms = await signer.signCms(Buffer.from(input.challenge, 'utf8'), { detached: false });
      // The certificate's serial and validity identify the key for operators; its subject is PII.
      log().info('IS MPT challenge signed', {
        certificateSerial: signer.certificate.serialNumber,
        certificateNotAfter: signer.certificate.validTo,
      });
      return { signedData: cms.toString('base64') };
    },

    mptExchangeToken: async (input: MptExchangeInput): Promise<MptToken> => {
      const client = new IsmptClient({
        baseUrl: input.baseUrl,
        timeoutMs: httpTimeout(),
        challengeRejectedCodes: input.challengeRejectedCodes,
      });
      const res = await client.signIn({ uuid: input.uuid, data: input.signedData }, signal());
      const obtainedAt = now();
      const token = tokenOf(res);
      const { expiresAt, source } = tokenExpiry({
        token,
        expireDate: res.expireDate,
        obtainedAt,
        defaultTtlMs: input.defaultTokenTtlSeconds * 1000,
      });
      log().info('IS MPT token obtained', { expiresAt: expiresAt.toISOString(), expirySource: source });
      return { token, expiresAt: expiresAt.toISOString(), obtainedAt: obtainedAt.toISOString(), expirySource: source };
    },
  };
}

export type IsmptActivities = ReturnType<typeof createIsmptActivities>;
