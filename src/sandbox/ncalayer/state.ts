// The NCALayer simulator's switches (what the "person" at the desktop does) and its counters.
// Counters and the last request's arguments never hold the data signed or a signature.
import { z } from 'zod';
import type { SimResponse } from '../simulator.js';

export type Behaviour = 'sign' | 'cancel' | 'fail' | 'absent';

export interface NcaLayerConfig {
  /** sign: the person signs; cancel: closes the dialog; fail: NCALayer reports an error; absent: not running. */
  behaviour: Behaviour;
  /** Name of the key the person picks (options.keys[].name). */
  key: string;
  /** How long the person takes before signing, cancelling or failing. */
  delayMs: number;
  /** The basics failure (`{"status":false,code,message}`); commonUtils answers code 500 with the message. */
  failCode: string;
  failMessage: string;
}

export const NcaLayerConfigSchema = z
  .object({
    behaviour: z.enum(['sign', 'cancel', 'fail', 'absent']),
    key: z.string().min(1),
    delayMs: z.number().int().min(0).max(120_000),
    failCode: z.string().min(1).max(200),
    failMessage: z.string().max(1000),
  })
  .partial()
  .strict();

export interface LastRequest {
  module: string;
  method: string;
  /** The arguments without the data (basics `data`, commonUtils' base64 argument). */
  args?: unknown;
}

export class NcaLayerState {
  config: NcaLayerConfig;
  requests: Record<string, number> = {};
  signatures = 0;
  cancels = 0;
  failures = 0;
  /** Requests the simulator could not read (not JSON, no module/method): answered with an error. */
  malformed = 0;
  /** Requests that arrived while another was outstanding on the same socket (answered in order). */
  overlapping = 0;
  heartbeats = 0;
  connections = 0;
  /** Connections refused or closed because NCALayer was "absent". */
  refusedConnections = 0;
  lastRequest: LastRequest | undefined;

  constructor(
    private readonly defaults: NcaLayerConfig,
    private readonly keyNames: string[],
    /** Called when the behaviour becomes `absent`: close every open socket. */
    private readonly onAbsent: () => void,
  ) {
    this.config = { ...defaults };
  }

  count(module: string, method: string): void {
    const k = `${module}.${method}`;
    this.requests[k] = (this.requests[k] ?? 0) + 1;
  }

  reset(): void {
    this.config = { ...this.defaults };
    this.requests = {};
    this.signatures = this.cancels = this.failures = this.malformed = this.overlapping = 0;
    this.heartbeats = this.connections = this.refusedConnections = 0;
    this.lastRequest = undefined;
    if (this.config.behaviour === 'absent') this.onAbsent();
  }

  configure(json: unknown): SimResponse {
    const parsed = NcaLayerConfigSchema.safeParse(json);
    if (!parsed.success)
      return {
        status: 400,
        body: { error_message: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') },
      };
    if (parsed.data.key !== undefined && !this.keyNames.includes(parsed.data.key))
      return { status: 400, body: { error_message: `key: no key named ${parsed.data.key}; known: ${this.keyNames.join(', ')}` } };
    const patch = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as Partial<NcaLayerConfig>;
    this.config = { ...this.config, ...patch };
    if (this.config.behaviour === 'absent') this.onAbsent();
    return { status: 200, body: { config: this.config } };
  }

  snapshot(): Record<string, unknown> {
    return {
      config: this.config,
      keys: this.keyNames,
      requests: { ...this.requests },
      signatures: this.signatures,
      cancels: this.cancels,
      failures: this.failures,
      malformed: this.malformed,
      overlapping: this.overlapping,
      heartbeats: this.heartbeats,
      connections: this.connections,
      refusedConnections: this.refusedConnections,
      lastRequest: this.lastRequest ?? null,
    };
  }
}
