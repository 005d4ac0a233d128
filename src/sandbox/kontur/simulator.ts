// Kontur certificate-authentication simulator (shared/providers/kontur.md). authenticate-by-cert
// checks the certificate for real (chain to the sandbox GOST CA by `openssl verify`, once per
// certificate, and both certificates' validity at the simulator's clock on every call, unless
// free=true → 406), encrypts one random value per user
// to it as CMS EnvelopedData (GOST 28147-89 by default, in-process as `openssl cms -encrypt -gost89`
// writes it; Kuznyechik CTR-ACPKM selectable, through OpenSSL),
// and approve-cert compares and consumes it. 403 bodies are the bare code, or JSON on request.
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../../common/logger.js';
import { encryptGostKeyTransport, gostRecipient, type GostRecipient } from '../../crypto/cms/gost-enveloped.js';
import { runGostOpenssl } from '../../crypto/openssl-gost-engine.js';
import { withPrivateTempDir } from '../../crypto/openssl.js';
import { thumbprintOf } from './gost-pki.js';
import { Simulator, type SimRequest, type SimResponse } from '../simulator.js';

export interface KonturSimulatorOptions {
  caCertPath: string;
  /** Registered users by certificate thumbprint. */
  users: Record<string, { userId: string; registerFails?: boolean }>;
  apiKey: string;
  rndTtlMs?: number;
  logger?: Logger;
}

const ConfigSchema = z.object({ cipher: z.enum(['gost89', 'kuznyechik']).optional(), errorFormat: z.enum(['text', 'json']).optional() });

interface Pending {
  rnd: Buffer;
  thumbprint: string;
  createdAt: number;
}

export function createKonturSimulator(o: KonturSimulatorOptions): Simulator {
  const rndTtlMs = o.rndTtlMs ?? 10 * 60_000;
  let config = { cipher: 'gost89' as 'gost89' | 'kuznyechik', errorFormat: 'text' as 'text' | 'json' };
  let pending = new Map<string, Pending>(); // by userId: one random value per user
  let sessions = new Map<string, { userId: string; refreshToken: string }>();
  let counters = { successfulApprovals: 0, refreshes: 0, rejected: {} as Record<string, number> };

  const code = (status: number, c: string, message = c): SimResponse => {
    counters.rejected[c] = (counters.rejected[c] ?? 0) + 1;
    return { status, body: config.errorFormat === 'json' ? { Code: c, Message: message } : c };
  };
  const apiKeyOk = (req: SimRequest, name: string) => req.query.get(name) === o.apiKey;

  // What openssl says of a certificate apart from the clock, asked once per certificate (by
  // thumbprint): each GOST openssl process costs ~25 ms, and every sign-in used to start three. The
  // clock part of `verify -attime` is checked on every call instead (validAt), for both certificates
  // of the chain: the user's and the sandbox CA's.
  const ca = new X509Certificate(readFileSync(o.caCertPath));
  const facts = new Map<string, Promise<{ chainTrusted: boolean; keyEncipherment: boolean; recipient: GostRecipient | undefined }>>();
  const factsOf = (thumbprint: string, cert: X509Certificate) => {
    let f = facts.get(thumbprint);
    if (!f) {
      // Both read the certificate from standard input.
      const stdin = Buffer.from(cert.toString());
      f = Promise.all([
        runGostOpenssl(['verify', '-no_check_time', '-CAfile', o.caCertPath], { stdin }).then(
          () => true,
          () => false,
        ),
        runGostOpenssl(['x509', '-noout', '-ext', 'keyUsage'], { stdin })
          .then(({ stdout }) => /Key Encipherment|Key Agreement/.test(stdout.toString()))
          .catch(() => false),
      ]).then(([chainTrusted, keyEncipherment]) => ({
        chainTrusted,
        keyEncipherment,
        // The user's key with multiplication tables, built once: each challenge then costs ~1 ms.
        recipient: gostRecipient(cert.raw, { precompute: true }),
      }));
      facts.set(thumbprint, f);
    }
    return f;
  };
  const validAt = (c: X509Certificate, at: number) => at >= Date.parse(c.validFrom) && at <= Date.parse(c.validTo);
  const newSession = (userId: string) => {
    const sid = randomBytes(16).toString('hex').toUpperCase();
    const refreshToken = randomBytes(18).toString('hex').toUpperCase();
    sessions.set(sid, { userId, refreshToken });
    return { Sid: sid, RefreshToken: refreshToken };
  };

  const sim: Simulator = new Simulator({
    name: 'kontur',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => ({ ...counters, pendingRandomValues: pending.size, activeSessions: sessions.size, config }),
    reset: () => {
      pending = new Map();
      sessions = new Map();
      counters = { successfulApprovals: 0, refreshes: 0, rejected: {} };
      config = { cipher: 'gost89', errorFormat: 'text' };
    },
    configure: (json) => {
      const parsed = ConfigSchema.safeParse(json);
      if (!parsed.success)
        return { status: 400, body: { error_message: 'expected {"cipher": "gost89"|"kuznyechik", "errorFormat": "text"|"json"}' } };
      config = { ...config, ...parsed.data };
      return { status: 200, body: { config } };
    },
    routes: {
      'POST /auth/{version}/authenticate-by-cert': async (req) => {
        if (!apiKeyOk(req, 'apiKey')) return { status: 400, body: 'apiKey is missing or unknown' };
        let cert: X509Certificate;
        try {
          cert = new X509Certificate(req.body);
        } catch {
          return code(403, 'CertUnreadable');
        }
        const thumbprint = thumbprintOf(cert);
        const { chainTrusted, keyEncipherment, recipient } = await factsOf(thumbprint, cert);
        if (req.query.get('free') !== 'true') {
          const at = sim.now().getTime();
          if (!chainTrusted || !validAt(cert, at) || !validAt(ca, at))
            return { status: 406, body: 'Certificate chain is not valid: expired, not yet valid, bad signature or untrusted root' };
        }
        if (!keyEncipherment) return code(403, 'CertNotValid');
        const user = o.users[thumbprint];
        if (user?.registerFails) return code(403, 'CertRegisterFail');
        const userId = user?.userId ?? `unbound-${thumbprint}`;
        const rnd = Buffer.concat([Buffer.from(`${userId}:`), randomBytes(32)]);
        // GOST 28147-89 in-process (as `cms -encrypt -gost89` writes it); Kuznyechik through OpenSSL.
        const encrypted =
          (config.cipher === 'gost89' && recipient ? encryptGostKeyTransport(rnd, recipient) : undefined) ??
          (await withPrivateTempDir(async (_dir, write) => {
            const cipher = config.cipher === 'gost89' ? '-gost89' : '-kuznyechik-ctr-acpkm';
            const certPath = await write('cert.pem', cert.toString());
            return (await runGostOpenssl(['cms', '-encrypt', '-binary', '-outform', 'DER', cipher, certPath], { stdin: rnd })).stdout;
          }));
        pending.set(userId, { rnd, thumbprint, createdAt: sim.now().getTime() });
        return {
          status: 200,
          body: {
            EncryptedKey: encrypted.toString('base64'),
            Link: {
              Rel: 'Send decrypted key to this link',
              Href: `${sim.baseUrl}/auth/${req.params.version}/approve-cert?thumbprint=${thumbprint}`,
            },
          },
        };
      },

      'POST /auth/{version}/approve-cert': (req) => {
        const thumbprint = req.query.get('thumbprint');
        if (!thumbprint) return { status: 400, body: 'thumbprint is required' };
        if (!apiKeyOk(req, 'apiKey')) return { status: 400, body: 'apiKey is missing or unknown' };
        const entry = [...pending.entries()].find(([, p]) => p.thumbprint === thumbprint.toUpperCase());
        if (!entry) return code(403, 'RndBytesNotFound');
        const [userId, p] = entry;
        if (sim.now().getTime() - p.createdAt > rndTtlMs) {
          pending.delete(userId);
          return code(403, 'RndBytesExpired');
        }
        if (!o.users[thumbprint.toUpperCase()]) return code(403, 'UnknownCertificate');
        if (!req.body.equals(p.rnd)) return code(403, 'WrongKey');
        pending.delete(userId);
        counters.successfulApprovals++;
        return { status: 200, body: newSession(userId) };
      },

      'POST /sessions/{version}/sessions/refresh': (req) => {
        const sid = req.query.get('auth.sid') ?? '';
        const token = req.query.get('refresh-token') ?? req.query.get('refreshToken');
        if (!sid || !token) return { status: 400, body: 'auth.sid and refresh-token are required' };
        const session = sessions.get(sid);
        if (!apiKeyOk(req, 'api-key') || !session || session.refreshToken !== token)
          return code(403, 'UnknownError', 'bad api-key, sid or refresh token');
        sessions.delete(sid); // the old pair becomes invalid
        counters.refreshes++;
        return { status: 200, body: newSession(session.userId) };
      },

      /** A protected endpoint, so tests can prove a session works: Authorization: auth.sid <sid>. */
      'GET /auth/{version}/sessions/current': (req) => {
        const sid = /^auth\.sid\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
        const session = sid ? sessions.get(sid) : undefined;
        if (!session)
          return {
            status: 401,
            body: { errorCode: 401002, userMessage: { ru: 'auth.sid отсутствует или истёк', en: 'auth.sid missing or expired' } },
          };
        return { status: 200, body: { userId: session.userId } };
      },
    },
  });
  return sim;
}
