// Temporal server settings trustflow's workloads need beyond the defaults, in one place: the embedded
// dev server (npm start), the tests' and the bench's servers pass them; a production cluster sets the
// same keys in its dynamic config (docs/token-keepers.md).
export const serverDynamicConfig = {
  /**
   * Token keepers answer every caller through an Update on one workflow: the default of 10 Updates in
   * flight per workflow makes the 11th concurrent caller wait and retry (the client helpers do, with
   * backoff). Raise it to the callers' peak concurrency per participant.
   */
  'history.maxInFlightUpdates': 1000,
} as const;

/**
 * Latency settings for the single-shard dev servers only (npm start, tests, bench). Measured on this
 * server (CLI 1.5.1 / Server 1.29.1) with a 3-activity no-op workflow: every hop goes through the
 * history shard's transfer queue, whose reader polls at most `transferProcessorMaxPollRPS` (default 20)
 * times a second: 3 hops took 350 ms median, 113 ms at 1000 RPS; and timers are loaded at most
 * `timerProcessorMaxTimeShift` (default 1 s) late: 3 × sleep(1 ms) took 3.04 s, 0.2 s at 10 ms.
 * A production cluster spreads that cost over its shards; docs/operations/sizing.md ("Latency of each
 * step") says what to consider there. Not part of serverDynamicConfig: trustflow is correct without
 * them, only slower.
 */
export const devServerLatencyConfig = {
  'history.transferProcessorMaxPollRPS': 10_000,
  'history.timerProcessorMaxTimeShift': '10ms',
  // The activity task comes back in the response to the workflow task that scheduled it, when the
  // same worker has a free slot: one server round trip less per step (3 hops 113 -> 94 ms here, 227 ->
  // 179 ms on the PostgreSQL cluster). Timeouts and retries are unchanged (a retry is dispatched as
  // usual). Production sets it too (deploy/temporal/dynamicconfig/production.yaml).
  'system.enableActivityEagerExecution': true,
} as const;

/**
 * `--dynamic-config-value key=value` arguments for `temporal server start-dev` (the "By hand" command
 * of docs/commands.md spells out the same flags: a unit test keeps them equal).
 * @param o.latency false leaves out devServerLatencyConfig (the bench's "before").
 * @param o.overrides values that replace (or add to) these, e.g. a lower limit for a test.
 */
export function devServerDynamicConfigArgs(o: { latency?: boolean; overrides?: Record<string, unknown> } = {}): string[] {
  return Object.entries({ ...serverDynamicConfig, ...(o.latency === false ? {} : devServerLatencyConfig), ...o.overrides }).flatMap(
    ([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`],
  );
}
