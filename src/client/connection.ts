// The one place that builds a Temporal client for trustflow: every caller (client helpers, CLI,
// demo, tests) gets the same connection settings and the same (encrypting) data converter.
import { Client, Connection } from '@temporalio/client';
import { dataConverterFor } from '../codec/data-converter.js';
import { temporalConnectionOptions, temporalSettingsFromEnv, type TemporalSettings } from '../common/env.js';

export async function connectClient(settings: Partial<TemporalSettings> = {}): Promise<Client> {
  const s = { ...temporalSettingsFromEnv(), ...settings };
  const { dataConverter } = dataConverterFor(s.address);
  const connection = await Connection.connect({ address: s.address, ...temporalConnectionOptions() });
  return new Client({ connection, namespace: s.namespace, dataConverter });
}
