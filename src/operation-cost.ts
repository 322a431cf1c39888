import { isAsyncIterable } from '@graphql-tools/utils';
import { complexityFromQuery } from '@pothos/plugin-complexity';
import { type DocumentNode, type ExecutionArgs, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Admission } from './modules/rate-limits/admission.ts';
import { rateLimitHeaders } from './modules/rate-limits/rate-limit.directive.ts';

type Admitted = { admission: Admission; request: Request | null };

/**
 * Prices each operation before it runs, from the costs its fields declare (Pothos complexity: the
 * field's own cost plus its selection's times the items a list can return), for the Admission to charge
 * at the first root field. Every executed response reports it in `extensions.cost`; responses whose
 * limited fields passed carry the IETF RateLimit headers.
 */
export function useOperationCost(): Plugin<Admitted> {
  return {
    onExecute({ args }) {
      price(args);
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const { admission, request } = args.contextValue as Admitted;
          // Headers exist over HTTP only; over a WebSocket they would reach the client as data.
          const calls = request ? admission.callsOutcome : null;
          setResult({
            ...result,
            extensions: {
              ...result.extensions,
              cost: admission.report(),
              ...(calls ? { http: { headers: rateLimitHeaders(calls) } } : {}),
            },
          });
        },
      };
    },
    onSubscribe({ args }) {
      price(args);
    },
  };
}

function price(args: ExecutionArgs): void {
  (args.contextValue as Admitted).admission.price(operationCost(args));
}

/** The operation's cost from the costs its fields declare (0 when its variables do not fit). */
export function operationCost(args: ExecutionArgs): number {
  // The plugin measures the first operation of a document: keep only the one to run, and the fragments.
  const { definitions } = args.document;
  const operations = definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const chosen = args.operationName
    ? operations.find((operation) => operation.name?.value === args.operationName)
    : operations[0];
  if (!chosen) return 0;
  const document: DocumentNode =
    operations.length === 1
      ? args.document
      : {
          ...args.document,
          definitions: [chosen, ...definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)],
        };
  try {
    return complexityFromQuery(document, {
      schema: args.schema,
      ctx: args.contextValue as object,
      variables: (args.variableValues as Record<string, unknown> | undefined) ?? {},
    }).complexity;
  } catch {
    // Variables that do not fit: execution reports them, and such an operation never reaches a resolver.
    return 0;
  }
}
