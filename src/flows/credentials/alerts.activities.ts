// The alert sink every alert goes through (credential watches, KPSIS's pending-CA reminders, the test
// alert): the structured log always, and the webhook when the worker's alert settings name one (signed
// with their secret). The settings are read and checked once, when the worker starts
// (common/alert-settings.ts), and handed in here. Delivery is at least once: a worker that dies after
// the POST reached the receiver sends the same alertId and body again, which receivers dedupe on.
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { AlertTestOutcome, TrustflowAlert } from '../../contracts/alert.js';
import { alertSettingsFromEnv, type AlertSettings } from '../../common/alert-settings.js';
import { ProviderHttpError, TrustflowError } from '../../common/errors.js';
import { activityPolicies } from '../../common/policies.js';
import { AlertWebhook } from '../../providers/alert-webhook/index.js';
import { httpTimeout } from '../http-timeout.activities.js';

export interface AlertActivityDeps {
  /** The worker's alert settings, parsed at start; default: read from the environment when the activities are built. */
  alerts?: AlertSettings;
}

/** Sends one alert to the configured sinks; used by every activity that alerts. */
export async function deliverAlert(
  alert: TrustflowAlert,
  settings: AlertSettings,
): Promise<{ via: 'webhook' | 'log'; status: number | null }> {
  const ctx = Context.current();
  // A signing link is a capability: the webhook gets it, the log says where it went.
  const logged = alert.signing
    ? { ...alert, signing: { ...alert.signing, link: settings.webhook ? '(sent to the webhook)' : '(not sent: no webhook)' } }
    : alert;
  ctx.log.warn(`trustflow alert ${alert.alertId}`, { alert: logged });
  if (!settings.webhook) return { via: 'log', status: null };
  const hook = new AlertWebhook({ url: settings.webhook.url, secret: settings.webhook.secret, timeoutMs: httpTimeout() });
  const { status } = await hook.send(alert, ctx.cancellationSignal);
  return { via: 'webhook', status };
}

/** Resolves the settings once, for every activity built from these deps (the worker's start). */
export function alertSettingsOf(deps: AlertActivityDeps): AlertSettings {
  return deps.alerts ?? alertSettingsFromEnv();
}

export function createAlertActivities(deps: AlertActivityDeps = {}) {
  const settings = alertSettingsOf(deps);
  return {
    /** One alert, decided by a workflow (its body fixed there): log + webhook. */
    alertDeliver: (alert: TrustflowAlert) => deliverAlert(alert, settings),

    /**
     * The test alert (`trustflow credentials test-alert`): one delivery through this worker's own sink,
     * and its outcome as data. A failure a retry may fix is thrown while attempts remain (the policy
     * table's short retry); the last attempt, or a refusal, returns what happened instead.
     */
    alertDeliverTest: async (alert: TrustflowAlert): Promise<AlertTestOutcome> => {
      const { attempt } = Context.current().info;
      const hook = settings.webhook;
      const base = { alertId: alert.alertId, signed: hook?.secret != null, host: hook?.origin ?? null, attempts: attempt };
      try {
        const { via, status } = await deliverAlert(alert, settings);
        return { ...base, delivered: true, via, status, error: null };
      } catch (err) {
        if (err instanceof CancelledFailure || (err as Error | undefined)?.name === 'AbortError') throw err;
        const lastAttempt = attempt >= (activityPolicies.alertDeliverTest.retry.maximumAttempts ?? 1);
        if (err instanceof TrustflowError && err.retryable && !lastAttempt) throw err;
        return {
          ...base,
          delivered: false,
          via: 'webhook',
          status: err instanceof ProviderHttpError ? err.status : null,
          // Only trustflow's own messages, written to be shown; anything else by its class name.
          error: err instanceof TrustflowError ? err.message : `unexpected ${err instanceof Error ? err.name : typeof err}`,
        };
      }
    },
  };
}
