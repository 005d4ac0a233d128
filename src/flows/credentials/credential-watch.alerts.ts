// The credential watch's alerts: built, delivered through the alert sink (an activity), and kept for
// redelivery when the sink is down; the action a person takes, per kind.
import { ActivityFailure, log } from '@temporalio/workflow';
import type { AlertEvent, TrustflowAlert } from '../../contracts/alert.js';
import type { InspectedCertificate } from './credential-watch.contract.js';
import { daysLeft } from './credential-ladder.js';
import { rootApplicationFailure } from '../runtime/flow-status.js';
import type { WatchedCertificate, WatchState } from './credential-watch.state.js';
import { activities } from '../activity-proxies.js';

const { alertDeliver } = activities;

export function alertOf(s: WatchState, cert: InspectedCertificate | null, tier: string, event: AlertEvent, action: string): TrustflowAlert {
  const { entry } = s.config;
  const now = Date.now();
  const notAfter = cert?.notAfter ?? null;
  const left = notAfter ? daysLeft(Date.parse(notAfter), now) : null;
  const certId = cert ? cert.certificateId.slice(0, 24) : 'credential';
  const what = cert
    ? cert.role === 'leaf'
      ? 'certificate'
      : `CA certificate ${cert.caName ?? `issued by ${cert.issuer ?? 'an unknown CA'}`}`
    : 'credential';
  const when =
    event === 'credential.expired'
      ? `expired on ${notAfter}`
      : event === 'credential.expiring'
        ? `expires ${notAfter} (${left} days left, tier ${tier})`
        : event === 'credential.not-yet-valid'
          ? `is not valid before ${cert?.notBefore}`
          : event.replace('credential.', '').replace('-', ' ');
  return {
    alertId: `${entry.id}/${certId}/${tier}`,
    event,
    credentialId: entry.id,
    kind: entry.kind,
    tier,
    notAfter,
    daysLeft: left,
    action,
    certificate: cert ? { role: cert.role, organization: cert.organization, issuer: cert.issuer, serialNumber: cert.serialNumber } : null,
    labels: entry.labels ?? {},
    text: `[trustflow] ${entry.id} (${entry.kind}): ${what} ${when}. ${action}`,
    createdAt: new Date(now).toISOString(),
  };
}

/**
 * Sends an alert the watch has decided on, and records the decision (the tier on `cert`): an alert is
 * decided once, ever. One the sink would not take is queued and sent again at the next check, under
 * the same alertId and body.
 */
export async function deliver(s: WatchState, alert: TrustflowAlert, cert: WatchedCertificate | null): Promise<void> {
  if (cert && !cert.tiersSent.includes(alert.tier)) cert.tiersSent.push(alert.tier);
  try {
    await alertDeliver(alert);
    s.alertsSent += 1;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const reason = deliveryFailed(s, err);
    log.warn('alert not delivered; sent again at the next check', { alertId: alert.alertId, reason });
    if (!s.undelivered.some((u) => u.alert.alertId === alert.alertId))
      s.undelivered.push({ alert, certificateId: cert?.certificateId ?? null });
  }
}

/** Alerts a down sink could not take: sent again, same id and body. */
export async function redeliver(s: WatchState): Promise<void> {
  const pending = s.undelivered;
  s.undelivered = [];
  for (const queued of pending) {
    try {
      await alertDeliver(queued.alert);
      s.alertsSent += 1;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      deliveryFailed(s, err);
      s.undelivered.push(queued);
    }
  }
}

/** Records why the sink did not take an alert (the activity's message: status or network error, no secret). */
function deliveryFailed(s: WatchState, err: ActivityFailure): string {
  const message = rootApplicationFailure(err)?.message ?? err.cause?.message ?? err.message;
  s.lastDeliveryError = { message, at: new Date().toISOString() };
  return message;
}

export function notYetValid(cert: InspectedCertificate, now: number): boolean {
  return cert.notBefore !== null && Date.parse(cert.notBefore) > now;
}

/** A certificate that is not valid yet: the clock, an early install, or the wrong file. */
export const NOT_YET_VALID_ACTION =
  "every flow refuses it until then: if that time has passed, the worker's clock is behind (fix its time sync); if it was installed early, put the current one back or wait until then; if it is the wrong file, replace it; then run trustflow credentials scan";

/** What a person does about this certificate, per kind. */
export function actionFor(s: WatchState, cert: InspectedCertificate): string {
  const { entry } = s.config;
  const issuer = cert.issuer ?? 'the issuing CA';
  if (cert.role === 'chain' && entry.kind !== 'cipher-container')
    return `the CA certificate ${cert.caName ?? `issued by ${issuer}`} in this credential's chain expires: get the CA's new certificate, update the file, then run trustflow credentials scan; everything it issued stops validating when it expires`;
  switch (entry.kind) {
    case 'mtls':
      return 'renew the TLS key with the KISC CA: initial keys live 14 days and must be extended to a year (write to supportca@kisc.kz); replace the .p12 in place, then run trustflow credentials scan';
    case 'cipher-container': {
      const says = s.serviceWarnings.length ? ` Cipher says: "${s.serviceWarnings.join('" / "')}"` : '';
      return `get new keys at your key certification centre (${issuer}) and replace the key container (Cipher's key-change dialog is not documented, so trustflow does not start it).${says}`;
    }
    case 'kpsis-certificate':
      return entry.renewal
        ? `the automatic renewal has not produced a certificate yet: see trustflow credentials list for its flow and submit the CA's certificate with trustflow kpsis submit-cert`
        : 'start a kpsisIssueCertificate for a new key (or add renewal: to the inventory entry so the watch does it), hand the request to the CA (NCES), then point artifactsDir at the new set';
    case 'cryptopro-container':
      return `renew with ${issuer}: get a new key and certificate (CryptoPro CSP writes a new container), put the new container folder where path points, then run trustflow credentials scan`;
    default:
      return `renew with ${issuer}: obtain a new certificate (and key), replace the file in place, then run trustflow credentials scan`;
  }
}
