// The KPSIS simulator's state, handed to both handlers: its options and clock, the counters
// /__sandbox/state reports and the request-type allow-list of /__sandbox/config.
import { z } from 'zod';
import type { SimResponse } from '../simulator.js';
import { KPSIS_DEFAULT_ALLOWED_TYPES } from './fixtures.js';
import type { KpsisSimulatorOptions } from './simulator.js';

const ConfigSchema = z
  .object({
    /** cert_req_param.type values accepted (the real allow-list is unpublished). */
    allowedTypes: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export class KpsisState {
  requestsGenerated = 0;
  certificatesIssued = 0;
  errors: Record<string, number> = {};
  allowedTypes: string[] = [...KPSIS_DEFAULT_ALLOWED_TYPES];

  constructor(
    readonly options: KpsisSimulatorOptions,
    /** The simulator's clock (moved by /__sandbox/clock). */
    readonly now: () => Date,
  ) {}

  reset(): void {
    this.requestsGenerated = 0;
    this.certificatesIssued = 0;
    this.errors = {};
    this.allowedTypes = [...KPSIS_DEFAULT_ALLOWED_TYPES];
  }

  /** For /__sandbox/state. */
  snapshot(): Record<string, unknown> {
    return {
      requestsGenerated: this.requestsGenerated,
      errors: { ...this.errors },
      certificatesIssued: this.certificatesIssued,
      config: { allowedTypes: [...this.allowedTypes] },
    };
  }

  /** POST /__sandbox/config. */
  configure(json: unknown): SimResponse {
    const parsed = ConfigSchema.safeParse(json);
    if (!parsed.success)
      return { status: 400, body: { error_message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
    if (parsed.data.allowedTypes) this.allowedTypes = [...parsed.data.allowedTypes];
    return { status: 200, body: { config: { allowedTypes: this.allowedTypes } } };
  }
}
