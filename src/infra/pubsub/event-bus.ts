/**
 * Messages between processes: every instance subscribed to a channel receives what any instance
 * publishes on it. Redis pub/sub across instances; in-process without Redis (a single instance).
 */
export interface EventBus {
  publish(channel: string, message: string): Promise<void>;
  /** Returns the function that ends the subscription. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
