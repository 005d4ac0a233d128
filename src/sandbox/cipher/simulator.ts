// Cipher (Ukraine) local crypto agent simulator: the ticket API of shared/providers/cipher.md and
// seed 001 under /api/v1 — tickets, data/option/keyStore uploads, the key-container verifier,
// asynchronous CMS signing, signature verification, /status and the CA list. The "key containers"
// are RSA PKCS#12 files standing in for DSTU 4145 containers (the agent's real format), so the
// verifier reports dsAlgorism 'RSA (sandbox stand-in for ДСТУ 4145)' and the CMS is RSA/SHA-256.
// Passwords, container bytes, paths and data never go into state, logs or responses.
import { createHash, randomUUID, type X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { z } from 'zod';
import type { Logger } from '../../common/logger.js';
import { signCmsRsaSha256 } from '../../crypto/cms/sign.js';
import { verifyCms } from '../../crypto/cms/verify.js';
import { openPkcs12, type SoftwareKey } from '../../crypto/keys/pkcs12.js';
import { KeyCache } from '../../crypto/keys/key-cache.js';
import { Simulator, type Handler, type SimRequest, type SimResponse } from '../simulator.js';

export interface CipherSimulatorOptions {
  caId: string;
  caName: string;
  logger?: Logger;
  /** default time until an async signature is ready */
  signingMs?: number;
}

const MSG = {
  ticketCreated: 'Створена сесія.',
  ticketDeleted: 'Сесію видалено.',
  sessionMissing: 'Сесія відсутня.',
  cryptoDown: 'Сервіс виконання криптографічних операцій не запущено.',
  storageDown: 'Сервіс зберігання даних не запущено.',
  statusOk: 'Сервіси знаходяться у працездатному стані.',
  wrongPassword: 'Помилка завантаження ключового контейнера: Невірний пароль до ключового контейнера або порушено його цілісність.',
  keyStoreError: 'Помилка завантаження ключового контейнера.',
  signInitError: 'Помилка при ініціюванні асинхронної операції створення електронного підпису.',
  signRunning: 'Операція "Створення електронного підпису" знаходиться у стадії виконання.',
  signDone: 'Електронний підпис успішно створений.',
  signFailed: 'Електронний підпис не створено.',
  expired: 'Термін дії сертифіката ключа закінчився.',
  notYetValid: 'Термін дії сертифіката ключа ще не настав.',
  // Texts below are not captured for the current 9090 agent: Ukrainian renderings of the older docs.
  dataLoaded: 'Дані для сесії успішно завантажені.',
  dataError: 'Помилка при завантаженні даних сесії.',
  optionsSet: 'Параметри сесії успішно встановлені.',
  optionsError: 'Помилка при встановленні параметрів сесії.',
  keyStoreLoaded: 'Ключовий контейнер успішно завантажено.',
  metadataSet: 'Метадані сесії успішно встановлені.',
  metadataError: 'Помилка при встановленні метаданих сесії.',
  signStarted: 'Ініційовано асинхронну операцію створення електронного підпису.',
  signatureLoaded: 'Електронний підпис для сесії успішно завантажено.',
  verifyInitError: 'Помилка при ініціюванні операції перевірки електронного підпису.',
  verifyStarted: 'Ініційовано операцію перевірки електронного підпису.',
  verifyMissing: 'Перевірку електронного підпису не виконано.',
};

const WARN_DAYS = 14;
const BLOCKING_WAIT_MS = 30_000;

const ConfigSchema = z
  .object({
    /** false: every endpoint answers 503 (the agent is started but the user has not logged in). */
    serviceUp: z.boolean().optional(),
    /** Time from POST ds/creator until the signature is ready, in the simulator's clock. */
    signingMs: z.number().int().min(0).max(600_000).optional(),
    /** A failureCause: signatures started while it is set fail with it. null: sign normally again. */
    failSigning: z.string().min(1).nullable().optional(),
  })
  .strict();
interface Config {
  serviceUp: boolean;
  signingMs: number;
  failSigning: string | null;
}

/** Known option values, compared case- and underscore-insensitively (clients send both spellings). */
const OPTION_VALUES: Record<string, string[]> = {
  signatureType: ['attached', 'detached'],
  embedCertificateType: ['signercert', 'signerandcacert', 'signercertandcainfo', 'nothing'],
  dataToSignQualifier: ['notsignedbefore', 'alreadysigned'],
  asicForm: ['none', 'asics', 'asice'],
  embedSignatureTs: ['true', 'false'],
  embedDataTs: ['true', 'false'],
  duplicateSign: ['true', 'false'],
};
const norm = (v: string) => v.replace(/_/g, '').toLowerCase();

interface SigningOp {
  /** Simulator-clock time (ms) from which the outcome is reported. */
  readyAt: number;
  cms?: Buffer;
  failureCause?: string;
  counted: boolean;
}

interface Ticket {
  data?: Buffer;
  options: Record<string, string>;
  keyStoreBytes?: Buffer;
  keyStorePath?: string;
  signing?: SigningOp;
  uploadedSignature?: Buffer;
  verification?: { status: number; body: unknown };
}

type Failure = { failure: SimResponse };
const fail = (status: number, message: string, failureCause?: string): SimResponse => ({
  status,
  body: failureCause === undefined ? { message } : { message, failureCause },
});
const ok = (body: Record<string, unknown>): SimResponse => ({ status: 200, body });

export function createCipherSimulator(o: CipherSimulatorOptions): Simulator {
  const defaults = (): Config => ({ serviceUp: true, signingMs: o.signingMs ?? 300, failSigning: null });
  let config = defaults();
  let tickets = new Map<string, Ticket>();
  let counters = {
    ticketsCreated: 0,
    ticketsDeleted: 0,
    signaturesStarted: 0,
    signaturesCreated: 0,
    verifierCalls: 0,
    signatureVerifications: 0,
  };

  const nowMs = () => sim.now().getTime();

  /** Reports a finished signature once, when its time has come. */
  const settle = (op: SigningOp | undefined): 'none' | 'running' | 'done' | 'failed' => {
    if (!op) return 'none';
    if (nowMs() < op.readyAt) return 'running';
    if (op.failureCause !== undefined) return 'failed';
    if (!op.counted) {
      op.counted = true;
      counters.signaturesCreated++;
    }
    return 'done';
  };

  // 503 while the service is down (with the crypto-service text unless told otherwise), 400 for an unknown ticket.
  const api =
    (handler: Handler, downMessage = MSG.cryptoDown): Handler =>
    (req) =>
      config.serviceUp ? handler(req) : fail(503, downMessage);
  const withTicket = (handler: (t: Ticket, req: SimRequest) => SimResponse | Promise<SimResponse>, downMessage?: string): Handler =>
    api((req) => {
      const t = tickets.get(req.params.uuid ?? '');
      return t ? handler(t, req) : fail(400, MSG.sessionMissing);
    }, downMessage);

  const isJson = (req: SimRequest) =>
    String(req.headers['content-type'] ?? '')
      .toLowerCase()
      .startsWith('application/json');

  /** JSON `{base64Data}` or a raw body (octet-stream and anything else that is not JSON). */
  const bytesOf = (req: SimRequest, what: string): Buffer | string => {
    if (
      String(req.headers['content-type'] ?? '')
        .toLowerCase()
        .startsWith('multipart/')
    )
      return 'multipart form uploads are not simulated; send JSON {base64Data} or application/octet-stream';
    if (!isJson(req)) return req.body.length ? Buffer.from(req.body) : `${what}: the body is empty`;
    const b64 = (req.json as { base64Data?: unknown } | undefined)?.base64Data;
    if (typeof b64 !== 'string' || !b64.trim() || !/^[A-Za-z0-9+/=\s]+$/.test(b64))
      return `${what}: expected JSON {"base64Data": "<base64>"}`;
    return Buffer.from(b64.replace(/\s+/g, ''), 'base64');
  };

  const passwordOf = (req: SimRequest): string | undefined => {
    const p = (req.json as { keyStorePassword?: unknown } | undefined)?.keyStorePassword;
    return typeof p === 'string' ? p : undefined;
  };

  // The agent keeps a container it has opened (as a signing service would), so repeated signatures
  // with one key do not each pay its PBKDF2.
  const openedContainers = new KeyCache({ maxEntries: 16, maxAgeMs: 10 * 60_000 });

  /** Opens the ticket's container; the path wins over uploaded bytes, as the doc says. */
  const openKey = async (t: Ticket, password: string | undefined, missingMessage: string): Promise<SoftwareKey | Failure> => {
    let der: Buffer;
    if (t.keyStorePath !== undefined) {
      try {
        der = await readFile(t.keyStorePath);
      } catch {
        return { failure: fail(500, MSG.keyStoreError, 'Файл ключового контейнера за вказаним шляхом не знайдено або він недоступний.') };
      }
    } else if (t.keyStoreBytes) {
      der = t.keyStoreBytes;
    } else {
      return { failure: fail(500, missingMessage, 'Ключовий контейнер не завантажено в сесію.') };
    }
    if (password === undefined) return { failure: fail(500, MSG.wrongPassword, 'keyStorePassword is missing') };
    try {
      const key = await openedContainers.use(createHash('sha256').update(der).digest('hex'), [der, password], () =>
        openPkcs12(der, password, 'key container'),
      );
      // The sandbox's signer is RSA; the real agent signs DSTU/ECDSA keys it does not model.
      if (key.privateKey.asymmetricKeyType !== 'rsa')
        return { failure: fail(500, MSG.keyStoreError, `the sandbox signs with RSA keys only, not ${key.privateKey.asymmetricKeyType}`) };
      return key;
    } catch (err) {
      // KeyStoreError texts name the label and the reason, never the password.
      return { failure: fail(500, MSG.wrongPassword, err instanceof Error ? err.message : 'the container cannot be opened') };
    }
  };

  const validity = (cert: X509Certificate): { canBeUsed: boolean; message: string } => {
    const now = nowMs();
    const notAfter = Date.parse(cert.validTo);
    if (now > notAfter) return { canBeUsed: false, message: MSG.expired };
    if (now < Date.parse(cert.validFrom)) return { canBeUsed: false, message: MSG.notYetValid };
    const leftMs = notAfter - now;
    if (leftMs < WARN_DAYS * 86400_000) {
      const n = Math.ceil(leftMs / 86400_000);
      // The seed's text, missing space after the first full stop included.
      return {
        canBeUsed: true,
        message: `До закінчення дії ключів залишилося менше ${n} днів.Зверніться протягом ${n} днів до центру реєстрації ключів для отримання нових ключів`,
      };
    }
    return { canBeUsed: true, message: '' };
  };

  // The sandbox containers hold a signing key only: the agent reports an absent key type this way.
  const NO_KEY_AGREEMENT = { canBeUsed: false, certificateInfo: {}, message: '' };

  const sim: Simulator = new Simulator({
    name: 'cipher',
    basePath: '/api/v1',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => {
      for (const t of tickets.values()) settle(t.signing);
      return { openTickets: tickets.size, openTicketIds: [...tickets.keys()], ...counters, config: { ...config } };
    },
    reset: () => {
      config = defaults();
      tickets = new Map();
      counters = {
        ticketsCreated: 0,
        ticketsDeleted: 0,
        signaturesStarted: 0,
        signaturesCreated: 0,
        verifierCalls: 0,
        signatureVerifications: 0,
      };
    },
    configure: (json) => {
      const parsed = ConfigSchema.safeParse(json);
      if (!parsed.success)
        return {
          status: 400,
          body: { error_message: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') },
        };
      const d = parsed.data;
      config = {
        serviceUp: d.serviceUp ?? config.serviceUp,
        signingMs: d.signingMs ?? config.signingMs,
        failSigning: d.failSigning !== undefined ? d.failSigning : config.failSigning,
      };
      return { status: 200, body: { config } };
    },
    routes: {
      'GET /status': () => (config.serviceUp ? ok({ message: MSG.statusOk }) : fail(503, MSG.storageDown)),

      'GET /certificateAuthority/supported': api(() => ok({ ca: [{ id: o.caId, name: o.caName }] })),

      'POST /ticket': api(() => {
        const ticketUuid = randomUUID();
        tickets.set(ticketUuid, { options: {} });
        counters.ticketsCreated++;
        return ok({ message: MSG.ticketCreated, ticketUuid });
      }),

      'DELETE /ticket/{uuid}': withTicket((_t, req) => {
        tickets.delete(req.params.uuid!);
        counters.ticketsDeleted++;
        return ok({ message: MSG.ticketDeleted, ticketUuid: req.params.uuid });
      }),

      'POST /ticket/{uuid}/data': withTicket((t, req) => {
        const bytes = bytesOf(req, 'data');
        if (typeof bytes === 'string') return fail(500, MSG.dataError, bytes);
        t.data = bytes;
        return ok({ message: MSG.dataLoaded });
      }),

      'PUT /ticket/{uuid}/option': withTicket((t, req) => {
        const json = req.json;
        if (!isJson(req) || !json || typeof json !== 'object' || Array.isArray(json))
          return fail(500, MSG.optionsError, 'expected a JSON object of string values');
        const options: Record<string, string> = {};
        for (const [k, v] of Object.entries(json)) {
          if (typeof v !== 'string') return fail(500, MSG.optionsError, `option ${k}: values are strings, even booleans`);
          const allowed = OPTION_VALUES[k];
          if (allowed && !allowed.includes(norm(v))) return fail(500, MSG.optionsError, `option ${k}: unknown value ${v}`);
          options[k] = v;
        }
        t.options = options;
        return ok({ message: MSG.optionsSet });
      }),

      'PUT /ticket/{uuid}/keyStore': withTicket((t, req) => {
        const json = isJson(req) ? (req.json as { keyStorePath?: unknown; base64Data?: unknown } | undefined) : undefined;
        if (json && typeof json.keyStorePath === 'string' && json.keyStorePath) {
          t.keyStorePath = json.keyStorePath;
          if (json.base64Data === undefined) return ok({ message: MSG.keyStoreLoaded });
        }
        const bytes = bytesOf(req, 'keyStore');
        if (typeof bytes === 'string') return fail(500, MSG.keyStoreError, bytes);
        t.keyStoreBytes = bytes;
        return ok({ message: MSG.keyStoreLoaded });
      }),

      'PUT /ticket/{uuid}/metadata': withTicket((_t, req) => {
        // Accepted and dropped: metadata may name the signer and is used by nothing simulated here.
        const json = req.json as { metaData?: unknown } | undefined;
        if (!isJson(req) || json?.metaData === undefined) return fail(500, MSG.metadataError, 'expected JSON {"metaData": ...}');
        return ok({ message: MSG.metadataSet });
      }),

      'PUT /ticket/{uuid}/keyStore/verifier': withTicket(async (t, req) => {
        counters.verifierCalls++;
        const key = await openKey(t, passwordOf(req), MSG.keyStoreError);
        if ('failure' in key) return key.failure;
        const cert = key.certificates[0]!;
        const { canBeUsed, message } = validity(cert);
        return ok({ keyAgreement: NO_KEY_AGREEMENT, signature: { canBeUsed, certificateInfo: certificateInfo(cert), message } });
      }, MSG.storageDown), // the seed documents the storage-service text for this endpoint's 503

      'PUT /ticket/{uuid}/keyStore/certificate/info/{keyType}': withTicket(async (t, req) => {
        const keyType = req.params.keyType;
        if (keyType !== 'signature' && keyType !== 'keyAgreement')
          return fail(500, MSG.keyStoreError, `unknown key type ${keyType}: signature or keyAgreement`);
        const key = await openKey(t, passwordOf(req), MSG.keyStoreError);
        if ('failure' in key) return key.failure;
        return ok(keyType === 'signature' ? certificateInfo(key.certificates[0]!) : {});
      }),

      'POST /ticket/{uuid}/ds/creator': withTicket(async (t, req) => {
        if (t.signing) return fail(500, MSG.signInitError, 'Операцію створення електронного підпису для цієї сесії вже ініційовано.');
        if (!t.data) return fail(500, MSG.signInitError, 'Дані для підпису не завантажено в сесію.');
        if (!t.keyStoreBytes && t.keyStorePath === undefined)
          return fail(500, MSG.signInitError, 'Ключовий контейнер не завантажено в сесію.');
        if (!t.options.caId) return fail(500, MSG.signInitError, 'Параметр сесії caId не встановлено.');
        if (t.options.caId !== o.caId) return fail(500, MSG.signInitError, `Невідомий ЦСК: ${t.options.caId}.`);
        const key = await openKey(t, passwordOf(req), MSG.signInitError);
        if ('failure' in key) return key.failure;
        const cert = key.certificates[0]!;
        const v = validity(cert);
        if (!v.canBeUsed) return fail(500, MSG.signInitError, v.message);

        const op: SigningOp = { readyAt: nowMs() + config.signingMs, counted: false };
        if (config.failSigning !== null) {
          op.failureCause = config.failSigning;
        } else {
          op.cms = await signCmsRsaSha256({
            content: t.data,
            privateKey: key.privateKey,
            certificates: key.certificates,
            detached: norm(t.options.signatureType ?? 'detached') !== 'attached',
            signingTime: sim.now(),
          });
        }
        t.signing = op;
        counters.signaturesStarted++;
        return ok({ message: MSG.signStarted });
      }),

      'GET /ticket/{uuid}/ds/creator': withTicket((t) => {
        switch (settle(t.signing)) {
          case 'running':
            return { status: 202, body: { message: MSG.signRunning } };
          case 'done':
            return ok({ message: MSG.signDone });
          case 'failed':
            return fail(500, MSG.signFailed, t.signing!.failureCause);
          case 'none':
            return fail(500, MSG.signFailed, 'Операцію створення електронного підпису не ініційовано.');
        }
      }),

      // "Blocking (synchronous)" per the doc: waits for the running signature, at most 30 s.
      'GET /ticket/{uuid}/ds/base64Data': withTicket(async (t) => {
        const r = await awaitSignature(t);
        return 'failure' in r ? r.failure : ok({ base64Data: r.cms.toString('base64') });
      }),

      // The signature's raw bytes, application/octet-stream, as the real agent answers.
      'GET /ticket/{uuid}/ds/data': withTicket(async (t) => {
        const r = await awaitSignature(t);
        return 'failure' in r ? r.failure : { status: 200, body: r.cms };
      }),

      'POST /ticket/{uuid}/ds/data': withTicket((t, req) => {
        const bytes = bytesOf(req, 'signature');
        if (typeof bytes === 'string') return fail(500, MSG.dataError, bytes);
        t.uploadedSignature = bytes;
        t.verification = undefined;
        return ok({ message: MSG.signatureLoaded });
      }),

      'POST /ticket/{uuid}/ds/verifier': withTicket(async (t) => {
        const signature = t.uploadedSignature ?? (settle(t.signing) === 'done' ? t.signing!.cms : undefined);
        if (!signature) return fail(500, MSG.verifyInitError, 'Електронний підпис не завантажено в сесію.');
        counters.signatureVerifications++;
        const v = await verifyCms(signature, t.data);
        const signerInfo = v.signerCertificate ? { signerInfo: certificateInfo(v.signerCertificate) } : {};
        t.verification = v.signatureValid
          ? { status: 200, body: { verifyResults: [{ status: 'SUCCESS', ...signerInfo }] } }
          : {
              status: 406,
              body: { verifyResults: [{ status: 'FAILURE', failureCause: v.reason ?? 'signature does not verify', ...signerInfo }] },
            };
        return ok({ message: MSG.verifyStarted });
      }),

      'GET /ticket/{uuid}/ds/verifier': withTicket(
        (t) => t.verification ?? fail(500, MSG.verifyMissing, 'Операцію перевірки електронного підпису не ініційовано.'),
      ),
    },
  });

  const awaitSignature = async (t: Ticket): Promise<{ cms: Buffer } | Failure> => {
    const deadline = Date.now() + BLOCKING_WAIT_MS;
    for (;;) {
      const s = settle(t.signing);
      if (s === 'done') return { cms: t.signing!.cms! };
      if (s === 'failed') return { failure: fail(500, MSG.signFailed, t.signing!.failureCause) };
      if (s === 'none') return { failure: fail(500, MSG.signFailed, 'Операцію створення електронного підпису не ініційовано.') };
      if (Date.now() >= deadline) return { failure: fail(500, MSG.signFailed, 'Операція не завершилася за 30 с.') };
      // unref: a waiting request must not keep the process alive after the simulator closes.
      await new Promise((r) => setTimeout(r, 25).unref());
    }
  };

  return sim;
}

// --- CertificateInfo in the seed's nested {description, value} form ---

const d = <T>(description: string, value: T) => ({ description, value });
const hexPairs = (bytes: Uint8Array) => (Buffer.from(bytes).toString('hex').toUpperCase().match(/../g) ?? []).join(' ');
const isoSeconds = (date: string) => new Date(Date.parse(date)).toISOString().replace(/\.\d{3}Z$/, 'Z');

const OID = {
  cn: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  c: '2.5.4.6',
  l: '2.5.4.7',
  st: '2.5.4.8',
  street: '2.5.4.9',
  o: '2.5.4.10',
  ou: '2.5.4.11',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  ski: '2.5.29.14',
};

/** First value of each attribute type of a DN, read from the DER (no escaping, Cyrillic intact). */
function dnAttributes(name: pkijs.RelativeDistinguishedNames): (oid: string) => string | null {
  const values = new Map<string, string>();
  for (const tv of name.typesAndValues) {
    const v = (tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
    if (typeof v === 'string' && !values.has(tv.type)) values.set(tv.type, v);
  }
  return (oid) => values.get(oid) ?? null;
}

function subjectKeyId(cert: pkijs.Certificate): string | null {
  const ext = cert.extensions?.find((e) => e.extnID === OID.ski);
  if (!ext) return null;
  const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView);
  return parsed.result instanceof asn1js.OctetString ? hexPairs(parsed.result.valueBlock.valueHexView) : null;
}

/** The verifier's CertificateInfo of an X509 certificate, descriptions in Ukrainian as in the seed. */
function certificateInfo(x509: X509Certificate) {
  const cert = pkijs.Certificate.fromBER(new Uint8Array(x509.raw));
  const owner = dnAttributes(cert.subject);
  const issuer = dnAttributes(cert.issuer);
  const cn = owner(OID.cn);
  const space = cn?.indexOf(' ') ?? -1;
  const surname = owner(OID.surname) ?? (cn && space > 0 ? cn.slice(0, space) : cn);
  const givenName = owner(OID.givenName) ?? (cn && space > 0 ? cn.slice(space + 1) : null);
  const serial = x509.serialNumber.length % 2 ? '0' + x509.serialNumber : x509.serialNumber;
  return {
    ownerCertificateInfo: d('Власник', {
      ownerSurname: d('Прізвище', surname),
      ownerGivenname: d("Ім'я по-батькові", givenName),
      ownerFullName: d("Повне ім'я", cn),
      ownerCountry: d('Країна', owner(OID.c)),
      ownerRegion: d('Область', owner(OID.st)),
      ownerCity: d('Місто', owner(OID.l)),
      ownerAddress: d('Поштова адреса', owner(OID.street)),
      ownerSerialNumber: d('Серійний номер власника', owner(OID.serialNumber)),
      ownerPosition: d('Посада', owner(OID.title)),
      ownerOrganization: d('Організація', owner(OID.o)),
      ownerOrganizationUnit: d('Відділ (підрозділ)', owner(OID.ou)),
    }),
    issuerCertificateInfo: d('Видавник', {
      issuerOrganization: d('Організація', issuer(OID.o)),
      issuerDepartment: d('Підрозділ', issuer(OID.ou)),
      issuerFullName: d("Повне ім'я", issuer(OID.cn)),
      issuerCountry: d('Країна', issuer(OID.c)),
      issuerRegion: d('Область', issuer(OID.st)),
      issuerCity: d('Місто', issuer(OID.l)),
      issuerAddress: d('Поштова адреса', issuer(OID.street)),
      issuerSerialNumber: d('Серійний номер видавця', issuer(OID.serialNumber)),
    }),
    publicKeyCertificateInfo: d('Інформація про відкритий ключ', {
      publicKey: d('Відкритий ключ', hexPairs(x509.publicKey.export({ type: 'spki', format: 'der' }))),
      dsAlgorism: d('Алгоритм ЕП', 'RSA (sandbox stand-in for ДСТУ 4145)'),
    }),
    certificateSerialNumber: d('Серійний номер сертифікату', hexPairs(Buffer.from(serial, 'hex'))),
    notBefore: d('Початок дії', isoSeconds(x509.validFrom)),
    notAfter: d('Закінчення дії', isoSeconds(x509.validTo)),
    extensionsCertificateInfo: d('Розширення', {
      personalData: d('Персональні дані', {
        customId: d('Зовнішній ідентифікатор', null),
        passport: d('Паспортні дані', null),
        drfou: d('Реєстраційний номер облікової картки платника податків', null),
        edrpou: d('Код ЕДПРОУ', null),
        eddrun: d('Унікальний номер запису в ЄДДР', null),
      }),
      alternativeOwnerName: d("Альтернативне ім'я власника", null),
      subjectKeyId: d('Ідентифікатор ключа', subjectKeyId(cert)),
      subjectOwnerId: d('Ідентифікатор власника', null),
      certificateProfile: d('Профіль сертифіката', null),
      keyUsage: d('Призначення сертифіката', 'Цифровий підпис'),
      isTemporary: d('Стартовий', 'false'),
      isReinforced: d('Посилений', 'false'),
      isQualified: d('Кваліфікований', 'false'),
      isPrivateKeyOnQSCD: d('Засіб КЕП', 'false'),
      qscdTypeName: d('Тип засобу КЕП', null),
      isElectronicStamp: d('Електронна печатка', 'false'),
    }),
  };
}
