import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  type Context,
  INVALID_SPAN_CONTEXT,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type TextMapPropagator,
  type TimeInput,
  type Tracer,
  trace,
} from '@opentelemetry/api';

export type { Attributes, Link, Span };
export { SpanKind };

/** Where in a trace something happened: kept to record a span there later, from another async context. */
export type TracePosition = Context;

/** What a running SDK gives this module (start-tracing.ts builds it): null when tracing is off. */
export type TraceSdk = {
  tracer: Tracer;
  /** W3C Trace Context: `traceparent` in and out of this process. */
  propagator: TextMapPropagator;
  /**
   * Whether a new trace (a span with no parent) is sampled: asked before anything of it is made, so that
   * a request turned down costs next to nothing. When it is, the tracer's next root span is that trace.
   */
  admitRoot(): boolean;
  /** Sends every ended span now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
};

/** What was measured of a span recorded after the fact (`record`). */
export type Measured = {
  attributes?: Attributes;
  /** Why it failed, when it did. */
  failure?: string | null;
  events?: { name: string; time: TimeInput }[];
};

/** One request's (or one socket operation's) scope: its id and its place in a trace. */
type Scope = { requestId: string; context: Context };

/** A span that records nothing: what work gets when tracing is off. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Where a request the sampler turned down runs: in a span of this process that records nothing, so
 * that nothing beneath it is made (`unsampled`). One context for all of them: most requests are not
 * sampled when one in N is, and their path should cost next to nothing.
 */
const UNSAMPLED = trace.setSpan(ROOT_CONTEXT, NO_SPAN);

/** The code a failure is known by: a GraphQL error's `extensions.code`, else the error's class. */
function errorType(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.constructor.name : 'unknown';
}

export function markFailed(span: Span, error: unknown): void {
  span.setAttribute('error.type', errorType(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/**
 * `work`'s promise, with what it throws before it has one as a rejection: a caller's `catch` sees a
 * failure whether or not the work was traced.
 */
function promised<T>(work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return work(NO_SPAN);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What `work` gives, once `span` has ended with it: failed (with the error's code) when it throws. */
async function ended<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

const carrierGetter = {
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
  get: (carrier: Record<string, string>, key: string) => carrier[key],
};
const carrierSetter = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/**
 * Whether `context` is in a span of this process that is not sampled: its children would not be either
 * (every sampler mlp offers decides once per trace), so none is made. A remote parent (a `traceparent`
 * from another process) never records here: its children go to the sampler.
 */
function unsampled(context: Context): boolean {
  const span = trace.getSpan(context);
  return span !== undefined && !span.isRecording() && !span.spanContext().isRemote;
}

/**
 * Whether a span may start under `parent`, which is a sampled or remote span (the SDK's sampler decides
 * on the latter) or nothing: a new trace, which the sampler is asked about first.
 */
function admits(sdk: TraceSdk, parent: Context): boolean {
  return trace.getSpan(parent) !== undefined || sdk.admitRoot();
}

/**
 * Each request's id, and its trace when tracing is on (OTEL_* settings): spans of the work it does, in
 * this process and, through `traceparent`, in workers and other processes. Every log line written while
 * a request is handled carries its ids (`logFields`). Off, a span is the work itself and nothing more.
 */
export class Tracing {
  readonly #sdk: TraceSdk | null;
  readonly #scopes = new AsyncLocalStorage<Scope>();

  constructor(sdk: TraceSdk | null) {
    this.#sdk = sdk;
  }

  /**
   * Runs `handle` as one request with its id and, when tracing, in a server span that continues the
   * caller's trace when it sent a valid `traceparent`. The span ends when `handle` calls `end`.
   */
  request<T>(
    incoming: { requestId: string; name: string; headers: Record<string, string>; attributes: Attributes },
    handle: (span: Span) => T,
  ): T {
    const sdk = this.#sdk;
    if (!sdk)
      return this.#scopes.run({ requestId: incoming.requestId, context: ROOT_CONTEXT }, handle, NO_SPAN);
    const parent =
      incoming.headers.traceparent === undefined
        ? ROOT_CONTEXT
        : sdk.propagator.extract(ROOT_CONTEXT, incoming.headers, carrierGetter);
    const declined = () =>
      this.#scopes.run({ requestId: incoming.requestId, context: UNSAMPLED }, handle, NO_SPAN);
    if (!admits(sdk, parent)) return declined();
    // Attributes are given once the span is known to record: the SDK would check and copy them for a
    // span it then drops (a caller's unsampled `traceparent`). No sampler mlp offers decides on them.
    const span = sdk.tracer.startSpan(incoming.name, { kind: SpanKind.SERVER }, parent);
    if (!span.isRecording()) return declined();
    span.setAttributes(incoming.attributes);
    const scope = { requestId: incoming.requestId, context: trace.setSpan(parent, span) };
    return this.#scopes.run(scope, handle, span);
  }

  /**
   * Runs `run` as one operation with an id of its own but no server span (an operation on a socket:
   * its GraphQL span is the root of its trace).
   */
  operation<T>(requestId: string, run: () => T): T {
    return this.#scopes.run({ requestId, context: ROOT_CONTEXT }, run);
  }

  /** The current request's id; undefined outside a request (a timer, a job). */
  get requestId(): string | undefined {
    return this.#scopes.getStore()?.requestId;
  }

  /** The current trace's id; undefined when tracing is off, outside a trace, or not sampled. */
  get traceId(): string | undefined {
    const scope = this.#scopes.getStore();
    const span = scope && trace.getSpan(scope.context);
    return span?.isRecording() ? span.spanContext().traceId : undefined;
  }

  /** What each log line carries: the request's id and, when tracing, the trace and span it is in. */
  logFields(): Record<string, string> {
    const scope = this.#scopes.getStore();
    if (!scope) return {};
    const span = trace.getSpan(scope.context);
    if (!span?.isRecording()) return { requestId: scope.requestId };
    const { traceId, spanId } = span.spanContext();
    return { requestId: scope.requestId, traceId, spanId };
  }

  /**
   * Runs `work` in a new span, a child of the current one, ending it when `work` settles; a rejection
   * marks it failed (with the error's code) and passes on.
   */
  span<T>(
    name: string,
    attributes: Attributes,
    work: (span: Span) => Promise<T>,
    kind: SpanKind = SpanKind.INTERNAL,
  ): Promise<T> {
    const { span, scope } = this.#begin(name, { kind, attributes });
    // Untraced work is called as is: no promise of this method's own around it.
    if (!scope) return promised(work);
    return ended(span, () => this.#scopes.run(scope, work, span));
  }

  /** Whether a span started here could record: tracing is on and the trace here, if any, is sampled. */
  get sampling(): boolean {
    return this.#sdk !== null && !unsampled(this.#scopes.getStore()?.context ?? ROOT_CONTEXT);
  }

  /**
   * Starts a child span of the current one, for work that begins in one callback and ends in another;
   * `within` runs code inside it. The caller ends it.
   */
  start(name: string, attributes: Attributes): { span: Span; within<T>(run: () => T): T } {
    const { span, scope } = this.#begin(name, { attributes });
    return { span, within: scope ? (run) => this.#scopes.run(scope, run) : (run) => run() };
  }

  /**
   * A span starting here, a child of the current one, and the scope its work runs in: none when tracing
   * is off or the trace here is not sampled (the work runs where it is); `UNSAMPLED` when it would begin
   * a trace the sampler turns down, so that nothing beneath it begins one; else the span's own.
   */
  #begin(name: string, options: SpanOptions): { span: Span; scope: Scope | null } {
    const sdk = this.#sdk;
    const current = this.#scopes.getStore();
    const parent = current?.context ?? ROOT_CONTEXT;
    if (!sdk || unsampled(parent)) return { span: NO_SPAN, scope: null };
    const requestId = current?.requestId ?? '';
    if (!admits(sdk, parent)) return { span: NO_SPAN, scope: { requestId, context: UNSAMPLED } };
    const span = sdk.tracer.startSpan(name, options, parent);
    return { span, scope: { requestId, context: trace.setSpan(parent, span) } };
  }

  /** Where the current span is, to record spans under it later (`record`); null when not tracing. */
  position(): TracePosition | null {
    if (!this.#sdk) return null;
    const context = this.#scopes.getStore()?.context;
    return context && trace.getSpan(context)?.isRecording() ? context : null;
  }

  /**
   * Records a span that was measured rather than run here: work in another process, or a wait. Times
   * are epoch milliseconds; `events` mark moments within it (a wait ending, a run starting), cheaper
   * than a span each.
   */
  record(
    at: TracePosition,
    name: string,
    times: { start: TimeInput; end: TimeInput },
    measured: Measured = {},
  ): void {
    const sdk = this.#sdk;
    if (!sdk) return;
    const span = sdk.tracer.startSpan(name, { attributes: measured.attributes, startTime: times.start }, at);
    for (const event of measured.events ?? []) span.addEvent(event.name, event.time);
    if (measured.failure) span.setStatus({ code: SpanStatusCode.ERROR, message: measured.failure });
    span.end(times.end);
  }

  /**
   * Notes that something happened in the current span, with what tells it apart: one `predict` among
   * the operation's fields. An event is part of its span, far cheaper than a span of its own.
   */
  event(name: string, attributes: Attributes): void {
    const span = this.#sdk && trace.getSpan(this.#scopes.getStore()?.context ?? ROOT_CONTEXT);
    if (span?.isRecording()) span.addEvent(name, attributes);
  }

  /** A link to the current span, for work done later on behalf of many (a batch written at once). */
  link(): Link | null {
    const context = this.position();
    const span = context && trace.getSpan(context);
    return span ? { context: span.spanContext() } : null;
  }

  /** Runs `work` in a new root span linked to the spans it serves. */
  linked<T>(name: string, links: Link[], attributes: Attributes, work: () => Promise<T>): Promise<T> {
    const sdk = this.#sdk;
    if (!sdk) return promised(work);
    if (!admits(sdk, ROOT_CONTEXT))
      return this.#scopes.run({ requestId: '', context: UNSAMPLED }, promised, work);
    const span = sdk.tracer.startSpan(name, { links, attributes, root: true }, ROOT_CONTEXT);
    const scope = { requestId: '', context: trace.setSpan(ROOT_CONTEXT, span) };
    return ended(span, () => this.#scopes.run(scope, work));
  }

  /** The current span as a W3C `traceparent`, to carry to another process (a queued job); null when none. */
  traceparent(): string | null {
    const context = this.position();
    if (!context || !this.#sdk) return null;
    const carrier: Record<string, string> = {};
    this.#sdk.propagator.inject(context, carrier, carrierSetter);
    return carrier.traceparent ?? null;
  }

  /** The place a `traceparent` from another process names; null when it is missing or invalid. */
  continueFrom(traceparent: string | null): TracePosition | null {
    if (!this.#sdk || traceparent === null) return null;
    const context = this.#sdk.propagator.extract(ROOT_CONTEXT, { traceparent }, carrierGetter);
    return trace.getSpanContext(context) ? context : null;
  }

  /**
   * Runs `work` in a span under `at` (carried from another process), or a new trace when null: a job
   * taken from a queue. `requestId` names it in logs.
   */
  async spanAt<T>(
    at: TracePosition | null,
    requestId: string,
    span: { name: string; kind: SpanKind; attributes: Attributes },
    work: () => Promise<T>,
  ): Promise<T> {
    const scope = { requestId, context: at ?? ROOT_CONTEXT };
    return this.#scopes.run(scope, () => this.span(span.name, span.attributes, work, span.kind));
  }

  /** Sends every span ended so far. */
  async flush(): Promise<void> {
    await this.#sdk?.flush();
  }

  /** Sends what is left and stops. */
  async shutdown(): Promise<void> {
    await this.#sdk?.shutdown();
  }
}
