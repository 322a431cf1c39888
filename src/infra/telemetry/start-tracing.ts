import { hostname } from 'node:os';
import type { TracingConfig } from '../../config.ts';
import { Tracing } from './tracing.ts';

/**
 * The OpenTelemetry SDK for this process, as OTEL_* configured it, or tracing off (`config` null). The
 * SDK is loaded only when tracing is on. `serviceName` is the process's own (mlp-api, mlp-worker)
 * unless OTEL_SERVICE_NAME names it; every process is told apart by `service.instance.id`.
 */
export async function startTracing(config: TracingConfig | null, serviceName: string): Promise<Tracing> {
  if (!config) return new Tracing(null);
  const [{ W3CTraceContextPropagator }, { resourceFromAttributes }, sdk, exporters] = await Promise.all([
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    config.protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http')
      : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const exporter = new exporters.OTLPTraceExporter({
    url: config.endpoint,
    headers: config.headers,
    timeoutMillis: config.timeoutMs,
  });
  const { kind, ratio, parentBased } = config.sampler;
  // A new trace is admitted or turned down by mlp (`admitRoot`) before the SDK makes anything of it: most
  // requests are turned down when one in N is sampled. For a root, a draw at the ratio is what a ratio of
  // its random trace id would be. The SDK's sampler then takes admitted roots, lets local children follow
  // their parent, and decides for remote parents: as they say when parent-based, else by the ratio.
  const decide =
    kind === 'always_on'
      ? new sdk.AlwaysOnSampler()
      : kind === 'always_off'
        ? new sdk.AlwaysOffSampler()
        : new sdk.TraceIdRatioBasedSampler(ratio);
  const sampler = new sdk.ParentBasedSampler({
    root: new sdk.AlwaysOnSampler(),
    ...(parentBased ? {} : { remoteParentSampled: decide, remoteParentNotSampled: decide }),
  });
  const admitRoot =
    kind === 'always_on' ? () => true : kind === 'always_off' ? () => false : () => Math.random() < ratio;
  const provider = new sdk.TracerProvider({
    sampler,
    // Attributes may carry what a client sent (a path, an operation's name): bounded. A history write
    // links each prediction it stores, up to 500 (the SDK keeps 128 unless told).
    spanLimits: { attributeValueLengthLimit: 1024, linkCountLimit: 500 },
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      'service.name': config.serviceName ?? serviceName,
      'service.instance.id': `${hostname()}:${process.pid}`,
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
    }),
    spanProcessors: [
      // Bounded: when the collector is slow or away, spans beyond the queue are dropped, never held.
      new sdk.BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: config.exportDelayMs,
        maxQueueSize: 4096,
      }),
    ],
  });
  return new Tracing({
    tracer: provider.getTracer('mlp'),
    propagator: new W3CTraceContextPropagator(),
    admitRoot,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  });
}
