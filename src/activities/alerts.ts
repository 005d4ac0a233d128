// The alert sink every alert goes through (credential watches, KPSIS's pending-CA reminders): the
// structured log always, and the webhook TRUSTFLOW_ALERT_WEBHOOK_URL when set (signed with
// TRUSTFLOW_ALERT_WEBHOOK_SECRET). Delivery is at least once: a worker that dies after the POST
// reached the receiver sends the same alertId and body again, which receivers dedupe on.
import { Context } from '@temporalio/activity';
import type { TrustflowAlert } from '../contracts/alert.js';
import { AlertWebhook } from '../providers/alert-webhook/index.js';
import { httpTimeout } from './http-timeout.js';

export interface AlertActivityDeps {
  /** Default TRUSTFLOW_ALERT_WEBHOOK_URL (or the older TRUSTFLOW_KPSIS_WEBHOOK_URL); none: the log only. */
  alertWebhookUrl?: string;
  /** Default TRUSTFLOW_ALERT_WEBHOOK_SECRET. */
  alertWebhookSecret?: string;
}

let warnedLegacyUrl = false;

/** Sends one alert to the configured sinks; used by every activity that alerts. */
export async function deliverAlert(alert: TrustflowAlert, deps: AlertActivityDeps): Promise<{ via: 'webhook' | 'log' }> {
  const ctx = Context.current();
  ctx.log.warn(`trustflow alert ${alert.alertId}`, { alert });
  let url = deps.alertWebhookUrl ?? process.env.TRUSTFLOW_ALERT_WEBHOOK_URL;
  if (!url && process.env.TRUSTFLOW_KPSIS_WEBHOOK_URL) {
    url = process.env.TRUSTFLOW_KPSIS_WEBHOOK_URL;
    if (!warnedLegacyUrl) {
      warnedLegacyUrl = true;
      ctx.log.warn('TRUSTFLOW_KPSIS_WEBHOOK_URL is deprecated: set TRUSTFLOW_ALERT_WEBHOOK_URL (one webhook for every alert)');
    }
  }
  if (!url) return { via: 'log' };
  const hook = new AlertWebhook({
    url,
    secret: deps.alertWebhookSecret ?? process.env.TRUSTFLOW_ALERT_WEBHOOK_SECRET,
    timeoutMs: httpTimeout(),
  });
  await hook.send(alert, ctx.cancellationSignal);
  return { via: 'webhook' };
}

export function createAlertActivities(deps: AlertActivityDeps = {}) {
  return {
    /** One alert, decided by a workflow (its body fixed there): log + webhook. */
    alertDeliver: (alert: TrustflowAlert) => deliverAlert(alert, deps),
  };
}
