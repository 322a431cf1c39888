import { GraphQLError } from 'graphql';

/** The `extensions.code` values clients can rely on. Anything else reaching a client is masked. */
export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'INFERENCE_FAILED';

function error(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

export const unauthenticated = (message: string) => error('UNAUTHENTICATED', message);
export const forbidden = (message: string) => error('FORBIDDEN', message);
export const badUserInput = (message: string, field?: string) =>
  error('BAD_USER_INPUT', message, field ? { field } : {});
/** Also what a foreign id reads as: nobody learns that somebody else's model exists. */
export const notFound = (what: string) => error('NOT_FOUND', `${what} not found`);
/** The inputs were well-formed, but the model itself failed on them; onnxruntime's message says why. */
export const inferenceFailed = (reason: string) =>
  error('INFERENCE_FAILED', `The model failed on these inputs: ${reason}`);
