// KPSIS key-generation service simulator (shared/providers/kpsis.md, seed 000), plus a sandbox CA
// standing in for NCES's desk. Real: the PKCS#10 (OpenSSL `req`, UTF-8 subject, DNS SANs), the key
// container (PKCS#8 EncryptedPrivateKeyInfo, PBES2 with the request's iteration count, OpenSSL
// `pkcs8`), the k-of-n shards (secret-shards.ts) and the CA's certificates (OpenSSL `ca`).
// Stand-ins: NIST EC keys (P-256/P-384/P-521 for levels 128/192/256) for bign, AES/SHA-256 PBES2 for
// belt, Shamir for bels, and invented error codes: KPSIS's real ones (its manual's table 32) are unpublished.
// This file maps the routes to their handlers (handlers.ts); the request checks are in validate.ts,
// the state in state.ts, the error codes and limits in fixtures.ts.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Logger } from '../../common/logger.js';
import { Simulator } from '../simulator.js';
import { gencertreq, issueCertificate } from './handlers.js';
import { KpsisState } from './state.js';

export { KPSIS_DEFAULT_ALLOWED_TYPES, KPSIS_ERROR_CODES, KPSIS_SANDBOX_MAX_ITERATIONS, type KpsisErrorCode } from './fixtures.js';

export interface KpsisSimulatorOptions {
  logger?: Logger;
  /** The sandbox CA standing in for NCES (PEM key, unencrypted, and its certificate). */
  ca: { keyPem: string; certPem: string };
  /** Where `save_to_file: true` writes cert_req.req, key.pem and shard<i>.pem (the real service's data/keygensrvc/). Without it nothing is written. */
  saveDir?: string;
}

export function createKpsisSimulator(o: KpsisSimulatorOptions): Simulator {
  // Fail at start, not at the first issuance, on an unusable CA.
  const caCertificate = new X509Certificate(o.ca.certPem);
  if (!caCertificate.checkPrivateKey(createPrivateKey(o.ca.keyPem)))
    throw new Error('kpsis simulator: the CA key does not match the CA certificate');

  const s = new KpsisState(o, () => sim.now());
  const sim: Simulator = new Simulator({
    name: 'kpsis',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => s.snapshot(),
    reset: () => s.reset(),
    configure: (json) => s.configure(json),
    routes: {
      'POST /api/v1/gencertreq': (req) => gencertreq(s, req),
      'POST /api/v1/ca/issue': (req) => issueCertificate(s, req),
    },
  });
  return sim;
}
