// KISC identity-exchange simulator (shared/providers/kisc.md, seed 004). HTTPS with mutual TLS:
// clients without a certificate from the sandbox KISC CA fail the handshake; certificates from
// that CA that belong to no registered participant get 403. POST /verify bills one ledger row per
// new idempotency key (the same key again returns the stored result, no new row); GET /verify
// looks a result up by key; /data checks x-jws-signature against the participant's registered
// signing certificate; the transactions report and the monthly act (a real ZIP) come from the ledger.
// This file maps the routes to their handlers (handlers.ts); the state is in state.ts, the vendors
// and news in fixtures.ts.
import type { X509Certificate } from 'node:crypto';
import type { Logger } from '../../common/logger.js';
import { Simulator } from '../simulator.js';
import * as h from './handlers.js';
import { KiscState } from './state.js';

export { KISC_SANDBOX_VENDORS } from './fixtures.js';

export interface KiscPerson {
  iin: string;
  /** SHA-256 of the photo in the "state record": the same bytes score high, anything else low. */
  photoSha256: string;
  personalData: Record<string, unknown>;
  mobilephone: string;
}

export interface KiscParticipant {
  name: string;
  /** Fingerprints (SHA-256, as Node prints them) of the participant's TLS client certificates. */
  tlsFingerprints: string[];
  /** The certificate x-jws-signature is checked against. */
  signingCertificate: X509Certificate;
}

export interface KiscSimulatorOptions {
  tls: { key: string; cert: string; ca: string };
  participants: KiscParticipant[];
  persons: KiscPerson[];
  logger?: Logger;
}

export function createKiscSimulator(o: KiscSimulatorOptions): Simulator {
  const s = new KiscState(o, () => sim.now());
  const { forParticipant } = h;
  const sim: Simulator = new Simulator({
    name: 'kisc',
    tls: o.tls,
    basePath: '/identity/1.1.0',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => s.snapshot(),
    reset: () => s.reset(),
    configure: (json) => s.configure(json),
    routes: {
      'GET /vendors': forParticipant(s, h.vendors),
      'POST /verify': forParticipant(s, h.verifyPhoto),
      'GET /verify': forParticipant(s, h.verificationByKey),
      'POST /data': forParticipant(s, h.personalData),
      'POST /personal_data': forParticipant(s, h.personalData),
      'POST /personel_data': forParticipant(s, h.personalData),
      'GET /news': forParticipant(s, h.news),
      'GET /report/transactions/{from}/{to}': forParticipant(s, h.transactionsReport),
      'GET /report/act/{year}/{month}': forParticipant(s, h.monthlyAct),
    },
  });
  return sim;
}
