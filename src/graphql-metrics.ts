import { type DocumentNode, getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Metrics } from './infra/metrics/metrics.ts';

/** The operation's type and first root field: both bounded by the schema (an operation's name is not). */
export function operationLabels(document: DocumentNode, operationName: string | null | undefined) {
  const operation = getOperationAST(document, operationName);
  const first = operation?.selectionSet.selections[0];
  const field = first?.kind === Kind.FIELD ? first.name.value : 'fragment';
  return { type: operation?.operation ?? 'unknown', field };
}

/** GraphQL's share of the metrics: operations run, time per phase, and errors by code. */
export function useGraphQLMetrics(metrics: Metrics): Plugin {
  const { graphqlOperations, graphqlPhaseSeconds, graphqlErrors } = metrics;
  const timer = (phase: string) => {
    const started = performance.now();
    return () => graphqlPhaseSeconds.observe({ phase }, (performance.now() - started) / 1000);
  };
  return {
    onParse() {
      const done = timer('parse');
      return () => done();
    },
    onValidate() {
      const done = timer('validate');
      return () => done();
    },
    onContextBuilding() {
      const done = timer('context');
      return () => done();
    },
    onExecute({ args }) {
      graphqlOperations.inc(operationLabels(args.document, args.operationName));
      const done = timer('execute');
      return { onExecuteDone: () => done() };
    },
    onSubscribe({ args }) {
      graphqlOperations.inc(operationLabels(args.document, args.operationName));
    },
    onResultProcess({ result }) {
      const results = Array.isArray(result) ? result : [result];
      for (const single of results) {
        if (Symbol.asyncIterator in single) continue;
        for (const error of single.errors ?? []) {
          graphqlErrors.inc({ code: String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
        }
      }
    },
  };
}
