import { isAsyncIterable } from '@graphql-tools/utils';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Errors of a request that never reached a resolver carry a code, as clients expect: syntax and
 * validation errors get theirs from Yoga; this gives BAD_USER_INPUT to the rest, the variables that
 * could not be coerced (`inputs: null` for `JSON!`, a string for an `Int!`).
 *
 * Such a request answers 400 whatever the client accepts. (Yoga answers 200 to `Accept: application/json`,
 * as the GraphQL-over-HTTP spec allows for that legacy type; a public API is clearer with one answer,
 * and load balancers and dashboards count it as the client's error it is.)
 */
export function useCodedRequestErrors(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || isAsyncIterable(result)) return;
      if (!result.errors?.length || 'data' in result) return;
      const statuses = result.errors.map(
        (error) => (error.extensions?.http as { status?: number })?.status ?? 0,
      );
      const http = { ...(result.extensions?.http as object), status: Math.max(400, ...statuses) };
      // Nothing ran, so nothing was charged: clients read the cost of every response the same way.
      const cost = result.extensions?.cost ?? { requested: 0 };
      setResult({ ...result, extensions: { ...result.extensions, cost, http } });
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || !result.errors || result.data !== undefined) return;
          setResult({ ...result, errors: result.errors.map(withCode) });
        },
      };
    },
  };
}

function withCode(error: GraphQLError): GraphQLError {
  if (error.extensions.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}
