// Temporal server settings trustflow's workloads need beyond the defaults, in one place: the embedded
// dev server (npm start), the tests' and the bench's servers pass them; a production cluster sets the
// same keys in its dynamic config (README, "Token keepers").
export const serverDynamicConfig = {
  /**
   * Token keepers answer every caller through an Update on one workflow: the default of 10 Updates in
   * flight per workflow makes the 11th concurrent caller wait and retry (the client helpers do, with
   * backoff). Raise it to the callers' peak concurrency per participant.
   */
  'history.maxInFlightUpdates': 1000,
} as const;

/** `--dynamic-config-value key=value` arguments for `temporal server start-dev`. */
export function devServerDynamicConfigArgs(): string[] {
  return Object.entries(serverDynamicConfig).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]);
}
