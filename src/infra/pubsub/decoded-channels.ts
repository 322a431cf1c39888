import type { EventBus } from './event-bus.ts';

type Channel = {
  listeners: Set<(event: unknown) => void>;
  subscribed: Promise<() => Promise<void>>;
};

/**
 * Channels of JSON events for this process's live subscriptions: one subscription on the bus per
 * channel however many subscribers listen, and each message decoded once and handed to all of them
 * (10,000 subscribers of one user's predictions cost one JSON.parse per prediction, not 10,000). The
 * decoded event is shared: listeners read it and never change it.
 */
export class DecodedChannels {
  readonly #bus: EventBus;
  readonly #channels = new Map<string, Channel>();

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  /** Returns the function that ends this listener's subscription. */
  async subscribe<E>(name: string, listener: (event: E) => void): Promise<() => Promise<void>> {
    let channel = this.#channels.get(name);
    if (!channel) {
      const listeners = new Set<(event: unknown) => void>();
      const subscribed = this.#bus.subscribe(name, (message) => {
        let event: unknown;
        try {
          event = JSON.parse(message);
        } catch {
          return; // not ours to deliver: every publisher of these channels sends JSON
        }
        for (const deliver of listeners) deliver(event);
      });
      channel = { listeners, subscribed };
      this.#channels.set(name, channel);
    }
    const entry = channel;
    const deliver = listener as (event: unknown) => void;
    entry.listeners.add(deliver);
    try {
      await entry.subscribed;
    } catch (error) {
      await this.#leave(name, entry, deliver);
      throw error;
    }
    return () => this.#leave(name, entry, deliver);
  }

  async #leave(name: string, channel: Channel, listener: (event: unknown) => void): Promise<void> {
    channel.listeners.delete(listener);
    if (channel.listeners.size > 0 || this.#channels.get(name) !== channel) return;
    this.#channels.delete(name);
    const unsubscribe = await channel.subscribed.catch(() => null);
    await unsubscribe?.();
  }
}
