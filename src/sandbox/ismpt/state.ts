// The IS MPT simulator's state, handed to both handlers: its options and clock, the token key, the
// registered participants (by IIN/BIN and by certificate), the issued challenges, the counters
// /__sandbox/state reports and the token lifetime of /__sandbox/config. /__sandbox/reset restores
// all but the token key.
import { randomBytes, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { certificateFingerprint } from '../../crypto/cms/shared.js';
import type { SimResponse } from '../simulator.js';
import type { IsmptSimulatorOptions } from './simulator.js';

const ConfigSchema = z.strictObject({
  tokenTtlMs: z.number().int().min(1000).optional(),
  registerCertificate: z.string().optional(),
});

export interface IssuedChallenge {
  data: string;
  issuedAt: number;
  used: boolean;
}

/** The IIN or BIN a certificate's subject names (serialNumber=IIN… or BIN…). */
export const participantId = (cert: X509Certificate) => /serialNumber=(?:IIN|BIN)(\d{12})/i.exec(cert.subject)?.[1];

export class IsmptState {
  readonly challengeTtlMs: number;
  readonly tokenKey = randomBytes(32);
  private readonly initialIds: string[];
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
    this.registered = new Set(this.initialIds);
    this.registeredCertificates = new Set();
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
    };
  }

  /**
   * {tokenTtlMs}: the lifetime of the tokens issued from now on (token keepers' refresh tests).
   * {registerCertificate: PEM}: registers a participant by its certificate, as IS MPT's own
   * registration does: that exact certificate is trusted although the sandbox CA did not issue it
   * (NCA RK's published test keys), and its IIN becomes a registered participant. Until reset.
   */
  configure(json: unknown): SimResponse {
    const parsed = ConfigSchema.safeParse(json);
    if (!parsed.success)
      return { status: 400, body: { error: 'expected {tokenTtlMs?: integer ≥ 1000, registerCertificate?: PEM certificate}' } };
    if (parsed.data.tokenTtlMs !== undefined) this.tokenTtlMs = parsed.data.tokenTtlMs;
    if (parsed.data.registerCertificate !== undefined) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(parsed.data.registerCertificate);
      } catch {
        return { status: 400, body: { error: 'registerCertificate: not a PEM certificate' } };
      }
      const id = participantId(cert);
      if (!id) return { status: 400, body: { error: 'registerCertificate: the subject has no serialNumber=IIN… or BIN…' } };
      this.registeredCertificates.add(certificateFingerprint(cert));
      this.registered.add(id);
    }
    return { status: 200, body: { tokenTtlMs: this.tokenTtlMs, registeredCertificates: this.registeredCertificates.size } };
  }
}
