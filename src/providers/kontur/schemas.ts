// Kontur certificate authentication (shared/providers/kontur.md): PascalCase JSON, 403 bodies with
// an error code as plain text or JSON.
import { z } from 'zod';
import type { ProviderErrorDetails } from '../http.js';

/** POST /auth/{v}/authenticate-by-cert → the random value encrypted to the certificate. */
export const AuthenticateResponseSchema = z.object({
  EncryptedKey: z.base64().min(1),
  Link: z.object({ Rel: z.string().optional(), Href: z.string().min(1) }),
});
export type AuthenticateResponse = z.infer<typeof AuthenticateResponseSchema>;

/** POST approve-cert and POST sessions/refresh → a session. */
export const SessionResponseSchema = z.object({ Sid: z.string().min(1), RefreshToken: z.string().min(1) });
export type SessionResponse = z.infer<typeof SessionResponseSchema>;

/** What the user should do about each 403 code. Codes from the public docs (providers/kontur.md). */
export const KONTUR_CODE_ADVICE = {
  RndBytesExpired: 'the random value expired (10 minutes): trustflow starts again from authenticate-by-cert',
  RndBytesNotFound: 'no random value is pending for this certificate (consumed or replaced): trustflow starts again',
  CreateSessionError: 'Kontur could not create the session: trustflow starts again once',
  UnknownError: 'Kontur reported an unknown error: trustflow starts again once',
  WrongKey: 'the decrypted value did not match: the private key is not the one of this certificate',
  CertNotValid: 'Kontur does not accept this certificate for authentication: check its key usage and that it is a qualified certificate',
  CertUnreadable: 'Kontur could not read the certificate: send the PEM or DER X.509 certificate of the key',
  CertRegisterFail: 'Kontur could not register the certificate: contact Kontur support with the certificate thumbprint',
  UnknownCertificate: 'the certificate is not bound to a Kontur user: add it to the account in the Kontur web interface first',
} as const;
export type KonturCode = keyof typeof KONTUR_CODE_ADVICE;

/** 403 codes after which the flow starts again from authenticate-by-cert. */
export const RESTART_CODES: ReadonlySet<string> = new Set<KonturCode>([
  'RndBytesExpired',
  'RndBytesNotFound',
  'CreateSessionError',
  'UnknownError',
]);

/** Finds a known code in a plain-text or JSON body (`"WrongKey"`, `{"Code":"WrongKey",...}`, ...). */
export function describeKonturError(body: string, _contentType: string | undefined): ProviderErrorDetails {
  const code = (Object.keys(KONTUR_CODE_ADVICE) as KonturCode[]).find((c) => new RegExp(`\\b${c}\\b`).test(body));
  const message = code ? KONTUR_CODE_ADVICE[code] : body.replace(/\s+/g, ' ').trim().slice(0, 200) || undefined;
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}
