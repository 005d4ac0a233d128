// The KISC endpoints, one function each, taking the simulator's state and the calling participant
// (forParticipant answers 403 to a client certificate of no registered participant), with the
// similarity score, KISC's local dates and the act's ZIP they use.
import { createHash } from 'node:crypto';
import yazl from 'yazl';
import { isValidIin } from '../../common/iin.js';
import { imageContentType } from '../../common/image-type.js';
import { verifyDetachedJws, type JwsAlgorithm } from '../../crypto/jws.js';
import type { Handler, SimRequest, SimResponse } from '../simulator.js';
import { KISC_SANDBOX_VENDORS, NEWS } from './fixtures.js';
import type { KiscParticipant } from './simulator.js';
import type { KiscState, StoredVerification } from './state.js';
import { KISC_UTC_OFFSET_MINUTES } from '../../contracts/kisc-time.js';

const pad = (n: number) => String(n).padStart(2, '0');
/** The simulator's clock in Almaty local time, as fields. */
function almaty(d: Date) {
  const t = new Date(d.getTime() + KISC_UTC_OFFSET_MINUTES * 60_000);
  return {
    y: t.getUTCFullYear(),
    m: t.getUTCMonth() + 1,
    d: t.getUTCDate(),
    hh: t.getUTCHours(),
    mi: t.getUTCMinutes(),
    ss: t.getUTCSeconds(),
  };
}
const ymd = (d: Date) => {
  const a = almaty(d);
  return `${a.y}${pad(a.m)}${pad(a.d)}`;
};
const kiscDatetime = (d: Date) => {
  const a = almaty(d);
  return `${pad(a.d)}.${pad(a.m)}.${a.y} ${pad(a.hh)}:${pad(a.mi)}:${pad(a.ss)}`;
};

/** A score in [lo, lo + 0.05) that depends on the photo and vendor: stable for the same input. */
function score(lo: number, photoSha: string, vendorId: number): number {
  const h = createHash('sha256').update(`${photoSha}:${vendorId}`).digest();
  return Math.round((lo + (h.readUInt32BE(0) / 0xffffffff) * 0.05) * 1e10) / 1e10;
}

function zipOne(name: string, content: Buffer): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(content, name);
  zip.end();
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    zip.outputStream.on('data', (d: Buffer) => parts.push(d));
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)));
    zip.outputStream.on('error', reject);
  });
}

const error = (status: number, message: string): SimResponse => ({ status, body: { message } });
const verificationBody = (key: string, v: StoredVerification) => ({
  iin: v.iin,
  vendor: v.vendorName,
  result: v.result,
  x_idempotency_key: key,
});

type ParticipantHandler = (s: KiscState, participant: KiscParticipant, req: SimRequest) => SimResponse | Promise<SimResponse>;

/** Every endpoint serves registered participants only: 403 for a certificate of the CA that belongs to none. */
export const forParticipant =
  (s: KiscState, handler: ParticipantHandler): Handler =>
  (req) => {
    const participant = s.participantOf(req);
    return participant ? handler(s, participant, req) : error(403, 'participant is not registered');
  };

export const vendors = (): SimResponse => ({ status: 200, body: { vendors: KISC_SANDBOX_VENDORS } });

export const news = (s: KiscState): SimResponse => ({ status: 200, body: s.config.news ?? NEWS });

// --- verifications ---

/** POST /verify: one ledger row per new idempotency key; the same key again returns the stored result. */
export function verifyPhoto(s: KiscState, participant: KiscParticipant, req: SimRequest): SimResponse {
  const key = req.headers['x-idempotency-key'];
  if (typeof key !== 'string' || !/^[A-Za-z0-9-]{8,100}$/.test(key)) return error(400, 'x-idempotency-key header is required (a UUID)');
  const iin = req.query.get('iin') ?? '';
  if (!isValidIin(iin)) return error(400, 'iin is not a valid IIN');
  const vendor = KISC_SANDBOX_VENDORS.find((v) => String(v.id) === req.query.get('vendor'));
  if (!vendor) return error(400, 'unknown vendor');
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  const actual = imageContentType(req.body);
  if (!actual || actual !== type) return error(400, 'body must be a PNG or JPEG image matching Content-Type');

  const existing = s.verifications.get(key);
  if (existing) {
    if (existing.iin !== iin || existing.participant !== participant.name || s.config.duplicateKey === 'conflict') {
      return error(409, 'x-idempotency-key was already used');
    }
    return { status: 200, body: verificationBody(key, existing) };
  }
  const person = s.persons.get(iin);
  if (!person) return error(404, 'no photo in the state record for this IIN');
  const photoSha = createHash('sha256').update(req.body).digest('hex');
  const result =
    s.config.similarity ?? (photoSha === person.photoSha256 ? score(0.95, photoSha, vendor.id) : score(0.05, photoSha, vendor.id));
  const v: StoredVerification = {
    iin,
    vendorId: vendor.id,
    vendorName: vendor.name,
    result,
    participant: participant.name,
    createdAt: s.now(),
  };
  s.verifications.set(key, v);
  s.ledger.push({ key, participant: participant.name, vendorName: vendor.name, similarity: result, billedAt: s.now() });
  return { status: 200, body: verificationBody(key, v) };
}

/** GET /verify: a stored result by idempotency key. */
export function verificationByKey(s: KiscState, participant: KiscParticipant, req: SimRequest): SimResponse {
  const key = req.headers['x-idempotency-key'];
  const v = typeof key === 'string' ? s.verifications.get(key) : undefined;
  if (!v || v.participant !== participant.name) return error(404, 'not found');
  return { status: 200, body: verificationBody(key as string, v) };
}

// --- personal data ---

/** Whether x-jws-signature is the participant's detached JWS over the body, in an accepted algorithm and payload mode. */
async function signatureVerifies(s: KiscState, participant: KiscParticipant, signature: string, body: Buffer): Promise<boolean> {
  try {
    const { header } = await verifyDetachedJws(signature, body, s.signingKeys.get(participant.name)!, {
      algorithms: (s.config.jwsAlgorithms ?? ['RS256', 'PS256', 'ES256']) as JwsAlgorithm[],
    });
    const mode = header.b64 === false ? 'unencoded' : 'base64url';
    if ((s.config.jwsPayloadMode ?? 'unencoded') !== 'any' && mode !== (s.config.jwsPayloadMode ?? 'unencoded'))
      throw new Error(`payload mode ${mode} not accepted`);
    return true;
  } catch {
    return false;
  }
}

/** POST /data (and its aliases): the verified person's data, for a signed consent. */
export async function personalData(s: KiscState, participant: KiscParticipant, req: SimRequest): Promise<SimResponse> {
  const key = req.headers['x-idempotency-key'];
  if (typeof key !== 'string' || !key) return error(400, 'x-idempotency-key header is required');
  const v = s.verifications.get(key);
  if (!v || v.participant !== participant.name) return error(404, 'verification not found for x-idempotency-key');
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json') || req.json === undefined)
    return error(400, 'body must be JSON (the consent text)');
  const signature = req.headers['x-jws-signature'];
  if (typeof signature !== 'string' || !signature) return error(400, 'x-jws-signature header is required');
  if (!(await signatureVerifies(s, participant, signature, req.body))) {
    s.rejectedSignatures++;
    return error(401, 'x-jws-signature does not verify against the participant signing certificate');
  }
  const consent = typeof req.json === 'string' ? req.json : (req.json as { consent?: unknown }).consent;
  if (typeof consent !== 'string' || consent.trim().length < 10) return error(400, 'consent text is missing');
  s.dataCalls[key] = (s.dataCalls[key] ?? 0) + 1;
  const person = s.persons.get(v.iin)!;
  return { status: 200, body: { ...person.personalData, ...(req.query.get('mcdb') === '1' ? { mobilephone: person.mobilephone } : {}) } };
}

// --- reports from the ledger ---

export function transactionsReport(s: KiscState, participant: KiscParticipant, req: SimRequest): SimResponse {
  const { from, to } = req.params as { from: string; to: string };
  if (!/^\d{8}$/.test(from) || !/^\d{8}$/.test(to)) return error(400, 'dates must be YYYYMMDD');
  const rows = s.ledger.filter((r) => r.participant === participant.name && ymd(r.billedAt) >= from && ymd(r.billedAt) <= to);
  return {
    status: 200,
    body: rows.map((r) => ({
      vendor_name: r.vendorName,
      datetime: kiscDatetime(r.billedAt),
      similarity: r.similarity,
      x_idempotency_key: r.key,
    })),
  };
}

/** The monthly act: a real ZIP holding one text file, base64 in `binary`. */
export async function monthlyAct(s: KiscState, participant: KiscParticipant, req: SimRequest): Promise<SimResponse> {
  const year = Number(req.params.year);
  const month = Number(req.params.month); // the memo's example sends 8, the text says MM: both work
  if (!/^\d{4}$/.test(req.params.year!) || !/^\d{1,2}$/.test(req.params.month!) || month < 1 || month > 12)
    return error(400, 'year must be YYYY and month MM');
  const rows = s.ledger.filter(
    (r) => r.participant === participant.name && almaty(r.billedAt).y === year && almaty(r.billedAt).m === month,
  );
  const lines = [
    `АКТ оказанных услуг ИС ЦОИД за ${pad(month)}.${year}`,
    `Участник: ${participant.name}`,
    'Вендор;Дата и время;Схожесть;x_idempotency_key',
    ...rows.map((r) => `${r.vendorName};${kiscDatetime(r.billedAt)};${r.similarity};${r.key}`),
    `Итого верификаций: ${rows.length}`,
  ];
  const zip = await zipOne(`act_${month}-${month}-01_${participant.name}.txt`, Buffer.from(lines.join('\r\n') + '\r\n', 'utf8'));
  return { status: 200, body: { binary: zip.toString('base64') } };
}
