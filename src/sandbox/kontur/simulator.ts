// Kontur certificate-authentication simulator (shared/providers/kontur.md). authenticate-by-cert
// checks the certificate for real (chain to the sandbox GOST CA by `openssl verify`, once per
// certificate, and both certificates' validity at the simulator's clock on every call, unless
// free=true → 406), encrypts one random value per user
// to it as CMS EnvelopedData (GOST 28147-89 by default, in-process as `openssl cms -encrypt -gost89`
// writes it; Kuznyechik CTR-ACPKM selectable, through OpenSSL),
// and approve-cert compares and consumes it. 403 bodies are the bare code, or JSON on request.
// This file maps the routes to their handlers (handlers.ts); the state is in state.ts, the canned
// answers in fixtures.ts.
import type { Logger } from '../../common/logger.js';
import { Simulator } from '../simulator.js';
import { approveCert, authenticateByCert, currentSession, refreshSession } from './handlers.js';
import { KonturState } from './state.js';

export interface KonturSimulatorOptions {
  caCertPath: string;
  /** Registered users by certificate thumbprint. */
  users: Record<string, { userId: string; registerFails?: boolean }>;
  apiKey: string;
  rndTtlMs?: number;
  logger?: Logger;
}

export function createKonturSimulator(o: KonturSimulatorOptions): Simulator {
  const s = new KonturState(
    o,
    () => sim.now(),
    () => sim.baseUrl,
  );
  const sim: Simulator = new Simulator({
    name: 'kontur',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => s.snapshot(),
    reset: () => s.reset(),
    configure: (json) => s.configure(json),
    routes: {
      'POST /auth/{version}/authenticate-by-cert': (req) => authenticateByCert(s, req),
      'POST /auth/{version}/approve-cert': (req) => approveCert(s, req),
      'POST /sessions/{version}/sessions/refresh': (req) => refreshSession(s, req),
      'GET /auth/{version}/sessions/current': (req) => currentSession(s, req),
    },
  });
  return sim;
}
