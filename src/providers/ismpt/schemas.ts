// IS MPT (Kazakhstan goods marking) auth contract. Field names from the seed (uuid, data); the
// sign-in response fields come from the related Russian True API and are accepted in all known
// forms (see shared/providers/ismpt.md, "Unknowns").
import { z } from 'zod';

/** GET /auth/key → a random challenge to sign. */
export const ChallengeSchema = z.object({
  uuid: z.string().min(1),
  data: z.string().min(1),
});
export type Challenge = z.infer<typeof ChallengeSchema>;

/** POST /auth/simpleSignIn body. `data` is the base64 attached CMS over the challenge's `data`. */
export const SignInRequestSchema = z.object({
  uuid: z.string().min(1),
  data: z.string().min(1),
});
export type SignInRequest = z.infer<typeof SignInRequestSchema>;

/** POST /auth/simpleSignIn → `{token}` (JWT), `{uuidToken, expireDate}` (united token) or `{access_token}`. */
export const SignInResponseSchema = z
  .object({
    token: z.string().min(1).optional(),
    uuidToken: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expireDate: z.string().optional(),
  })
  .refine((r) => r.token ?? r.uuidToken ?? r.access_token, {
    path: ['token'],
    message: 'no token field (token, uuidToken or access_token)',
  });
export type SignInResponse = z.infer<typeof SignInResponseSchema>;

export function tokenOf(r: SignInResponse): string {
  return (r.token ?? r.uuidToken ?? r.access_token)!;
}

/**
 * Error codes by which simpleSignIn says the challenge is unknown, expired or already used, so a
 * new challenge must be fetched and signed. [INF] The real KZ codes are not public: these are
 * the sandbox's; a stand with other codes is configured through `challengeRejectedCodes`.
 */
export const DEFAULT_CHALLENGE_REJECTED_CODES = ['auth-key-not-found', 'auth-key-expired', 'auth-key-already-used'];
