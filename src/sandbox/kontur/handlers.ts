// The Kontur endpoints, one function each, taking the simulator's state: authenticate-by-cert
// (checks and a random value encrypted to the certificate), approve-cert, the session refresh and
// a protected endpoint that proves a session works.
import { randomBytes, X509Certificate } from 'node:crypto';
import { encryptGostKeyTransport, type GostRecipient } from '../../crypto/cms/gost-enveloped.js';
import { runGostOpenssl } from '../../crypto/openssl-gost-engine.js';
import { withPrivateTempDir } from '../../crypto/openssl.js';
import type { SimRequest, SimResponse } from '../simulator.js';
import { APPROVE_LINK_REL, CHAIN_NOT_VALID, SESSION_MISSING } from './fixtures.js';
import { thumbprintOf } from './gost-pki.js';
import type { KonturState } from './state.js';

const validAt = (c: X509Certificate, at: number) => at >= Date.parse(c.validFrom) && at <= Date.parse(c.validTo);

export async function authenticateByCert(s: KonturState, req: SimRequest): Promise<SimResponse> {
  if (!s.apiKeyOk(req, 'apiKey')) return { status: 400, body: 'apiKey is missing or unknown' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(req.body);
  } catch {
    return s.reject(403, 'CertUnreadable');
  }
  const thumbprint = thumbprintOf(cert);
  const { chainTrusted, keyEncipherment, recipient } = await s.factsOf(thumbprint, cert);
  if (req.query.get('free') !== 'true') {
    const at = s.now().getTime();
    if (!chainTrusted || !validAt(cert, at) || !validAt(s.ca, at)) return { status: 406, body: CHAIN_NOT_VALID };
  }
  if (!keyEncipherment) return s.reject(403, 'CertNotValid');
  const user = s.userOf(thumbprint);
  if (user?.registerFails) return s.reject(403, 'CertRegisterFail');
  const userId = user?.userId ?? `unbound-${thumbprint}`;
  const rnd = Buffer.concat([Buffer.from(`${userId}:`), randomBytes(32)]);
  const encrypted = await encryptTo(s, rnd, cert, recipient);
  s.pending.set(userId, { rnd, thumbprint, createdAt: s.now().getTime() });
  return {
    status: 200,
    body: {
      EncryptedKey: encrypted.toString('base64'),
      Link: {
        Rel: APPROVE_LINK_REL,
        Href: `${s.baseUrl()}/auth/${req.params.version}/approve-cert?thumbprint=${thumbprint}`,
      },
    },
  };
}

/** The random value as CMS EnvelopedData to the certificate, in the configured cipher. */
async function encryptTo(s: KonturState, rnd: Buffer, cert: X509Certificate, recipient: GostRecipient | undefined): Promise<Buffer> {
  // GOST 28147-89 in-process (as `cms -encrypt -gost89` writes it); Kuznyechik through OpenSSL.
  return (
    (s.config.cipher === 'gost89' && recipient ? encryptGostKeyTransport(rnd, recipient) : undefined) ??
    (await withPrivateTempDir(async (_dir, write) => {
      const cipher = s.config.cipher === 'gost89' ? '-gost89' : '-kuznyechik-ctr-acpkm';
      const certPath = await write('cert.pem', cert.toString());
      return (await runGostOpenssl(['cms', '-encrypt', '-binary', '-outform', 'DER', cipher, certPath], { stdin: rnd })).stdout;
    }))
  );
}

export function approveCert(s: KonturState, req: SimRequest): SimResponse {
  const thumbprint = req.query.get('thumbprint');
  if (!thumbprint) return { status: 400, body: 'thumbprint is required' };
  if (!s.apiKeyOk(req, 'apiKey')) return { status: 400, body: 'apiKey is missing or unknown' };
  const entry = [...s.pending.entries()].find(([, p]) => p.thumbprint === thumbprint.toUpperCase());
  if (!entry) return s.reject(403, 'RndBytesNotFound');
  const [userId, p] = entry;
  if (s.now().getTime() - p.createdAt > s.rndTtlMs) {
    s.pending.delete(userId);
    return s.reject(403, 'RndBytesExpired');
  }
  if (!s.userOf(thumbprint.toUpperCase())) return s.reject(403, 'UnknownCertificate');
  if (!req.body.equals(p.rnd)) return s.reject(403, 'WrongKey');
  s.pending.delete(userId);
  s.counters.successfulApprovals++;
  return { status: 200, body: s.newSession(userId) };
}

export function refreshSession(s: KonturState, req: SimRequest): SimResponse {
  const sid = req.query.get('auth.sid') ?? '';
  const token = req.query.get('refresh-token') ?? req.query.get('refreshToken');
  if (!sid || !token) return { status: 400, body: 'auth.sid and refresh-token are required' };
  const session = s.sessions.get(sid);
  if (!s.apiKeyOk(req, 'api-key') || !session || session.refreshToken !== token)
    return s.reject(403, 'UnknownError', 'bad api-key, sid or refresh token');
  s.sessions.delete(sid); // the old pair becomes invalid
  s.counters.refreshes++;
  return { status: 200, body: s.newSession(session.userId) };
}

/** A protected endpoint, so tests can prove a session works: Authorization: auth.sid <sid>. */
export function currentSession(s: KonturState, req: SimRequest): SimResponse {
  const sid = /^auth\.sid\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const session = sid ? s.sessions.get(sid) : undefined;
  if (!session) return { status: 401, body: SESSION_MISSING };
  return { status: 200, body: { userId: session.userId } };
}
