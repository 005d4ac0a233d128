// The IS MPT endpoints, one function each, taking the simulator's state: GET /auth/key issues a
// challenge, POST /auth/simpleSignIn checks the signed challenge and issues a token.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { isIssuedBy } from '../../crypto/certificates/check.js';
import { certificateFingerprint, cmsToDer } from '../../crypto/cms/shared.js';
import { verifyCms } from '../../crypto/cms/verify.js';
import type { SimRequest, SimResponse } from '../simulator.js';
import { ALNUM, REJECTIONS as R, type Rejection } from './fixtures.js';
import { participantId, type IsmptState } from './state.js';

/** A rejection's answer (`code` and `error_message`), counted per code. */
function reject(s: IsmptState, { status, code, message }: Rejection): SimResponse {
  s.rejected[code] = (s.rejected[code] ?? 0) + 1;
  return { status, body: { code, error_message: message } };
}

export function issueChallenge(s: IsmptState): SimResponse {
  const uuid = randomUUID();
  const data = Array.from(randomBytes(30), (b) => ALNUM[b % ALNUM.length]).join('');
  s.challenges.set(uuid, { data, issuedAt: s.now().getTime(), used: false });
  return { status: 200, body: { uuid, data } };
}

export async function simpleSignIn(s: IsmptState, req: SimRequest): Promise<SimResponse> {
  const body = req.json as { uuid?: unknown; data?: unknown } | undefined;
  if (typeof body?.uuid !== 'string' || typeof body.data !== 'string') return reject(s, R.badRequest);
  const challenge = s.challenges.get(body.uuid);
  if (!challenge) return reject(s, R.keyNotFound);
  if (challenge.used) return reject(s, R.keyAlreadyUsed);
  challenge.used = true; // single-use, whatever the outcome below
  if (s.now().getTime() - challenge.issuedAt > s.challengeTtlMs) return reject(s, R.keyExpired);
  if (!/^[A-Za-z0-9+/=\s]+$/.test(body.data)) return reject(s, R.notBase64);

  const v = await verifyCms(cmsToDer(body.data));
  if (v.problem === 'not-signed-data') return reject(s, R.notSignedData);
  if (!v.encapsulatedContent) return reject(s, R.detached);
  if (v.signerCount !== 1) return reject(s, R.notOneSigner);
  if (!v.signatureValid || !v.signerCertificate) return reject(s, R.signatureInvalid);
  if (!v.encapsulatedContent.equals(Buffer.from(challenge.data, 'utf8'))) return reject(s, R.contentMismatch);
  const cert = v.signerCertificate;
  if (!isIssuedBy(cert, s.options.caCertificate) && !s.registeredCertificates.has(certificateFingerprint(cert)))
    return reject(s, R.certificateUntrusted);
  const now = s.now().getTime();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return reject(s, R.certificateExpired);
  const id = participantId(cert);
  if (!id || !s.registered.has(id)) return reject(s, R.participantNotRegistered);

  s.successfulSignIns++;
  return { status: 200, body: tokenBody(s, now) };
}

/** The token of tokenMode: a JWT (`{token}`) or, for 'united', `{uuidToken, expireDate}`. */
function tokenBody(s: IsmptState, now: number): Record<string, string> {
  const exp = Math.floor((now + s.tokenTtlMs) / 1000);
  if (s.options.tokenMode === 'united') return { uuidToken: randomUUID(), expireDate: new Date(exp * 1000).toISOString() };
  return { token: jwtHs256({ sub: `participant-${s.registered.size}`, iat: Math.floor(now / 1000), exp, jti: randomUUID() }, s.tokenKey) };
}

function jwtHs256(payload: object, key: Buffer): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
}
