// The one place that builds a Temporal client for trustflow, so every caller (client helpers,
// CLI, demo, tests) gets the same connection settings and, later, the same data converter.
import { Client, Connection } from '@temporalio/client';
import { temporalSettingsFromEnv, type TemporalSettings } from '../common/env.js';

export async function connectClient(settings: Partial<TemporalSettings> = {}): Promise<Client> {
  const s = { ...temporalSettingsFromEnv(), ...settings };
  const connection = await Connection.connect({ address: s.address });
  return new Client({ connection, namespace: s.namespace });
}
