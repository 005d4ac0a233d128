// Cipher (Ukraine) local crypto agent simulator: the ticket API of shared/providers/cipher.md and
// seed 001 under /api/v1 — tickets, data/option/keyStore uploads, the key-container verifier,
// asynchronous CMS signing, signature verification, /status and the CA list. The "key containers"
// are RSA PKCS#12 files standing in for DSTU 4145 containers (the agent's real format), so the
// verifier reports dsAlgorism 'RSA (sandbox stand-in for ДСТУ 4145)' and the CMS is RSA/SHA-256.
// Passwords, container bytes, paths and data never go into state, logs or responses.
// This file maps the routes to their handlers (handlers.ts); the state is in state.ts, the
// agent's texts and CertificateInfo in fixtures.ts.
import type { Logger } from '../../common/logger.js';
import { Simulator, type Handler } from '../simulator.js';
import { MSG } from './fixtures.js';
import * as h from './handlers.js';
import { CipherState } from './state.js';

export interface CipherSimulatorOptions {
  caId: string;
  caName: string;
  logger?: Logger;
  /** default time until an async signature is ready */
  signingMs?: number;
}

export function createCipherSimulator(o: CipherSimulatorOptions): Simulator {
  const s = new CipherState(o, () => sim.now());
  const sim: Simulator = new Simulator({
    name: 'cipher',
    basePath: '/api/v1',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => s.snapshot(),
    reset: () => s.reset(),
    configure: (json) => s.configure(json),
    routes: routes(s),
  });
  return sim;
}

function routes(s: CipherState): Record<string, Handler> {
  const { api, withTicket } = h;
  return {
    'GET /status': () => h.serviceStatus(s),
    'GET /certificateAuthority/supported': api(s, () => h.supportedCas(s)),
    'POST /ticket': api(s, () => h.createTicket(s)),
    'DELETE /ticket/{uuid}': withTicket(s, h.deleteTicket),
    'POST /ticket/{uuid}/data': withTicket(s, h.uploadData),
    'PUT /ticket/{uuid}/option': withTicket(s, h.setOptions),
    'PUT /ticket/{uuid}/keyStore': withTicket(s, h.uploadKeyStore),
    'PUT /ticket/{uuid}/metadata': withTicket(s, h.setMetadata),
    // the seed documents the storage-service text for this endpoint's 503
    'PUT /ticket/{uuid}/keyStore/verifier': withTicket(s, h.verifyKeyStore, MSG.storageDown),
    'PUT /ticket/{uuid}/keyStore/certificate/info/{keyType}': withTicket(s, h.keyStoreCertificateInfo),
    'POST /ticket/{uuid}/ds/creator': withTicket(s, h.startSigning),
    'GET /ticket/{uuid}/ds/creator': withTicket(s, h.signingStatus),
    // "Blocking (synchronous)" per the doc: waits for the running signature, at most 30 s.
    'GET /ticket/{uuid}/ds/base64Data': withTicket(s, h.signatureBase64),
    // The signature's raw bytes, application/octet-stream, as the real agent answers.
    'GET /ticket/{uuid}/ds/data': withTicket(s, h.signatureBytes),
    'POST /ticket/{uuid}/ds/data': withTicket(s, h.uploadSignature),
    'POST /ticket/{uuid}/ds/verifier': withTicket(s, h.startVerification),
    'GET /ticket/{uuid}/ds/verifier': withTicket(s, h.verificationResult),
  };
}
