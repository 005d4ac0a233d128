// IS MPT simulator: GET /auth/key and POST /auth/simpleSignIn with the contract of
// shared/providers/ismpt.md. Challenges have a TTL and are single-use; the CMS is verified for
// real, RSA or Kazakh GOST (signature, encapsulated content = challenge, signer issued by the
// sandbox CA or registered by certificate, valid at the simulator's clock, signer's IIN registered
// as a participant). Error bodies carry `code` and `error_message`.
import { createHmac, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { certificateFingerprint, cmsToDer } from '../../crypto/cms/shared.js';
import { verifyCms } from '../../crypto/cms/verify.js';
import { isIssuedBy } from '../../crypto/certificates/check.js';
import type { Logger } from '../../common/logger.js';
import { Simulator, type SimResponse } from '../simulator.js';

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

interface IssuedChallenge {
  data: string;
  issuedAt: number;
  used: boolean;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function createIsmptSimulator(o: IsmptSimulatorOptions): Simulator {
  const challengeTtlMs = o.challengeTtlMs ?? 5 * 60_000;
  let tokenTtlMs = o.tokenTtlMs ?? 10 * 3600_000;
  const initialIds = [...o.registeredIds];
  let registered = new Set(initialIds);
  let registeredCertificates = new Set<string>();
  const tokenKey = randomBytes(32);
  let challenges = new Map<string, IssuedChallenge>();
  let successfulSignIns = 0;
  let rejected: Record<string, number> = {};

  const reject = (status: number, code: string, message: string): SimResponse => {
    rejected[code] = (rejected[code] ?? 0) + 1;
    return { status, body: { code, error_message: message } };
  };

  const sim: Simulator = new Simulator({
    name: 'ismpt',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => ({
      challengesIssued: challenges.size,
      challengesOpen: [...challenges.values()].filter((c) => !c.used && sim.now().getTime() - c.issuedAt <= challengeTtlMs).length,
      successfulSignIns,
      rejectedSignIns: { ...rejected },
      tokenTtlMs,
    }),
    reset: () => {
      challenges = new Map();
      successfulSignIns = 0;
      rejected = {};
      tokenTtlMs = o.tokenTtlMs ?? 10 * 3600_000;
      registered = new Set(initialIds);
      registeredCertificates = new Set();
    },
    /**
     * {tokenTtlMs}: the lifetime of the tokens issued from now on (token keepers' refresh tests).
     * {registerCertificate: PEM}: registers a participant by its certificate, as IS MPT's own
     * registration does: that exact certificate is trusted although the sandbox CA did not issue it
     * (NCA RK's published test keys), and its IIN becomes a registered participant. Until reset.
     */
    configure: (json) => {
      const parsed = ConfigSchema.safeParse(json);
      if (!parsed.success)
        return { status: 400, body: { error: 'expected {tokenTtlMs?: integer ≥ 1000, registerCertificate?: PEM certificate}' } };
      if (parsed.data.tokenTtlMs !== undefined) tokenTtlMs = parsed.data.tokenTtlMs;
      if (parsed.data.registerCertificate !== undefined) {
        let cert: X509Certificate;
        try {
          cert = new X509Certificate(parsed.data.registerCertificate);
        } catch {
          return { status: 400, body: { error: 'registerCertificate: not a PEM certificate' } };
        }
        const id = participantId(cert);
        if (!id) return { status: 400, body: { error: 'registerCertificate: the subject has no serialNumber=IIN… or BIN…' } };
        registeredCertificates.add(certificateFingerprint(cert));
        registered.add(id);
      }
      return { status: 200, body: { tokenTtlMs, registeredCertificates: registeredCertificates.size } };
    },
    routes: {
      'GET /auth/key': () => {
        const uuid = randomUUID();
        const data = Array.from(randomBytes(30), (b) => ALNUM[b % ALNUM.length]).join('');
        challenges.set(uuid, { data, issuedAt: sim.now().getTime(), used: false });
        return { status: 200, body: { uuid, data } };
      },

      'POST /auth/simpleSignIn': async (req) => {
        const body = req.json as { uuid?: unknown; data?: unknown } | undefined;
        if (typeof body?.uuid !== 'string' || typeof body.data !== 'string') {
          return reject(400, 'bad-request', 'Тело запроса должно быть JSON {"uuid": string, "data": string}');
        }
        const challenge = challenges.get(body.uuid);
        if (!challenge) return reject(403, 'auth-key-not-found', 'Данные для подписи с таким uuid не найдены');
        if (challenge.used) return reject(403, 'auth-key-already-used', 'Данные для подписи уже использованы');
        challenge.used = true; // single-use, whatever the outcome below
        if (sim.now().getTime() - challenge.issuedAt > challengeTtlMs) {
          return reject(403, 'auth-key-expired', 'Срок действия данных для подписи истёк');
        }
        if (!/^[A-Za-z0-9+/=\s]+$/.test(body.data)) return reject(400, 'bad-signature-format', 'Подпись должна быть в формате Base64');

        const v = await verifyCms(cmsToDer(body.data));
        if (v.problem === 'not-signed-data') return reject(400, 'bad-signature-format', 'Подпись не является CMS SignedData');
        if (!v.encapsulatedContent)
          return reject(403, 'signature-detached', 'Ошибка авторизации. Код ошибки: 2 (подпись должна содержать данные)');
        if (v.signerCount !== 1) return reject(403, 'signature-invalid', 'Подпись должна содержать одного подписанта');
        if (!v.signatureValid || !v.signerCertificate) return reject(403, 'signature-invalid', 'Подпись недействительна');
        if (!v.encapsulatedContent.equals(Buffer.from(challenge.data, 'utf8'))) {
          return reject(403, 'signature-content-mismatch', 'Подписаны не те данные, что выданы по uuid');
        }
        const cert = v.signerCertificate;
        if (!isIssuedBy(cert, o.caCertificate) && !registeredCertificates.has(certificateFingerprint(cert)))
          return reject(403, 'certificate-untrusted', 'Сертификат выдан неизвестным УЦ');
        const now = sim.now().getTime();
        if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
          return reject(403, 'certificate-expired', 'Срок действия сертификата истёк или не наступил');
        }
        const id = participantId(cert);
        if (!id || !registered.has(id)) return reject(403, 'participant-not-registered', 'Участник не зарегистрирован в ИС МПТ');

        successfulSignIns++;
        const exp = Math.floor((now + tokenTtlMs) / 1000);
        if (o.tokenMode === 'united') {
          return { status: 200, body: { uuidToken: randomUUID(), expireDate: new Date(exp * 1000).toISOString() } };
        }
        return {
          status: 200,
          body: {
            token: jwtHs256({ sub: `participant-${registered.size}`, iat: Math.floor(now / 1000), exp, jti: randomUUID() }, tokenKey),
          },
        };
      },
    },
  });
  return sim;
}

const ConfigSchema = z.strictObject({
  tokenTtlMs: z.number().int().min(1000).optional(),
  registerCertificate: z.string().optional(),
});

const participantId = (cert: X509Certificate) => /serialNumber=(?:IIN|BIN)(\d{12})/i.exec(cert.subject)?.[1];

function jwtHs256(payload: object, key: Buffer): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
}
