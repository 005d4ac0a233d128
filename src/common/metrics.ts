// trustflow's own metrics, as named instruments behind a sink the worker installs (worker/telemetry.ts
// backs it with the Temporal runtime's meter, so they are served on the same /metrics endpoint as the
// SDK's). No Temporal import here: providers and activities record without knowing who listens; with
// no sink installed (tests, the CLI) recording does nothing. Labels are bounded and never carry a
// secret, an IIN, a URL or a workflow id: provider and endpoint *templates* ('POST /auth/simpleSignIn'),
// status classes, activity and flow type names, credential ids an operator chose.

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'network' | 'timeout';

export interface MetricsSink {
  /** One provider HTTP exchange (or its failure to happen), with its latency. */
  providerRequest(labels: { provider: string; endpoint: string; status_class: StatusClass }, ms: number): void;
  /** A call the provider bills (KISC's POST /verify), counted when it was sent. */
  billedCall(labels: { provider: string; endpoint: string }): void;
  /** An activity attempt after the first. */
  activityRetry(labels: { activity: string }): void;
  /**
   * A watched credential's earliest notAfter, from a check: the gauge trustflow_credential_seconds_left
   * is computed from it at every scrape, and the series is dropped when no check sets it again within
   * `keepMs` (retired credentials, on every worker that exported them).
   */
  credentialExpiry(labels: { credential: string; kind: string }, notAfterMs: number, keepMs: number): void;
  /** The credentials still applied (the check schedule's list): every other credential's series is dropped at once. */
  credentialsApplied(ids: readonly string[]): void;
}

const noop: MetricsSink = {
  providerRequest() {},
  billedCall() {},
  activityRetry() {},
  credentialExpiry() {},
  credentialsApplied() {},
};

let sink: MetricsSink = noop;

/** Installed once by the worker process; `undefined` removes it (tests). */
export function setMetricsSink(s: MetricsSink | undefined): void {
  sink = s ?? noop;
}

/** Where code records; always safe to call. A failing sink never fails the caller. */
export const metrics: MetricsSink = {
  providerRequest: (labels, ms) => guard(() => sink.providerRequest(labels, ms)),
  billedCall: (labels) => guard(() => sink.billedCall(labels)),
  activityRetry: (labels) => guard(() => sink.activityRetry(labels)),
  credentialExpiry: (labels, notAfterMs, keepMs) => guard(() => sink.credentialExpiry(labels, notAfterMs, keepMs)),
  credentialsApplied: (ids) => guard(() => sink.credentialsApplied(ids)),
};

function guard(fn: () => void): void {
  try {
    fn();
  } catch {
    // Metrics are never worth a failed provider call.
  }
}

/** The status class of an HTTP status, for labels. */
export function statusClassOf(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}
