// The KISC simulator's state, handed to every handler: the participants and persons it was started
// with, its clock, the stored verifications and the billing ledger, the /data calls and rejected
// signatures, and the switches of /__sandbox/config. /__sandbox/reset clears all but the first two.
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { SimRequest, SimResponse } from '../simulator.js';
import type { KiscParticipant, KiscPerson, KiscSimulatorOptions } from './simulator.js';

const ConfigSchema = z
  .object({
    /** Force the similarity of the following new verifications (null: back to photo comparison). */
    similarity: z.number().min(0).max(1).nullable().optional(),
    /** A repeated key: return the stored result (default) or answer 409. */
    duplicateKey: z.enum(['return-stored', 'conflict']).optional(),
    /** Accepted JWS algorithms and payload modes for x-jws-signature. */
    jwsAlgorithms: z
      .array(z.enum(['RS256', 'PS256', 'ES256']))
      .min(1)
      .optional(),
    jwsPayloadMode: z.enum(['unencoded', 'base64url', 'any']).optional(),
    /** GET /news answers these items instead (null: the seed's item again). */
    news: z
      .array(z.object({ date: z.string(), subject: z.string(), text: z.string() }).strict())
      .nullable()
      .optional(),
  })
  .strict();

export interface StoredVerification {
  iin: string;
  vendorId: number;
  vendorName: string;
  result: number;
  participant: string;
  createdAt: Date;
}

export interface LedgerRow {
  key: string;
  participant: string;
  vendorName: string;
  similarity: number;
  billedAt: Date;
}

export class KiscState {
  readonly persons: Map<string, KiscPerson>;
  readonly signingKeys: Map<string, KeyObject>;
  private readonly participantByFingerprint: Map<string, KiscParticipant>;

  verifications = new Map<string, StoredVerification>();
  ledger: LedgerRow[] = [];
  dataCalls: Record<string, number> = {};
  rejectedSignatures = 0;
  config: z.infer<typeof ConfigSchema> = {};

  constructor(
    o: KiscSimulatorOptions,
    /** The simulator's clock (moved by /__sandbox/clock). */
    readonly now: () => Date,
  ) {
    this.persons = new Map(o.persons.map((p) => [p.iin, p]));
    this.participantByFingerprint = new Map(o.participants.flatMap((p) => p.tlsFingerprints.map((f) => [f, p] as const)));
    this.signingKeys = new Map(o.participants.map((p) => [p.name, p.signingCertificate.publicKey]));
  }

  /** The registered participant whose TLS client certificate made the request. */
  participantOf(req: SimRequest): KiscParticipant | undefined {
    return req.clientCertFingerprint ? this.participantByFingerprint.get(req.clientCertFingerprint) : undefined;
  }

  reset(): void {
    this.verifications = new Map();
    this.ledger = [];
    this.dataCalls = {};
    this.rejectedSignatures = 0;
    this.config = {};
  }

  /** For /__sandbox/state. */
  snapshot(): Record<string, unknown> {
    return {
      // One row per billed verification; billedPerKey is what "exactly once" is checked against.
      billing: this.ledger.map((r) => ({
        key: r.key,
        participant: r.participant,
        vendor: r.vendorName,
        similarity: r.similarity,
        billedAt: r.billedAt.toISOString(),
      })),
      billedPerKey: this.ledger.reduce<Record<string, number>>((acc, r) => ((acc[r.key] = (acc[r.key] ?? 0) + 1), acc), {}),
      verifications: this.verifications.size,
      dataCalls: { ...this.dataCalls },
      rejectedSignatures: this.rejectedSignatures,
      config: this.config,
    };
  }

  /** POST /__sandbox/config: the switches given change, the rest stay. */
  configure(json: unknown): SimResponse {
    const parsed = ConfigSchema.safeParse(json);
    if (!parsed.success)
      return { status: 400, body: { error_message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
    this.config = { ...this.config, ...parsed.data };
    return { status: 200, body: { config: this.config } };
  }
}
