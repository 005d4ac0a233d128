// The Cipher simulator's state, handed to every handler: its options and clock, the switches of
// /__sandbox/config, the open tickets and the counters /__sandbox/state reports. /__sandbox/reset
// starts all but the opened-container cache afresh.
import { z } from 'zod';
import { KeyCache } from '../../crypto/keys/key-cache.js';
import type { SimResponse } from '../simulator.js';
import type { CipherSimulatorOptions } from './simulator.js';

export const ConfigSchema = z
  .object({
    /** false: every endpoint answers 503 (the agent is started but the user has not logged in). */
    serviceUp: z.boolean().optional(),
    /** Time from POST ds/creator until the signature is ready, in the simulator's clock. */
    signingMs: z.number().int().min(0).max(600_000).optional(),
    /** A failureCause: signatures started while it is set fail with it. null: sign normally again. */
    failSigning: z.string().min(1).nullable().optional(),
  })
  .strict();
export interface Config {
  serviceUp: boolean;
  signingMs: number;
  failSigning: string | null;
}

export interface SigningOp {
  /** Simulator-clock time (ms) from which the outcome is reported. */
  readyAt: number;
  cms?: Buffer;
  failureCause?: string;
  counted: boolean;
}

export interface Ticket {
  data?: Buffer;
  options: Record<string, string>;
  keyStoreBytes?: Buffer;
  keyStorePath?: string;
  signing?: SigningOp;
  uploadedSignature?: Buffer;
  verification?: { status: number; body: unknown };
}

const newCounters = () => ({
  ticketsCreated: 0,
  ticketsDeleted: 0,
  signaturesStarted: 0,
  signaturesCreated: 0,
  verifierCalls: 0,
  signatureVerifications: 0,
});

export class CipherState {
  config: Config;
  tickets = new Map<string, Ticket>();
  counters = newCounters();
  // The agent keeps a container it has opened (as a signing service would), so repeated signatures
  // with one key do not each pay its PBKDF2.
  readonly openedContainers = new KeyCache({ maxEntries: 16, maxAgeMs: 10 * 60_000 });

  constructor(
    readonly options: CipherSimulatorOptions,
    /** The simulator's clock (moved by /__sandbox/clock). */
    readonly now: () => Date,
  ) {
    this.config = this.defaults();
  }

  nowMs(): number {
    return this.now().getTime();
  }

  private defaults(): Config {
    return { serviceUp: true, signingMs: this.options.signingMs ?? 300, failSigning: null };
  }

  reset(): void {
    this.config = this.defaults();
    this.tickets = new Map();
    this.counters = newCounters();
  }

  /** Reports a finished signature once, when its time has come. */
  settle(op: SigningOp | undefined): 'none' | 'running' | 'done' | 'failed' {
    if (!op) return 'none';
    if (this.nowMs() < op.readyAt) return 'running';
    if (op.failureCause !== undefined) return 'failed';
    if (!op.counted) {
      op.counted = true;
      this.counters.signaturesCreated++;
    }
    return 'done';
  }

  /** For /__sandbox/state. */
  snapshot(): Record<string, unknown> {
    for (const t of this.tickets.values()) this.settle(t.signing);
    return { openTickets: this.tickets.size, openTicketIds: [...this.tickets.keys()], ...this.counters, config: { ...this.config } };
  }

  /** POST /__sandbox/config: the switches given change, the rest stay. */
  configure(json: unknown): SimResponse {
    const parsed = ConfigSchema.safeParse(json);
    if (!parsed.success)
      return {
        status: 400,
        body: { error_message: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') },
      };
    const d = parsed.data;
    this.config = {
      serviceUp: d.serviceUp ?? this.config.serviceUp,
      signingMs: d.signingMs ?? this.config.signingMs,
      failSigning: d.failSigning !== undefined ? d.failSigning : this.config.failSigning,
    };
    return { status: 200, body: { config: this.config } };
  }
}
