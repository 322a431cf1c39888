import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from './context.ts';
import type { Services } from './services.ts';

/** Why a user's next live connection is refused, over either transport. */
export const tooManyConnections = (max: number) =>
  `Too many live connections: at most ${max} open at once per user (WebSockets and event streams)`;

/**
 * Subscriptions over HTTP (Server-Sent Events, which Yoga serves beside WebSockets) count among the
 * user's live connections like sockets do: each stream holds a lease from when it starts until it ends,
 * and one over the limit is refused with TOO_MANY_CONNECTIONS (429). WebSockets take theirs when they
 * connect (websocket.ts).
 */
export function useStreamLimits(
  services: Pick<Services, 'config' | 'tiers' | 'socketLeases'>,
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
        onSubscribeResult: ({ result }) => {
          // A refused subscription is a single result, not a stream: nothing stays open.
          if (!(Symbol.asyncIterator in result)) {
            void lease.release();
            return;
          }
          return { onEnd: () => void lease.release() };
        },
      };
    },
  };
}
