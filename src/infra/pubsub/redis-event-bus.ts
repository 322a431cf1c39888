import type { RedisClientType } from '@redis/client';
import type { EventBus } from './event-bus.ts';

/** Redis pub/sub. A subscribed connection can do nothing else, hence a second one for publishing. */
export class RedisEventBus implements EventBus {
  readonly #publisher: RedisClientType;
  readonly #subscriber: RedisClientType;

  constructor(publisher: RedisClientType, subscriber: RedisClientType) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#publisher.publish(channel, message);
  }

  async subscribe(channel: string, listener: (message: string) => void) {
    await this.#subscriber.subscribe(channel, listener);
    return async () => {
      const unsubscribing = this.#subscriber.unsubscribe(channel, listener);
      // The listener is dropped at once; while Redis is away the command itself waits for the
      // reconnection, and nobody (a closing subscription, a shutdown) should wait with it.
      if (this.#subscriber.isReady) await unsubscribing;
      else unsubscribing.catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.#subscriber.destroy();
    this.#publisher.destroy();
  }
}
