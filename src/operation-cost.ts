import { isAsyncIterable } from '@graphql-tools/utils';
import { createComplexityRule } from '@pothos/plugin-complexity';
import { type ExecutionArgs, validate } from 'graphql';
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
  let cost = 0;
  const rule = createComplexityRule({
    context: args.contextValue as object,
    variableValues: (args.variableValues as Record<string, unknown> | undefined) ?? {},
    operationName: args.operationName,
    onResult: (result) => {
      cost = result.complexity;
    },
  });
  // Variables that do not fit are reported by execution; here they only leave the cost at 0, which
  // costs nothing because such an operation never reaches a resolver.
  validate(args.schema, args.document, [rule]);
  (args.contextValue as Admitted).admission.price(cost);
}
