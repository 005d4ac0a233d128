// KISC identity-exchange simulator (shared/providers/kisc.md, seed 004). HTTPS with mutual TLS:
// clients without a certificate from the sandbox KISC CA fail the handshake; certificates from
// that CA that belong to no registered participant get 403. POST /verify bills one ledger row per
// new idempotency key (the same key again returns the stored result, no new row); GET /verify
// looks a result up by key; /data checks x-jws-signature against the participant's registered
// signing certificate; the transactions report and the monthly act (a real ZIP) come from the ledger.
import { createHash, type X509Certificate } from 'node:crypto';
import yazl from 'yazl';
import { z } from 'zod';
import { isValidIin } from '../../common/iin.js';
import { imageContentType } from '../../common/image-type.js';
import type { Logger } from '../../common/logger.js';
import { verifyDetachedJws, type JwsAlgorithm } from '../../crypto/jws.js';
import { Simulator, type SimRequest, type SimResponse } from '../simulator.js';

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

export const KISC_SANDBOX_VENDORS = [
  { id: 1, name: 'VisionLabs' },
  { id: 2, name: 'FORENSICS' },
  { id: 3, name: 'Verigram' },
  { id: 4, name: 'Biometric.kz' },
  { id: 5, name: 'BTSDigital' },
];

// GET /news as seed 004 shows it.
const NEWS = [
  {
    date: '2021-10-29',
    subject: 'касательно плановых работ на стороне АО "НИТ"',
    text: 'Здравствуйте!\nНастоящим РГП «Казахстанский центр межбанковских расчетов Национального Банка Республики Казахстан» в рамках взаимодействия по проекту механизма удаленной и идентификации, сообщает следующее. В период с 21:00 часов 30 октября по 09:00 часов 31 октября 2021 года будут проводиться плановые работы на стороне АО «Национальные информационные технологии». В этой связи, информируем Вас о возможных перебоях в работе системы Центра обмена идентификационными данными в вышеуказанный период.\n',
  },
];

const ConfigSchema = z
  .object({
    /** Force the similarity of the following new verifications (null: back to photo comparison). */
    similarity: z.number().min(0).max(1).nullable().optional(),
    /** A repeated key: return the stored result (default) or answer 409. */
    duplicateKey: z.enum(['return-stored', 'conflict']).optional(),
    /** Accepted JWS algorithms and payload modes for x-jws-signature. */
    jwsAlgorithms: z
      .array(z.enum(['RS256', 'PS256', 'ES256']))
      .min(1)
      .optional(),
    jwsPayloadMode: z.enum(['unencoded', 'base64url', 'any']).optional(),
    /** GET /news answers these items instead (null: the seed's item again). */
    news: z
      .array(z.object({ date: z.string(), subject: z.string(), text: z.string() }).strict())
      .nullable()
      .optional(),
  })
  .strict();

interface StoredVerification {
  iin: string;
  vendorId: number;
  vendorName: string;
  result: number;
  participant: string;
  createdAt: Date;
}

interface LedgerRow {
  key: string;
  participant: string;
  vendorName: string;
  similarity: number;
  billedAt: Date;
}

/** KISC's time zone for report dates and datetimes: Kazakhstan has one zone, UTC+5 (since 1 March 2024). */
const KISC_UTC_OFFSET_MINUTES = 5 * 60;

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

export function createKiscSimulator(o: KiscSimulatorOptions): Simulator {
  const persons = new Map(o.persons.map((p) => [p.iin, p]));
  const participantByFingerprint = new Map(o.participants.flatMap((p) => p.tlsFingerprints.map((f) => [f, p] as const)));
  const signingKeys = new Map(o.participants.map((p) => [p.name, p.signingCertificate.publicKey]));

  let verifications = new Map<string, StoredVerification>();
  let ledger: LedgerRow[] = [];
  let dataCalls: Record<string, number> = {};
  let rejectedSignatures = 0;
  let config: z.infer<typeof ConfigSchema> = {};

  const error = (status: number, message: string): SimResponse => ({ status, body: { message } });
  const participantOf = (req: SimRequest) =>
    req.clientCertFingerprint ? participantByFingerprint.get(req.clientCertFingerprint) : undefined;
  const verificationBody = (key: string, v: StoredVerification) => ({
    iin: v.iin,
    vendor: v.vendorName,
    result: v.result,
    x_idempotency_key: key,
  });

  const personalData = async (req: SimRequest): Promise<SimResponse> => {
    const participant = participantOf(req);
    if (!participant) return error(403, 'participant is not registered');
    const key = req.headers['x-idempotency-key'];
    if (typeof key !== 'string' || !key) return error(400, 'x-idempotency-key header is required');
    const v = verifications.get(key);
    if (!v || v.participant !== participant.name) return error(404, 'verification not found for x-idempotency-key');
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json') || req.json === undefined)
      return error(400, 'body must be JSON (the consent text)');
    const signature = req.headers['x-jws-signature'];
    if (typeof signature !== 'string' || !signature) return error(400, 'x-jws-signature header is required');
    try {
      const { header } = await verifyDetachedJws(signature, req.body, signingKeys.get(participant.name)!, {
        algorithms: (config.jwsAlgorithms ?? ['RS256', 'PS256', 'ES256']) as JwsAlgorithm[],
      });
      const mode = header.b64 === false ? 'unencoded' : 'base64url';
      if ((config.jwsPayloadMode ?? 'unencoded') !== 'any' && mode !== (config.jwsPayloadMode ?? 'unencoded'))
        throw new Error(`payload mode ${mode} not accepted`);
    } catch {
      rejectedSignatures++;
      return error(401, 'x-jws-signature does not verify against the participant signing certificate');
    }
    const consent = typeof req.json === 'string' ? req.json : (req.json as { consent?: unknown }).consent;
    if (typeof consent !== 'string' || consent.trim().length < 10) return error(400, 'consent text is missing');
    dataCalls[key] = (dataCalls[key] ?? 0) + 1;
    const person = persons.get(v.iin)!;
    return { status: 200, body: { ...person.personalData, ...(req.query.get('mcdb') === '1' ? { mobilephone: person.mobilephone } : {}) } };
  };

  const sim: Simulator = new Simulator({
    name: 'kisc',
    tls: o.tls,
    basePath: '/identity/1.1.0',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => ({
      // One row per billed verification; billedPerKey is what "exactly once" is checked against.
      billing: ledger.map((r) => ({
        key: r.key,
        participant: r.participant,
        vendor: r.vendorName,
        similarity: r.similarity,
        billedAt: r.billedAt.toISOString(),
      })),
      billedPerKey: ledger.reduce<Record<string, number>>((acc, r) => ((acc[r.key] = (acc[r.key] ?? 0) + 1), acc), {}),
      verifications: verifications.size,
      dataCalls: { ...dataCalls },
      rejectedSignatures,
      config,
    }),
    reset: () => {
      verifications = new Map();
      ledger = [];
      dataCalls = {};
      rejectedSignatures = 0;
      config = {};
    },
    configure: (json) => {
      const parsed = ConfigSchema.safeParse(json);
      if (!parsed.success)
        return { status: 400, body: { error_message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
      config = { ...config, ...parsed.data };
      return { status: 200, body: { config } };
    },
    routes: {
      'GET /vendors': (req) =>
        participantOf(req) ? { status: 200, body: { vendors: KISC_SANDBOX_VENDORS } } : error(403, 'participant is not registered'),

      'POST /verify': (req) => {
        const participant = participantOf(req);
        if (!participant) return error(403, 'participant is not registered');
        const key = req.headers['x-idempotency-key'];
        if (typeof key !== 'string' || !/^[A-Za-z0-9-]{8,100}$/.test(key))
          return error(400, 'x-idempotency-key header is required (a UUID)');
        const iin = req.query.get('iin') ?? '';
        if (!isValidIin(iin)) return error(400, 'iin is not a valid IIN');
        const vendor = KISC_SANDBOX_VENDORS.find((v) => String(v.id) === req.query.get('vendor'));
        if (!vendor) return error(400, 'unknown vendor');
        const type = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim();
        const actual = imageContentType(req.body);
        if (!actual || actual !== type) return error(400, 'body must be a PNG or JPEG image matching Content-Type');

        const existing = verifications.get(key);
        if (existing) {
          if (existing.iin !== iin || existing.participant !== participant.name || config.duplicateKey === 'conflict') {
            return error(409, 'x-idempotency-key was already used');
          }
          return { status: 200, body: verificationBody(key, existing) };
        }
        const person = persons.get(iin);
        if (!person) return error(404, 'no photo in the state record for this IIN');
        const photoSha = createHash('sha256').update(req.body).digest('hex');
        const result =
          config.similarity ?? (photoSha === person.photoSha256 ? score(0.95, photoSha, vendor.id) : score(0.05, photoSha, vendor.id));
        const v: StoredVerification = {
          iin,
          vendorId: vendor.id,
          vendorName: vendor.name,
          result,
          participant: participant.name,
          createdAt: sim.now(),
        };
        verifications.set(key, v);
        ledger.push({ key, participant: participant.name, vendorName: vendor.name, similarity: result, billedAt: sim.now() });
        return { status: 200, body: verificationBody(key, v) };
      },

      'GET /verify': (req) => {
        const participant = participantOf(req);
        if (!participant) return error(403, 'participant is not registered');
        const key = req.headers['x-idempotency-key'];
        const v = typeof key === 'string' ? verifications.get(key) : undefined;
        if (!v || v.participant !== participant.name) return error(404, 'not found');
        return { status: 200, body: verificationBody(key as string, v) };
      },

      'POST /data': personalData,
      'POST /personal_data': personalData,
      'POST /personel_data': personalData,

      'GET /news': (req) => (participantOf(req) ? { status: 200, body: config.news ?? NEWS } : error(403, 'participant is not registered')),

      'GET /report/transactions/{from}/{to}': (req) => {
        const participant = participantOf(req);
        if (!participant) return error(403, 'participant is not registered');
        const { from, to } = req.params as { from: string; to: string };
        if (!/^\d{8}$/.test(from) || !/^\d{8}$/.test(to)) return error(400, 'dates must be YYYYMMDD');
        const rows = ledger.filter((r) => r.participant === participant.name && ymd(r.billedAt) >= from && ymd(r.billedAt) <= to);
        return {
          status: 200,
          body: rows.map((r) => ({
            vendor_name: r.vendorName,
            datetime: kiscDatetime(r.billedAt),
            similarity: r.similarity,
            x_idempotency_key: r.key,
          })),
        };
      },

      'GET /report/act/{year}/{month}': async (req) => {
        const participant = participantOf(req);
        if (!participant) return error(403, 'participant is not registered');
        const year = Number(req.params.year);
        const month = Number(req.params.month); // the memo's example sends 8, the text says MM: both work
        if (!/^\d{4}$/.test(req.params.year!) || !/^\d{1,2}$/.test(req.params.month!) || month < 1 || month > 12)
          return error(400, 'year must be YYYY and month MM');
        const rows = ledger.filter(
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
      },
    },
  });
  return sim;
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
