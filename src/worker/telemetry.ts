// The worker's telemetry, set up once per process before any Worker exists:
//  - the Temporal runtime (logger → the one trustflow logger; Prometheus metrics on
//    TRUSTFLOW_METRICS_ADDRESS: the SDK's `temporal_*` series and trustflow's `trustflow_*` ones, from
//    the same meter, so one /metrics endpoint serves both);
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
import { createRequire } from 'node:module';
import { metrics, setMetricsSink } from '../common/metrics.js';
import type { Logger } from '../common/logger.js';
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

/** Installs the Temporal runtime with the trustflow logger and, when asked, the Prometheus endpoint. */
export function installRuntime(logger: Logger, settings: Pick<TelemetrySettings, 'metricsAddress'>): void {
  Runtime.install({
    logger: new TemporalLoggerAdapter(logger.child({ component: 'temporal' })),
    ...(settings.metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: settings.metricsAddress } } } } : {}),
  });
  if (settings.metricsAddress) installMetricsSink();
}

/** trustflow's instruments on the runtime's meter (common/metrics.ts records into them). */
function installMetricsSink(): void {
  const meter = Runtime.instance().metricMeter;
  const providerRequests = meter.createCounter('trustflow_provider_requests', 'requests', 'Provider HTTP exchanges by outcome class');
  const providerLatency = meter.createHistogram('trustflow_provider_request_latency', 'int', 'ms', 'Provider HTTP latency');
  const billed = meter.createCounter('trustflow_billed_calls', 'calls', 'Calls the provider bills, as sent');
  const retries = meter.createCounter('trustflow_activity_retries', 'attempts', 'Activity attempts after the first');
  const secondsLeft = meter.createGauge('trustflow_credential_seconds_left', 'float', 's', 'Seconds until a credential expires');
  setMetricsSink({
    providerRequest: (labels, ms) => {
      providerRequests.add(1, labels);
      providerLatency.record(Math.round(ms), labels);
    },
    billedCall: (labels) => billed.add(1, labels),
    activityRetry: (labels) => retries.add(1, labels),
    credentialSecondsLeft: (labels, seconds) => secondsLeft.set(seconds, labels),
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
