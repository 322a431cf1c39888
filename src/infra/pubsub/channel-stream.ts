import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventBus } from './event-bus.ts';

/**
 * A channel of the event bus as an async iterator, for a GraphQL subscription. `accept` parses and
 * filters each message as it arrives; `deliver` turns an event into what the subscriber gets, when the
 * subscriber takes it. At most `capacity` events wait for a slow consumer; beyond that the oldest are
 * dropped, so one slow client cannot make the server buffer without bound. Ending the iteration (the
 * client unsubscribes or disconnects) unsubscribes at once.
 */
export function channelStream<E, T>(
  bus: EventBus,
  channel: string,
  accept: (message: string) => E | null,
  deliver: (event: E) => T,
  capacity = 100,
): AsyncIterableIterator<T> {
  const queue: E[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let done = false;
  const subscription = bus.subscribe(channel, (message) => {
    if (done) return;
    const event = accept(message);
    if (event === null) return;
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
export function userChannel(topic: 'predictions' | 'models' | 'training', userId: string): string {
  return `mlp:events:${topic}:${userId}`;
}

/**
 * A channel as a stream of entities. A subscription's entity manager lives as long as the subscription,
 * so it is cleared as each event is taken (the previous one has been sent by then): what the subscriber
 * reads, a model's name say, is current, not what was loaded for an earlier event.
 */
export function entityStream<E, T>(
  bus: EventBus,
  em: EntityManager,
  channel: string,
  accept: (message: string) => E | null,
  toEntity: (em: EntityManager, event: E) => T,
): AsyncIterableIterator<T> {
  return channelStream(bus, channel, accept, (event) => {
    em.clear();
    return toEntity(em, event);
  });
}

/**
 * A user's channel of JSON events as a stream of entities: each message is parsed once, and only the
 * events that `matches` accepts reach the subscriber.
 */
export function userEntityStream<E, T>(
  bus: EventBus,
  em: EntityManager,
  topic: Parameters<typeof userChannel>[0],
  userId: string,
  matches: (event: E) => boolean,
  toEntity: (em: EntityManager, event: E) => T,
): AsyncIterableIterator<T> {
  const accept = (message: string) => {
    const event = JSON.parse(message) as E;
    return matches(event) ? event : null;
  };
  return entityStream(bus, em, userChannel(topic, userId), accept, toEntity);
}
