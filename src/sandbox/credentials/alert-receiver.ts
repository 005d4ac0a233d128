// The sandbox's alert webhook receiver: what an operator's receiver does with trustflow's alerts
// (contracts/alert.ts). It checks the signature (HMAC-SHA256 of the exact body with the shared secret),
// dedupes on alertId as receivers should, and keeps everything in its admin state:
//   alerts      one entry per alertId: the first body, whether its signature verified, deliveries
//   deliveries  every POST, duplicates (a redelivery of a known alertId) and bad signatures counted
// Faults (status, stall, drop) come from the shared framework: a receiver that is down or slow.
//   POST /alerts     the webhook (answers 200 {alertId, duplicate})
//   POST /ca/issue   {validFor: '5m' | ms, notBefore?: ISO time, organization?, caValidFor?, format?: 'pem'|'pkcs12', password?}
//                    → a certificate from the sandbox's credential CA, valid for seconds or minutes
//                    (from notBefore, default now: a future one makes a not-yet-valid certificate)
import { z } from 'zod';
import { ALERT_SIGNATURE_HEADER, type TrustflowAlert } from '../../contracts/alert.js';
import { durationMs } from '../../contracts/fields.js';
import type { Logger } from '../../common/logger.js';
import { verifyWebhookSignature } from '../../common/webhook-signature.js';
import { Simulator, type SimRequest, type SimResponse } from '../simulator.js';
import type { ShortLivedCa } from './short-lived-ca.js';

export interface ReceivedAlert {
  alertId: string;
  body: TrustflowAlert;
  signatureValid: boolean | null;
  deliveries: number;
  receivedAt: string;
}

const IssueSchema = z
  .object({
    validFor: z.union([z.number().int().positive(), z.string()]),
    notBefore: z.iso.datetime({ offset: true }).optional(),
    organization: z.string().max(200).optional(),
    caValidFor: z.union([z.number().int().positive(), z.string()]).optional(),
    format: z.enum(['pem', 'pkcs12']).default('pem'),
    password: z.string().min(1).optional(),
  })
  .strict();

const ms = (v: number | string) => (typeof v === 'number' ? v : durationMs(v));

export function createAlertReceiver(o: { secret: string; ca: ShortLivedCa; logger?: Logger }): Simulator {
  let alerts = new Map<string, ReceivedAlert>();
  let deliveries = 0;
  let duplicates = 0;
  let badSignatures = 0;
  let unsigned = 0;

  const receive = (req: SimRequest): SimResponse => {
    deliveries++;
    const header = req.headers[ALERT_SIGNATURE_HEADER] as string | undefined;
    const signatureValid = header === undefined ? null : verifyWebhookSignature(req.body, header, o.secret);
    if (signatureValid === false) badSignatures++;
    if (signatureValid === null) unsigned++;
    const body = req.json as TrustflowAlert | undefined;
    if (!body || typeof body.alertId !== 'string')
      return { status: 400, body: { error: 'expected a trustflow alert (JSON with alertId)' } };
    const known = alerts.get(body.alertId);
    if (known) {
      known.deliveries++;
      duplicates++;
      return { status: 200, body: { alertId: body.alertId, duplicate: true } };
    }
    alerts.set(body.alertId, { alertId: body.alertId, body, signatureValid, deliveries: 1, receivedAt: new Date().toISOString() });
    o.logger?.info({ simulator: 'alerts', alertId: body.alertId, tier: body.tier, signatureValid }, 'sandbox alert received');
    return { status: 200, body: { alertId: body.alertId, duplicate: false } };
  };

  const issue = (req: SimRequest): SimResponse => {
    const parsed = IssueSchema.safeParse(req.json);
    if (!parsed.success)
      return { status: 400, body: { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') } };
    const p = parsed.data;
    let chain;
    try {
      chain = o.ca.issue({
        validForMs: ms(p.validFor),
        ...(p.notBefore ? { notBeforeMs: Date.parse(p.notBefore) } : {}),
        ...(p.organization ? { organization: p.organization } : {}),
        ...(p.caValidFor !== undefined ? { caValidForMs: ms(p.caValidFor) } : {}),
      });
    } catch (err) {
      return { status: 400, body: { error: (err as Error).message } };
    }
    if (p.format === 'pkcs12') {
      if (!p.password) return { status: 400, body: { error: 'password: required for format pkcs12' } };
      return { status: 200, body: { pkcs12: chain.pkcs12(p.password).toString('base64'), notAfter: chain.notAfter } };
    }
    return { status: 200, body: { certificate: chain.chainPem, notAfter: chain.notAfter } };
  };

  return new Simulator({
    name: 'alerts',
    logger: o.logger,
    routes: { 'POST /alerts': receive, 'POST /ca/issue': issue },
    state: () => ({ alerts: [...alerts.values()], deliveries, duplicates, badSignatures, unsigned }),
    reset: () => {
      alerts = new Map();
      deliveries = duplicates = badSignatures = unsigned = 0;
    },
  });
}
