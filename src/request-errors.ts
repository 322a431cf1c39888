import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Errors of a request that never reached a resolver carry a code, as clients expect: syntax and
 * validation errors get theirs from Yoga; this gives BAD_USER_INPUT to the rest, the variables that
 * could not be coerced (`inputs: null` for `JSON!`, a string for an `Int!`).
 */
export function useCodedRequestErrors(): Plugin {
  return {
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
