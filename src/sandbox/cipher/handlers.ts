// The Cipher agent's endpoints, one function each, and what they share: the wrappers that answer
// 503 (service down) and 400 (unknown ticket), the body readers and the key-container opener.
// Every handler takes the simulator's state explicitly; simulator.ts maps routes to them.
import { createHash, randomUUID, type X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { signCmsRsaSha256 } from '../../crypto/cms/sign.js';
import { verifyCms } from '../../crypto/cms/verify.js';
import { openPkcs12, type SoftwareKey } from '../../crypto/keys/pkcs12.js';
import type { Handler, SimRequest, SimResponse } from '../simulator.js';
import { certificateInfo, MSG, NO_KEY_AGREEMENT, norm, OPTION_VALUES } from './fixtures.js';
import type { CipherState, SigningOp, Ticket } from './state.js';

const WARN_DAYS = 14;
const BLOCKING_WAIT_MS = 30_000;

type Failure = { failure: SimResponse };
const fail = (status: number, message: string, failureCause?: string): SimResponse => ({
  status,
  body: failureCause === undefined ? { message } : { message, failureCause },
});
const ok = (body: Record<string, unknown>): SimResponse => ({ status: 200, body });

type TicketHandler = (s: CipherState, t: Ticket, req: SimRequest) => SimResponse | Promise<SimResponse>;

// 503 while the service is down (with the crypto-service text unless told otherwise), 400 for an unknown ticket.
export const api =
  (s: CipherState, handler: Handler, downMessage = MSG.cryptoDown): Handler =>
  (req) =>
    s.config.serviceUp ? handler(req) : fail(503, downMessage);
export const withTicket = (s: CipherState, handler: TicketHandler, downMessage?: string): Handler =>
  api(
    s,
    (req) => {
      const t = s.tickets.get(req.params.uuid ?? '');
      return t ? handler(s, t, req) : fail(400, MSG.sessionMissing);
    },
    downMessage,
  );

// --- reading requests ---

const isJson = (req: SimRequest) =>
  String(req.headers['content-type'] ?? '')
    .toLowerCase()
    .startsWith('application/json');

/** JSON `{base64Data}` or a raw body (octet-stream and anything else that is not JSON). */
function bytesOf(req: SimRequest, what: string): Buffer | string {
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
}

function passwordOf(req: SimRequest): string | undefined {
  const p = (req.json as { keyStorePassword?: unknown } | undefined)?.keyStorePassword;
  return typeof p === 'string' ? p : undefined;
}

// --- key containers and certificates ---

/** Opens the ticket's container; the path wins over uploaded bytes, as the doc says. */
async function openKey(s: CipherState, t: Ticket, password: string | undefined, missingMessage: string): Promise<SoftwareKey | Failure> {
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
    const key = await s.openedContainers.use(createHash('sha256').update(der).digest('hex'), [der, password], () =>
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
}

function validity(s: CipherState, cert: X509Certificate): { canBeUsed: boolean; message: string } {
  const now = s.nowMs();
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
}

// --- service and tickets ---

export const serviceStatus = (s: CipherState): SimResponse =>
  s.config.serviceUp ? ok({ message: MSG.statusOk }) : fail(503, MSG.storageDown);

export const supportedCas = (s: CipherState): SimResponse => ok({ ca: [{ id: s.options.caId, name: s.options.caName }] });

export function createTicket(s: CipherState): SimResponse {
  const ticketUuid = randomUUID();
  s.tickets.set(ticketUuid, { options: {} });
  s.counters.ticketsCreated++;
  return ok({ message: MSG.ticketCreated, ticketUuid });
}

export function deleteTicket(s: CipherState, _t: Ticket, req: SimRequest): SimResponse {
  s.tickets.delete(req.params.uuid!);
  s.counters.ticketsDeleted++;
  return ok({ message: MSG.ticketDeleted, ticketUuid: req.params.uuid });
}

// --- uploads into a ticket ---

export function uploadData(_s: CipherState, t: Ticket, req: SimRequest): SimResponse {
  const bytes = bytesOf(req, 'data');
  if (typeof bytes === 'string') return fail(500, MSG.dataError, bytes);
  t.data = bytes;
  return ok({ message: MSG.dataLoaded });
}

export function setOptions(_s: CipherState, t: Ticket, req: SimRequest): SimResponse {
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
}

export function uploadKeyStore(_s: CipherState, t: Ticket, req: SimRequest): SimResponse {
  const json = isJson(req) ? (req.json as { keyStorePath?: unknown; base64Data?: unknown } | undefined) : undefined;
  if (json && typeof json.keyStorePath === 'string' && json.keyStorePath) {
    t.keyStorePath = json.keyStorePath;
    if (json.base64Data === undefined) return ok({ message: MSG.keyStoreLoaded });
  }
  const bytes = bytesOf(req, 'keyStore');
  if (typeof bytes === 'string') return fail(500, MSG.keyStoreError, bytes);
  t.keyStoreBytes = bytes;
  return ok({ message: MSG.keyStoreLoaded });
}

export function setMetadata(_s: CipherState, _t: Ticket, req: SimRequest): SimResponse {
  // Accepted and dropped: metadata may name the signer and is used by nothing simulated here.
  const json = req.json as { metaData?: unknown } | undefined;
  if (!isJson(req) || json?.metaData === undefined) return fail(500, MSG.metadataError, 'expected JSON {"metaData": ...}');
  return ok({ message: MSG.metadataSet });
}

// --- the key container's verifier and certificate ---

export async function verifyKeyStore(s: CipherState, t: Ticket, req: SimRequest): Promise<SimResponse> {
  s.counters.verifierCalls++;
  const key = await openKey(s, t, passwordOf(req), MSG.keyStoreError);
  if ('failure' in key) return key.failure;
  const cert = key.certificates[0]!;
  const { canBeUsed, message } = validity(s, cert);
  return ok({ keyAgreement: NO_KEY_AGREEMENT, signature: { canBeUsed, certificateInfo: certificateInfo(cert), message } });
}

export async function keyStoreCertificateInfo(s: CipherState, t: Ticket, req: SimRequest): Promise<SimResponse> {
  const keyType = req.params.keyType;
  if (keyType !== 'signature' && keyType !== 'keyAgreement')
    return fail(500, MSG.keyStoreError, `unknown key type ${keyType}: signature or keyAgreement`);
  const key = await openKey(s, t, passwordOf(req), MSG.keyStoreError);
  if ('failure' in key) return key.failure;
  return ok(keyType === 'signature' ? certificateInfo(key.certificates[0]!) : {});
}

// --- signing ---

export async function startSigning(s: CipherState, t: Ticket, req: SimRequest): Promise<SimResponse> {
  if (t.signing) return fail(500, MSG.signInitError, 'Операцію створення електронного підпису для цієї сесії вже ініційовано.');
  if (!t.data) return fail(500, MSG.signInitError, 'Дані для підпису не завантажено в сесію.');
  if (!t.keyStoreBytes && t.keyStorePath === undefined) return fail(500, MSG.signInitError, 'Ключовий контейнер не завантажено в сесію.');
  if (!t.options.caId) return fail(500, MSG.signInitError, 'Параметр сесії caId не встановлено.');
  if (t.options.caId !== s.options.caId) return fail(500, MSG.signInitError, `Невідомий ЦСК: ${t.options.caId}.`);
  const key = await openKey(s, t, passwordOf(req), MSG.signInitError);
  if ('failure' in key) return key.failure;
  const cert = key.certificates[0]!;
  const v = validity(s, cert);
  if (!v.canBeUsed) return fail(500, MSG.signInitError, v.message);

  const op: SigningOp = { readyAt: s.nowMs() + s.config.signingMs, counted: false };
  if (s.config.failSigning !== null) {
    op.failureCause = s.config.failSigning;
  } else {
    op.cms = await signCmsRsaSha256({
      content: t.data,
      privateKey: key.privateKey,
      certificates: key.certificates,
      detached: norm(t.options.signatureType ?? 'detached') !== 'attached',
      signingTime: s.now(),
    });
  }
  t.signing = op;
  s.counters.signaturesStarted++;
  return ok({ message: MSG.signStarted });
}

export function signingStatus(s: CipherState, t: Ticket): SimResponse {
  switch (s.settle(t.signing)) {
    case 'running':
      return { status: 202, body: { message: MSG.signRunning } };
    case 'done':
      return ok({ message: MSG.signDone });
    case 'failed':
      return fail(500, MSG.signFailed, t.signing!.failureCause);
    case 'none':
      return fail(500, MSG.signFailed, 'Операцію створення електронного підпису не ініційовано.');
  }
}

/** Waits for the ticket's running signature, at most BLOCKING_WAIT_MS. */
async function awaitSignature(s: CipherState, t: Ticket): Promise<{ cms: Buffer } | Failure> {
  const deadline = Date.now() + BLOCKING_WAIT_MS;
  for (;;) {
    const state = s.settle(t.signing);
    if (state === 'done') return { cms: t.signing!.cms! };
    if (state === 'failed') return { failure: fail(500, MSG.signFailed, t.signing!.failureCause) };
    if (state === 'none') return { failure: fail(500, MSG.signFailed, 'Операцію створення електронного підпису не ініційовано.') };
    if (Date.now() >= deadline) return { failure: fail(500, MSG.signFailed, 'Операція не завершилася за 30 с.') };
    // unref: a waiting request must not keep the process alive after the simulator closes.
    await new Promise((r) => setTimeout(r, 25).unref());
  }
}

export async function signatureBase64(s: CipherState, t: Ticket): Promise<SimResponse> {
  const r = await awaitSignature(s, t);
  return 'failure' in r ? r.failure : ok({ base64Data: r.cms.toString('base64') });
}

export async function signatureBytes(s: CipherState, t: Ticket): Promise<SimResponse> {
  const r = await awaitSignature(s, t);
  return 'failure' in r ? r.failure : { status: 200, body: r.cms };
}

// --- verification ---

export function uploadSignature(_s: CipherState, t: Ticket, req: SimRequest): SimResponse {
  const bytes = bytesOf(req, 'signature');
  if (typeof bytes === 'string') return fail(500, MSG.dataError, bytes);
  t.uploadedSignature = bytes;
  t.verification = undefined;
  return ok({ message: MSG.signatureLoaded });
}

export async function startVerification(s: CipherState, t: Ticket): Promise<SimResponse> {
  const signature = t.uploadedSignature ?? (s.settle(t.signing) === 'done' ? t.signing!.cms : undefined);
  if (!signature) return fail(500, MSG.verifyInitError, 'Електронний підпис не завантажено в сесію.');
  s.counters.signatureVerifications++;
  const v = await verifyCms(signature, t.data);
  const signerInfo = v.signerCertificate ? { signerInfo: certificateInfo(v.signerCertificate) } : {};
  t.verification = v.signatureValid
    ? { status: 200, body: { verifyResults: [{ status: 'SUCCESS', ...signerInfo }] } }
    : {
        status: 406,
        body: { verifyResults: [{ status: 'FAILURE', failureCause: v.reason ?? 'signature does not verify', ...signerInfo }] },
      };
  return ok({ message: MSG.verifyStarted });
}

export const verificationResult = (_s: CipherState, t: Ticket): SimResponse =>
  t.verification ?? fail(500, MSG.verifyMissing, 'Операцію перевірки електронного підпису не ініційовано.');
