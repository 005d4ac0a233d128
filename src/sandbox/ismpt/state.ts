// The IS MPT simulator's state, handed to both handlers: its options and clock, the token key, the
// registered participants (by IIN/BIN and by certificate), the issued challenges, the counters
// /__sandbox/state reports and the token and challenge lifetimes of /__sandbox/config.
// /__sandbox/reset restores all but the token key and the registrations made with keepOnReset.
import { randomBytes, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { certificateFingerprint } from '../../crypto/cms/shared.js';
import type { SimResponse } from '../simulator.js';
import type { IsmptSimulatorOptions } from './simulator.js';

const ConfigSchema = z.strictObject({
  tokenTtlMs: z.number().int().min(1000).optional(),
  challengeTtlMs: z.number().int().min(1000).optional(),
  registerCertificate: z.string().optional(),
  keepOnReset: z.boolean().optional(),
});

const CONFIG_EXPECTED =
  'expected {tokenTtlMs?: integer ≥ 1000, challengeTtlMs?: integer ≥ 1000, registerCertificate?: PEM certificate, keepOnReset?: boolean}';

export interface IssuedChallenge {
  data: string;
  issuedAt: number;
  used: boolean;
}

/** The IIN or BIN a certificate's subject names (serialNumber=IIN… or BIN…). */
export const participantId = (cert: X509Certificate) => /serialNumber=(?:IIN|BIN)(\d{12})/i.exec(cert.subject)?.[1];

export class IsmptState {
  readonly tokenKey = randomBytes(32);
  private readonly initialIds: string[];
  /** Registrations made with keepOnReset (the sandbox's own fixtures): certificate fingerprint → IIN/BIN. */
  private readonly keptCertificates = new Map<string, string>();
  /** How long a challenge of GET /auth/key may be signed in with. */
  challengeTtlMs: number;
  tokenTtlMs: number;
  registered: Set<string>;
  registeredCertificates = new Set<string>();
  challenges = new Map<string, IssuedChallenge>();
  successfulSignIns = 0;
  rejected: Record<string, number> = {};

  constructor(
    readonly options: IsmptSimulatorOptions,
    /** The simulator's clock (moved by /__sandbox/clock). */
    readonly now: () => Date,
  ) {
    this.challengeTtlMs = options.challengeTtlMs ?? 5 * 60_000;
    this.tokenTtlMs = options.tokenTtlMs ?? 10 * 3600_000;
    this.initialIds = [...options.registeredIds];
    this.registered = new Set(this.initialIds);
  }

  reset(): void {
    this.challenges = new Map();
    this.successfulSignIns = 0;
    this.rejected = {};
    this.tokenTtlMs = this.options.tokenTtlMs ?? 10 * 3600_000;
    this.challengeTtlMs = this.options.challengeTtlMs ?? 5 * 60_000;
    this.registered = new Set([...this.initialIds, ...this.keptCertificates.values()]);
    this.registeredCertificates = new Set(this.keptCertificates.keys());
  }

  /** For /__sandbox/state. */
  snapshot(): Record<string, unknown> {
    const open = (c: IssuedChallenge) => !c.used && this.now().getTime() - c.issuedAt <= this.challengeTtlMs;
    return {
      challengesIssued: this.challenges.size,
      challengesOpen: [...this.challenges.values()].filter(open).length,
      successfulSignIns: this.successfulSignIns,
      rejectedSignIns: { ...this.rejected },
      tokenTtlMs: this.tokenTtlMs,
      challengeTtlMs: this.challengeTtlMs,
    };
  }

  /**
   * {tokenTtlMs}: the lifetime of the tokens issued from now on (token keepers' refresh tests).
   * {challengeTtlMs}: how old a challenge may be when it is signed in with, from now on (also for
   * challenges already issued); reset restores the simulator option's value (default 5 min).
   * {registerCertificate: PEM}: registers a participant by its certificate, as IS MPT's own
   * registration does: that exact certificate is trusted although the sandbox CA did not issue it
   * (NCA RK's published test keys), and its IIN becomes a registered participant. Until reset, or
   * with {keepOnReset: true} for good (the sandbox's NCALayer keys, registered at its start).
   */
  configure(json: unknown): SimResponse {
    const parsed = ConfigSchema.safeParse(json);
    if (!parsed.success) return { status: 400, body: { error: CONFIG_EXPECTED } };
    if (parsed.data.keepOnReset !== undefined && parsed.data.registerCertificate === undefined)
      return { status: 400, body: { error: 'keepOnReset: applies to a registerCertificate only' } };
    if (parsed.data.registerCertificate !== undefined) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(parsed.data.registerCertificate);
      } catch {
        return { status: 400, body: { error: 'registerCertificate: not a PEM certificate' } };
      }
      const id = participantId(cert);
      if (!id) return { status: 400, body: { error: 'registerCertificate: the subject has no serialNumber=IIN… or BIN…' } };
      const fingerprint = certificateFingerprint(cert);
      this.registeredCertificates.add(fingerprint);
      this.registered.add(id);
      if (parsed.data.keepOnReset) this.keptCertificates.set(fingerprint, id);
    }
    // Applied after the checks above, so a refused request changes nothing.
    if (parsed.data.tokenTtlMs !== undefined) this.tokenTtlMs = parsed.data.tokenTtlMs;
    if (parsed.data.challengeTtlMs !== undefined) this.challengeTtlMs = parsed.data.challengeTtlMs;
    return {
      status: 200,
      body: { tokenTtlMs: this.tokenTtlMs, challengeTtlMs: this.challengeTtlMs, registeredCertificates: this.registeredCertificates.size },
    };
  }
}
