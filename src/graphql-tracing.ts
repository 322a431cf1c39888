import { SpanStatusCode } from '@opentelemetry/api';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { operationLabels } from './graphql-metrics.ts';
import type { Span, Tracing } from './infra/telemetry/tracing.ts';

/** Client-chosen, so kept short in a span. */
const MAX_NAME = 100;

function operationSpan(
  tracing: Tracing,
  document: Parameters<typeof operationLabels>[0],
  name?: string | null,
) {
  const { type, field } = operationLabels(document, name);
  // Named by what the schema bounds (type and first root field); the client's name is an attribute.
  return tracing.start(`${type} ${field}`, {
    'graphql.operation.type': type,
    ...(name ? { 'graphql.operation.name': name.slice(0, MAX_NAME) } : {}),
  });
}

function endWith(
  span: Span,
  result: { errors?: readonly { extensions?: { code?: unknown } }[] } | undefined,
) {
  const codes = [
    ...new Set(
      (result?.errors ?? []).map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')),
    ),
  ];
  if (codes.length > 0) {
    span.setAttribute('error.type', codes.join(','));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/**
 * A span per GraphQL operation (its resolvers' spans, `predict` and the rest, beneath it), and each
 * HTTP response's `extensions.requestId` (always) and `extensions.traceId` (when traced): what a user
 * quotes when asking what happened to a request.
 */
export function useGraphQLTracing(tracing: Tracing): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      // Off, or in an HTTP request the sampler turned down: no labels worked out, no wrapper. (An
      // operation on a socket is the root of its trace: the sampler is asked when its span starts.)
      if (!tracing.sampling) return;
      const { span, within } = operationSpan(tracing, args.document, args.operationName);
      setExecuteFn((execution) => within(() => executeFn(execution)));
      return {
        onExecuteDone: ({ result }) => endWith(span, Symbol.asyncIterator in result ? undefined : result),
      };
    },
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      if (!tracing.sampling) return;
      // The span covers setting the subscription up; its events are not one operation's work.
      const { span, within } = operationSpan(tracing, args.document, args.operationName);
      setSubscribeFn((subscription) => within(() => subscribeFn(subscription)));
      return {
        onSubscribeResult: ({ result }) => endWith(span, Symbol.asyncIterator in result ? undefined : result),
      };
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      const { requestId, traceId } = tracing;
      if (!requestId) return;
      const single = result as ExecutionResult;
      setResult({
        ...single,
        extensions: { ...single.extensions, requestId, ...(traceId ? { traceId } : {}) },
      });
    },
  };
}
