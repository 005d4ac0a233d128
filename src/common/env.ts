// Process configuration shared by the worker, the client helpers, the CLI and the demo.
import { readFileSync } from 'node:fs';

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
}

export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TRUSTFLOW_TASK_QUEUE || 'trustflow',
  };
}

/**
 * TRUSTFLOW_SHUTDOWN_GRACE_SECONDS: how long a stopping worker lets in-flight activities finish
 * before it cancels them (default 10, 0..3600). A cancelled billed call is not lost: its retry asks
 * the provider for the result first (KISC GET /verify). Keep it below the orchestrator's own kill
 * deadline (docker's stop_grace_period, Kubernetes' terminationGracePeriodSeconds).
 */
export function shutdownGraceSecondsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TRUSTFLOW_SHUTDOWN_GRACE_SECONDS;
  if (raw === undefined || raw === '') return 10;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n > 3600)
    throw new Error(`TRUSTFLOW_SHUTDOWN_GRACE_SECONDS=${raw}: expected whole seconds from 0 to 3600 (default 10)`);
  return n;
}

export interface TemporalTls {
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/**
 * TLS to the Temporal server (always verified; there is no switch to turn verification off):
 *   TEMPORAL_TLS=1                              TLS with the system CAs
 *   TEMPORAL_TLS_CA=/path                       a private CA
 *   TEMPORAL_TLS_CERT=/path TEMPORAL_TLS_KEY=/path   mTLS client certificate
 *   TEMPORAL_API_KEY=...                        API-key auth (implies TLS)
 */
export function temporalConnectionOptions(env: NodeJS.ProcessEnv = process.env): { tls?: TemporalTls | true; apiKey?: string } {
  const read = (name: string) => {
    const path = env[name]!;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${name}=${path}: cannot read (${(err as NodeJS.ErrnoException).code})`, { cause: err });
    }
  };
  if (!!env.TEMPORAL_TLS_CERT !== !!env.TEMPORAL_TLS_KEY) throw new Error('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together');
  const wantsTls = env.TEMPORAL_TLS === '1' || env.TEMPORAL_TLS_CA || env.TEMPORAL_TLS_CERT || env.TEMPORAL_API_KEY;
  if (!wantsTls) return {};
  const tls: TemporalTls = {
    ...(env.TEMPORAL_TLS_CA ? { serverRootCACertificate: read('TEMPORAL_TLS_CA') } : {}),
    ...(env.TEMPORAL_TLS_CERT ? { clientCertPair: { crt: read('TEMPORAL_TLS_CERT'), key: read('TEMPORAL_TLS_KEY') } } : {}),
  };
  return { tls: Object.keys(tls).length ? tls : true, ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}) };
}
