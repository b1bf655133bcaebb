import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../config';
import { AsyncLocalStorageContextManager } from './async-context';

/** Spans leave for the collector at most this long after they end. */
export const SPAN_EXPORT_DELAY_MS = 1_000;

export interface Tracing {
  /** for Worker.create and the Client: workflow, activity and client interceptors, and the workflow span sink */
  plugin: OpenTelemetryPlugin;
  /** sends what is still buffered, then stops */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry through Temporal's interceptors, exported over OTLP/HTTP. Off unless
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, and then nothing of the SDK is set up: no global provider,
 * propagator or context manager.
 */
export function startTracing(settings: Config['tracing'], serviceName: string): Tracing | undefined {
  if (!settings.otlpEndpoint) return undefined;
  const resource = new Resource({ 'service.name': serviceName });
  const exporter = new OTLPTraceExporter({ url: `${settings.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: SPAN_EXPORT_DELAY_MS });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Global on purpose: the interceptors inject and extract trace context through the global propagator.
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  return {
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor, tracer: provider.getTracer(serviceName) }),
    shutdown: () => provider.shutdown(),
  };
}
