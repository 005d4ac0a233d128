// The Kontur simulator's state, handed to every handler: its options, clock and base URL, the
// sandbox CA, what OpenSSL said of each certificate, the pending random values and sessions, the
// counters /__sandbox/state reports and the switches of /__sandbox/config. /__sandbox/reset clears
// the values, sessions, counters and switches.
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { gostRecipient, type GostRecipient } from '../../crypto/cms/gost-enveloped.js';
import { runGostOpenssl } from '../../crypto/openssl-gost-engine.js';
import type { SimRequest, SimResponse } from '../simulator.js';
import type { KonturSimulatorOptions } from './simulator.js';
import { thumbprintOf } from './gost-pki.js';

const ConfigSchema = z.strictObject({
  cipher: z.enum(['gost89', 'kuznyechik']).optional(),
  errorFormat: z.enum(['text', 'json']).optional(),
  /**
   * Registers a certificate of a CA the sandbox does not run (a CryptoPro container's, say) to a
   * user, as a Kontur account binds its certificate: its chain then counts as trusted.
   */
  register: z.strictObject({ certificate: z.string().min(1), userId: z.string().min(1).max(100) }).optional(),
});

interface Pending {
  rnd: Buffer;
  thumbprint: string;
  createdAt: number;
}

/** What openssl says of a certificate apart from the clock. */
export interface CertificateFacts {
  chainTrusted: boolean;
  keyEncipherment: boolean;
  recipient: GostRecipient | undefined;
}

const defaultConfig = () => ({ cipher: 'gost89' as 'gost89' | 'kuznyechik', errorFormat: 'text' as 'text' | 'json' });
const newCounters = () => ({ successfulApprovals: 0, refreshes: 0, rejected: {} as Record<string, number> });

export class KonturState {
  readonly rndTtlMs: number;
  /** The sandbox CA: its validity is checked at the simulator's clock on every call. */
  readonly ca: X509Certificate;
  config = defaultConfig();
  pending = new Map<string, Pending>(); // by userId: one random value per user
  sessions = new Map<string, { userId: string; refreshToken: string }>();
  counters = newCounters();
  /** Certificates registered through /__sandbox/config, by thumbprint. */
  registered = new Map<string, { userId: string }>();
  private readonly facts = new Map<string, Promise<CertificateFacts>>();

  constructor(
    readonly options: KonturSimulatorOptions,
    /** The simulator's clock (moved by /__sandbox/clock). */
    readonly now: () => Date,
    /** The simulator's base URL, for the approve-cert link. */
    readonly baseUrl: () => string,
  ) {
    this.rndTtlMs = options.rndTtlMs ?? 10 * 60_000;
    this.ca = new X509Certificate(readFileSync(options.caCertPath));
  }

  /** A 403 with Kontur's code: the bare code, or JSON when so configured; counted per code. */
  reject(status: number, c: string, message = c): SimResponse {
    this.counters.rejected[c] = (this.counters.rejected[c] ?? 0) + 1;
    return { status, body: this.config.errorFormat === 'json' ? { Code: c, Message: message } : c };
  }

  apiKeyOk(req: SimRequest, name: string): boolean {
    return req.query.get(name) === this.options.apiKey;
  }

  // What openssl says of a certificate apart from the clock, asked once per certificate (by
  // thumbprint): each GOST openssl process costs ~25 ms, and every sign-in used to start three. The
  // clock part of `verify -attime` is checked on every call instead (validAt), for both certificates
  // of the chain: the user's and the sandbox CA's.
  factsOf(thumbprint: string, cert: X509Certificate): Promise<CertificateFacts> {
    let f = this.facts.get(thumbprint);
    if (!f) {
      // Both read the certificate from standard input.
      const stdin = Buffer.from(cert.toString());
      f = Promise.all([
        runGostOpenssl(['verify', '-no_check_time', '-CAfile', this.options.caCertPath], { stdin }).then(
          () => true,
          () => false,
        ),
        runGostOpenssl(['x509', '-noout', '-ext', 'keyUsage'], { stdin })
          .then(({ stdout }) => /Key Encipherment|Key Agreement/.test(stdout.toString()))
          .catch(() => false),
      ]).then(([chainTrusted, keyEncipherment]) => ({
        chainTrusted: chainTrusted || this.registered.has(thumbprint),
        keyEncipherment,
        // The user's key with multiplication tables, built once: each challenge then costs ~1 ms.
        recipient: gostRecipient(cert.raw, { precompute: true }),
      }));
      this.facts.set(thumbprint, f);
    }
    return f;
  }

  newSession(userId: string): { Sid: string; RefreshToken: string } {
    const sid = randomBytes(16).toString('hex').toUpperCase();
    const refreshToken = randomBytes(18).toString('hex').toUpperCase();
    this.sessions.set(sid, { userId, refreshToken });
    return { Sid: sid, RefreshToken: refreshToken };
  }

  reset(): void {
    this.pending = new Map();
    this.sessions = new Map();
    this.counters = newCounters();
    this.config = defaultConfig();
    for (const thumbprint of this.registered.keys()) this.facts.delete(thumbprint);
    this.registered = new Map();
  }

  /** The user a certificate is bound to: registered through the sandbox, else by the simulator's options. */
  userOf(thumbprint: string): { userId: string; registerFails?: boolean } | undefined {
    return this.registered.get(thumbprint) ?? this.options.users[thumbprint];
  }

  /** For /__sandbox/state. */
  snapshot(): Record<string, unknown> {
    return { ...this.counters, pendingRandomValues: this.pending.size, activeSessions: this.sessions.size, config: this.config };
  }

  /** POST /__sandbox/config. */
  configure(json: unknown): SimResponse {
    const parsed = ConfigSchema.safeParse(json);
    if (!parsed.success)
      return {
        status: 400,
        body: {
          error_message:
            'expected {"cipher": "gost89"|"kuznyechik", "errorFormat": "text"|"json", "register": {"certificate": "<PEM>", "userId": "…"}}',
        },
      };
    const { register, ...config } = parsed.data;
    let registered: string | undefined;
    if (register) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(register.certificate);
      } catch {
        return { status: 400, body: { error_message: 'register.certificate: not a PEM certificate' } };
      }
      registered = thumbprintOf(cert);
      this.registered.set(registered, { userId: register.userId });
      this.facts.delete(registered); // asked again, now as registered
    }
    this.config = { ...this.config, ...config };
    if (registered) return { status: 200, body: { config: this.config, registered } };
    return { status: 200, body: { config: this.config } };
  }
}
