import { isAsyncIterable } from '@graphql-tools/utils';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { withCode } from './errors.ts';

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
    // A request Yoga cannot read (JSON that does not parse in a GET's `variables`, a multipart `map`
    // that is not JSON) is the client's error, BAD_REQUEST, not an unexpected one of the server's.
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          throw unreadable(error);
        }
      });
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || isAsyncIterable(result)) return;
      if (!result.errors?.length || 'data' in result) return;
      // An error of the server's own (masked) stays a 500: the client did nothing wrong.
      const statuses = result.errors.map(
        (error) =>
          (error.extensions?.http as { status?: number })?.status ??
          (error.extensions?.code === 'INTERNAL_SERVER_ERROR' ? 500 : 0),
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
          setResult({ ...result, errors: result.errors.map((error) => withCode(error, 'BAD_USER_INPUT')) });
        },
      };
    },
  };
}

/** What the request parser threw, as the client's error: whatever it is, the request could not be read. */
function unreadable(error: unknown): unknown {
  // The client went away: nobody to answer.
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (error instanceof GraphQLError) return withCode(error, 'BAD_REQUEST', 400);
  // JSON.parse of a GET's variables; or Yoga's multipart parser applying a malformed `map` outside its
  // own error handling (a TypeError, whose message would only describe Yoga's code).
  const reason =
    error instanceof SyntaxError ? error.message : 'its operations, variables or multipart map are malformed';
  return new GraphQLError(`The request could not be read: ${reason}`, {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });
}
