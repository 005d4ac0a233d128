// The signing page's settings, shared by the worker (which makes links) and `trustflow signing-server`
// (which opens them), read once at start and refused with every problem named:
//   TRUSTFLOW_SIGNING_PAGE_URL  where persons open links: https://, or http:// on loopback only
//   TRUSTFLOW_SIGNING_LINK_KEY  the shared secret links are sealed with (≥ 32 random characters)
// Neither set: this worker runs no person-signer flows (such a flow fails at once, saying so). One
// without the other refuses the start.
import { randomSecretProblem } from '../common/alert-settings.js';
import { linkKeyFromSecret } from './link-token.js';

export const SIGNING_ENV = { pageUrl: 'TRUSTFLOW_SIGNING_PAGE_URL', linkKey: 'TRUSTFLOW_SIGNING_LINK_KEY' } as const;

export interface SigningPageSettings {
  /** Base URL of the page, no trailing slash. */
  pageUrl: string;
  /** AES key for link tokens (derived; the secret itself is not kept). */
  linkKey: Buffer;
}

export class SigningSettingsError extends Error {
  override readonly name = 'SigningSettingsError';
  constructor(readonly problems: string[]) {
    super(`signing page settings: ${problems.join('; ')}`);
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** null: no signing page configured. Throws SigningSettingsError for a half or bad configuration. */
export function signingSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, o: { requireUrl?: boolean } = {}): SigningPageSettings | null {
  const url = (env[SIGNING_ENV.pageUrl] ?? '').trim();
  const secret = env[SIGNING_ENV.linkKey] ?? '';
  const requireUrl = o.requireUrl ?? true;
  if (!url && !secret) return null;
  const problems: string[] = [];
  let pageUrl = '';
  if (url) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`${SIGNING_ENV.pageUrl} is not a URL: write it in full, e.g. https://sign.example.kz`);
    }
    if (parsed) {
      if (parsed.protocol === 'http:' && !LOOPBACK.has(parsed.hostname))
        problems.push(
          `${SIGNING_ENV.pageUrl} must be https:// (plain http only on 127.0.0.1 or localhost): browsers block NCALayer from plain-http public pages`,
        );
      else if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') problems.push(`${SIGNING_ENV.pageUrl} must be an https:// URL`);
      else if (parsed.search || parsed.hash || parsed.username || parsed.password)
        problems.push(`${SIGNING_ENV.pageUrl} must be the page's base URL, without query, fragment or credentials`);
      pageUrl = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
    }
  } else if (requireUrl)
    problems.push(`${SIGNING_ENV.pageUrl} is empty while ${SIGNING_ENV.linkKey} is set: set the URL persons open links at`);
  const fix = `set ${SIGNING_ENV.linkKey} to 32 or more random characters (openssl rand -hex 32), the same for the worker and the signing server`;
  if (!secret) problems.push(`${SIGNING_ENV.linkKey} is empty while ${SIGNING_ENV.pageUrl} is set: ${fix}`);
  else {
    const p = randomSecretProblem(SIGNING_ENV.linkKey, secret, fix);
    if (p) problems.push(p);
  }
  if (problems.length > 0) throw new SigningSettingsError(problems);
  return { pageUrl, linkKey: linkKeyFromSecret(secret) };
}
