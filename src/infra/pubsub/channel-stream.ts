import type { EntityManager } from '@mikro-orm/postgresql';
import type { DecodedChannels } from './decoded-channels.ts';

/**
 * A channel of events as an async iterator, for a GraphQL subscription. `accept` filters each event as
 * it arrives (decoded once for all of the channel's subscribers); `deliver` turns an event into what the
 * subscriber gets, when the subscriber takes it. At most `capacity` events wait for a slow consumer; beyond that the oldest are
 * dropped, so one slow client cannot make the server buffer without bound. Ending the iteration (the
 * client unsubscribes or disconnects) unsubscribes at once. `subscribed` settles once the channel is
 * listened to: what is published after it reaches the stream.
 */
export function channelStream<E, T>(
  channels: DecodedChannels,
  channel: string,
  accept: (event: E) => boolean,
  deliver: (event: E) => T,
  capacity = 100,
): AsyncIterableIterator<T> & { subscribed: Promise<unknown> } {
  const queue: E[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let done = false;
  const subscription = channels.subscribe<E>(channel, (event) => {
    if (done || !accept(event)) return;
    if (waiting) {
      waiting({ value: deliver(event), done: false });
      waiting = null;
    } else {
      queue.push(event);
      if (queue.length > capacity) queue.shift();
    }
  });

  const finish = async (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      queue.length = 0;
      waiting?.({ value: undefined, done: true });
      waiting = null;
      await (await subscription)();
    }
    return { value: undefined, done: true };
  };

  return {
    subscribed: subscription,
    async next() {
      await subscription;
      if (queue.length > 0) return { value: deliver(queue.shift()!), done: false };
      if (done) return { value: undefined, done: true };
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return: finish,
    throw: async (error) => {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Events about a user's own things travel on that user's channels only. */
export function userChannel(
  topic: 'predictions' | 'prediction-updates' | 'models' | 'training',
  userId: string,
): string {
  return `mlp:events:${topic}:${userId}`;
}

/**
 * A channel as a stream of entities. A subscription's entity manager lives as long as the subscription,
 * so it is cleared as each event is taken (the previous one has been sent by then): what the subscriber
 * reads, a model's name say, is current, not what was loaded for an earlier event.
 */
export function entityStream<E, T>(
  channels: DecodedChannels,
  em: EntityManager,
  channel: string,
  accept: (event: E) => boolean,
  toEntity: (em: EntityManager, event: E) => T,
): AsyncIterableIterator<T> {
  return channelStream(channels, channel, accept, (event) => {
    em.clear();
    return toEntity(em, event);
  });
}

/** A user's channel of events as a stream of entities: only the events that `matches` accepts reach the subscriber. */
export function userEntityStream<E, T>(
  channels: DecodedChannels,
  em: EntityManager,
  topic: Parameters<typeof userChannel>[0],
  userId: string,
  matches: (event: E) => boolean,
  toEntity: (em: EntityManager, event: E) => T,
): AsyncIterableIterator<T> {
  return entityStream(channels, em, userChannel(topic, userId), matches, toEntity);
}
