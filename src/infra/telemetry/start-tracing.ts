import { hostname } from 'node:os';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
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
  const root =
    kind === 'always_on'
      ? new sdk.AlwaysOnSampler()
      : kind === 'always_off'
        ? new sdk.AlwaysOffSampler()
        : new sdk.TraceIdRatioBasedSampler(ratio);
  const sampler = parentBased ? new sdk.ParentBasedSampler({ root }) : root;
  // mlp asks the sampler about a new trace before the SDK makes anything of it (`admitRoot`): most
  // requests are turned down when one in N is sampled, and then cost an id drawn and compared. The trace
  // id it was asked about is the one the SDK's next root span takes, so the SDK's own decision, its
  // children's and another service's by the same trace id all agree with mlp's.
  const ids = new sdk.RandomIdGenerator();
  let admitted: string | null = null;
  const idGenerator = {
    generateTraceId() {
      const traceId = admitted ?? ids.generateTraceId();
      admitted = null;
      return traceId;
    },
    generateSpanId: () => ids.generateSpanId(),
  };
  const admitRoot = () => {
    const traceId = ids.generateTraceId();
    // The samplers offered decide on the trace id alone, not on a span's name, kind or attributes.
    const { decision } = sampler.shouldSample(ROOT_CONTEXT, traceId, '', SpanKind.INTERNAL, {}, []);
    admitted = decision === sdk.SamplingDecision.NOT_RECORD ? null : traceId;
    return admitted !== null;
  };
  const provider = new sdk.TracerProvider({
    sampler,
    idGenerator,
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
