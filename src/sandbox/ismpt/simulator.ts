// IS MPT simulator: GET /auth/key and POST /auth/simpleSignIn with the contract of
// shared/providers/ismpt.md. Challenges have a TTL and are single-use; the CMS is verified for
// real, RSA or Kazakh GOST (signature, encapsulated content = challenge, signer issued by the
// sandbox CA or registered by certificate, valid at the simulator's clock, signer's IIN registered
// as a participant). Error bodies carry `code` and `error_message`.
// This file maps the routes to their handlers (handlers.ts); the state is in state.ts, the
// rejections' texts in fixtures.ts.
import type { X509Certificate } from 'node:crypto';
import type { Logger } from '../../common/logger.js';
import { Simulator } from '../simulator.js';
import { issueChallenge, simpleSignIn } from './handlers.js';
import { IsmptState } from './state.js';

export interface IsmptSimulatorOptions {
  caCertificate: X509Certificate;
  /** IINs/BINs (12 digits) of registered participants. */
  registeredIds: Iterable<string>;
  challengeTtlMs?: number;
  tokenTtlMs?: number;
  /** 'jwt': `{token: <JWT>}` (RU legacy and likely KZ); 'united': `{uuidToken, expireDate}`. */
  tokenMode?: 'jwt' | 'united';
  logger?: Logger;
}

export function createIsmptSimulator(o: IsmptSimulatorOptions): Simulator {
  const s = new IsmptState(o, () => sim.now());
  const sim: Simulator = new Simulator({
    name: 'ismpt',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => s.snapshot(),
    reset: () => s.reset(),
    configure: (json) => s.configure(json),
    routes: {
      'GET /auth/key': () => issueChallenge(s),
      'POST /auth/simpleSignIn': (req) => simpleSignIn(s, req),
    },
  });
  return sim;
}
