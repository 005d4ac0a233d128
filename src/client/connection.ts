// The one place that builds a Temporal client for trustflow: every caller (client helpers, CLI,
// demo, tests) gets the same connection settings and the same (encrypting) data converter. Starts
// carry the caller's trace context (OpenTelemetry; a no-op unless the process registered a tracer
// provider), so a flow's workflow, activity and provider spans join the caller's trace. Its gRPC
// retry is the SDK's, except for the in-flight Update limit (server-errors.ts): the keeper helpers
// retry that one briefly themselves and then report it.
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { dataConverterFor } from '../codec/data-converter.js';
import { temporalConnectionOptions, temporalSettingsFromEnv, type TemporalSettings } from '../common/env.js';
import { trustflowGrpcRetryInterceptor } from './server-errors.js';

export async function connectClient(settings: Partial<TemporalSettings> = {}): Promise<Client> {
  const s = { ...temporalSettingsFromEnv(), ...settings };
  const { dataConverter } = dataConverterFor(s.address);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: s.address,
      ...temporalConnectionOptions(),
      interceptors: [trustflowGrpcRetryInterceptor()],
    });
  } catch (err) {
    // The SDK says only "Failed to connect before the deadline": say where, and what to check.
    throw new Error(
      `cannot reach the Temporal server at ${s.address} (TEMPORAL_ADDRESS${settings.address ? ', as given' : ''}): ${(err as Error).message}; ` +
        'is it running, and is the address right (TEMPORAL_TLS / TEMPORAL_API_KEY for a TLS server)?',
      { cause: err },
    );
  }
  return new Client({
    connection,
    namespace: s.namespace,
    dataConverter,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
}
