// The worker's telemetry, set up once per process before any Worker exists:
//  - the Temporal runtime (logger → the one trustflow logger; Prometheus metrics: the SDK's `temporal_*`
//    series and trustflow's `trustflow_*` ones, from the same meter), and the worker's /metrics on
//    TRUSTFLOW_METRICS_ADDRESS: the runtime's exporter listens on a private loopback port and this
//    endpoint serves its text followed by trustflow_credential_seconds_left (credential-gauges.ts),
//    whose series must be removable, which the runtime's meter cannot do;
//  - OpenTelemetry traces through @temporalio/interceptors-opentelemetry, exported over OTLP/HTTP when
//    OTEL_EXPORTER_OTLP_ENDPOINT is set. v1 of the interceptors, deliberately: it is the line released
//    with SDK 1.24 (the -v2 package stops at 1.23), and v1 and v2 histories do not replay on each
//    other, so the choice is made once, here.
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { Runtime, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { metrics, setMetricsSink } from '../common/metrics.js';
import type { Logger } from '../common/logger.js';
import { CredentialGauges } from './credential-gauges.js';
import { TemporalLoggerAdapter } from './runtime.js';

export interface TelemetrySettings {
  /** host:port for /metrics, or undefined: no metrics endpoint. */
  metricsAddress?: string;
  /** OTLP/HTTP base URL (the exporter appends /v1/traces), or undefined: spans are not exported. */
  otlpEndpoint?: string;
  serviceName: string;
}

export function telemetrySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  return {
    ...(env.TRUSTFLOW_METRICS_ADDRESS ? { metricsAddress: env.TRUSTFLOW_METRICS_ADDRESS } : {}),
    ...(env.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
    serviceName: env.OTEL_SERVICE_NAME || 'trustflow-worker',
  };
}

/**
 * Installs the Temporal runtime with the trustflow logger and, when asked, serves /metrics on
 * `metricsAddress` (resolves once it listens; a taken address fails the start).
 */
export async function installRuntime(logger: Logger, settings: Pick<TelemetrySettings, 'metricsAddress'>): Promise<void> {
  const runtimeAddress = settings.metricsAddress ? `127.0.0.1:${await freeLoopbackPort()}` : undefined;
  Runtime.install({
    logger: new TemporalLoggerAdapter(logger.child({ component: 'temporal' })),
    ...(runtimeAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: runtimeAddress } } } } : {}),
  });
  if (!settings.metricsAddress || !runtimeAddress) return;
  const gauges = new CredentialGauges();
  installMetricsSink(gauges);
  await serveMetrics(settings.metricsAddress, `http://${runtimeAddress}/metrics`, gauges);
}

/** A port free on loopback now, for the runtime's own exporter (only this process talks to it). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** GET /metrics: the runtime's series, then trustflow's credential gauges. */
function serveMetrics(address: string, runtimeUrl: string, gauges: CredentialGauges): Promise<Server> {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (!m) throw new Error(`TRUSTFLOW_METRICS_ADDRESS=${address}: expected host:port, e.g. 0.0.0.0:9464`);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    fetch(runtimeUrl, { signal: AbortSignal.timeout(5000) }).then(
      async (r) => {
        const text = await r.text();
        res
          .writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain; version=0.0.4' })
          .end(`${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${r.ok ? gauges.exposition() : ''}`);
      },
      (err: unknown) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`the runtime's metrics did not answer: ${String(err)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`TRUSTFLOW_METRICS_ADDRESS=${address}: cannot listen (${(err as NodeJS.ErrnoException).code ?? err.message})`)),
    );
    // Never what keeps a stopping process alive.
    server.listen(Number(m[2]), m[1] || '0.0.0.0', () => resolve(server.unref()));
  });
}

/** trustflow's instruments on the runtime's meter (common/metrics.ts records into them), and the credential gauges. */
function installMetricsSink(gauges: CredentialGauges): void {
  const meter = Runtime.instance().metricMeter;
  const providerRequests = meter.createCounter('trustflow_provider_requests', 'requests', 'Provider HTTP exchanges by outcome class');
  const providerLatency = meter.createHistogram('trustflow_provider_request_latency', 'int', 'ms', 'Provider HTTP latency');
  const billed = meter.createCounter('trustflow_billed_calls', 'calls', 'Calls the provider bills, as sent');
  const retries = meter.createCounter('trustflow_activity_retries', 'attempts', 'Activity attempts after the first');
  setMetricsSink({
    providerRequest: (labels, ms) => {
      providerRequests.add(1, labels);
      providerLatency.record(Math.round(ms), labels);
    },
    billedCall: (labels) => billed.add(1, labels),
    activityRetry: (labels) => retries.add(1, labels),
    credentialExpiry: (labels, notAfterMs, keepMs) => gauges.set(labels, notAfterMs, keepMs),
    credentialsApplied: (ids) => gauges.retain(ids),
  });
}

/** Counts activity attempts after the first (trustflow_activity_retries{activity}). */
export const activityRetryCounter: ActivityInterceptorsFactory = (ctx) => {
  if (ctx.info.attempt > 1) metrics.activityRetry({ activity: ctx.info.activityType });
  return {};
};

export interface WorkerTracing {
  spanProcessor: SpanProcessor;
  resource: Resource;
}

/**
 * Registers the global tracer provider (provider HTTP spans, activity spans) and returns what the
 * worker needs for workflow spans. Without an OTLP endpoint spans go nowhere (a no-op processor), but
 * the interceptors stay installed: prebundled workflow code always carries them.
 */
export function setupTracing(settings: TelemetrySettings): WorkerTracing {
  const resource = new Resource({ 'service.name': settings.serviceName });
  const spanProcessor: SpanProcessor = settings.otlpEndpoint
    ? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${settings.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }), {
        scheduledDelayMillis: 1000,
      })
    : new NoopSpanProcessor();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { spanProcessor, resource };
}

/** Flushes spans not yet exported (at shutdown). */
export async function flushTracing(): Promise<void> {
  const provider = trace.getTracerProvider() as { forceFlush?: () => Promise<void> };
  await provider.forceFlush?.().catch(() => undefined);
}

/** The workflow interceptor module of the OpenTelemetry interceptors (bundled with the workflows). */
export const otelWorkflowInterceptorModule = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

/** Interceptors and sinks a traced worker adds (see createTrustflowWorker). */
export function tracingWorkerOptions(tracing: WorkerTracing): {
  activityInterceptors: ActivityInterceptorsFactory[];
  workflowModules: string[];
  sinks: { exporter: ReturnType<typeof makeWorkflowExporter> };
} {
  return {
    activityInterceptors: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    workflowModules: [otelWorkflowInterceptorModule],
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
