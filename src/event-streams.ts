import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from './context.ts';
import { watchCredential } from './credential-watch.ts';
import { requestCredentials } from './modules/auth/authenticate.ts';
import type { Services } from './services.ts';

/** Why a user's next live connection is refused, over either transport. */
export const tooManyConnections = (max: number) =>
  `Too many live connections: at most ${max} open at once per user (WebSockets and event streams)`;

/**
 * Subscriptions over HTTP (Server-Sent Events, which Yoga serves beside WebSockets) live by the same
 * rules as sockets (websocket.ts): each stream counts among the user's live connections from when it
 * starts until it ends, one over the limit is refused with TOO_MANY_CONNECTIONS (429), and a stream
 * ends when its credential does (credential-watch.ts).
 */
export function useEventStreams(
  services: Pick<Services, 'config' | 'tiers' | 'socketLeases' | 'sessions' | 'keyVerifier'>,
): Plugin<Context> {
  return {
    async onSubscribe({ args, setResultAndStopExecution }) {
      const { request, viewer } = args.contextValue;
      // Anonymous callers are refused by every subscription field, and hold nothing meanwhile.
      if (!request || viewer.kind !== 'user') return;
      const max = services.config.websockets.maxSocketsPerUser[await services.tiers.get(viewer.userId)];
      const lease = await services.socketLeases.acquire(viewer.userId, max);
      if (!lease) {
        const error = new GraphQLError(tooManyConnections(max), {
          extensions: { code: 'TOO_MANY_CONNECTIONS', limit: max, http: { status: 429 } },
        });
        setResultAndStopExecution({ errors: [error] });
        return;
      }
      return {
        onSubscribeResult: ({ result, setResult }) => {
          // A refused subscription is a single result, not a stream: nothing stays open.
          if (!(Symbol.asyncIterator in result)) {
            void lease.release();
            return;
          }
          const stream = endable(result);
          const stopWatching = watchCredential(services, requestCredentials(request.headers), viewer, () =>
            stream.end(),
          );
          setResult(stream.iterator);
          return {
            onEnd: () => {
              stopWatching();
              void lease.release();
            },
          };
        },
      };
    },
  };
}

/**
 * The stream again, with a way for the server to end it: a pending `next` answers done at once and the
 * source is returned (unsubscribed), so the client sees the stream complete.
 */
function endable(source: AsyncIterable<ExecutionResult>) {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  let wake: (() => void) | null = null;
  const endedSignal = new Promise<IteratorResult<ExecutionResult>>((resolve) => {
    wake = () => resolve({ done: true, value: undefined });
  });
  return {
    end() {
      if (ended) return;
      ended = true;
      wake?.();
      void iterator.return?.();
    },
    iterator: {
      next: () => (ended ? endedSignal : Promise.race([iterator.next(), endedSignal])),
      return: async () => {
        ended = true;
        wake?.();
        return (await iterator.return?.()) ?? { done: true as const, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    } as AsyncIterableIterator<ExecutionResult>,
  };
}
