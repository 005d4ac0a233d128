// When does an IS MPT token expire? From the JWT `exp` when the token is a JWT, else from the
// response's `expireDate`, else obtainedAt + a configured default (10 h is what RU docs state).

export type ExpirySource = 'jwt-exp' | 'expireDate' | 'default';

export function tokenExpiry(p: { token: string; expireDate?: string | undefined; obtainedAt: Date; defaultTtlMs: number }): {
  expiresAt: Date;
  source: ExpirySource;
} {
  const exp = jwtExp(p.token);
  if (exp !== undefined) return { expiresAt: new Date(exp * 1000), source: 'jwt-exp' };
  if (p.expireDate) {
    const at = Date.parse(p.expireDate);
    if (!Number.isNaN(at)) return { expiresAt: new Date(at), source: 'expireDate' };
  }
  return { expiresAt: new Date(p.obtainedAt.getTime() + p.defaultTtlMs), source: 'default' };
}

/** The numeric `exp` claim of a compact JWS, or undefined when the token is not a JWT. */
export function jwtExp(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const exp = (payload as { exp?: unknown })?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
