// Per-instance copies of shared facts (sessions, tiers, API keys): what a change does to them.
import { describe, expect, it } from 'vitest';
import { AnnouncedCache } from '../../src/infra/cache/announced-cache.ts';
import { LocalEventBus } from '../../src/infra/pubsub/local-event-bus.ts';
import { createLogger } from '../../src/logger.ts';

const logger = createLogger('silent');

/** Two instances' caches on one bus, over a "database" the test changes. */
async function twoInstances() {
  const events = new LocalEventBus();
  const options = { channel: 'test:changed', ttlMs: 60_000, capacity: 100 };
  const [here, there] = [
    new AnnouncedCache<string>({ events, logger }, options),
    new AnnouncedCache<string>({ events, logger }, options),
  ];
  await Promise.all([here.listen(), there.listen()]);
  return { here, there };
}

describe('AnnouncedCache', () => {
  it('keeps a copy until a change, made here or announced, drops it', async () => {
    const { here, there } = await twoInstances();
    let stored = 'v1';
    let reads = 0;
    const read = async () => {
      reads += 1;
      return stored;
    };
    expect([await here.get('k', read), await there.get('k', read), await here.get('k', read)]).toEqual([
      'v1',
      'v1',
      'v1',
    ]);
    expect(reads).toBe(2);

    stored = 'v2';
    await here.changed('k');
    expect([await here.get('k', read), await there.get('k', read)]).toEqual(['v2', 'v2']);
  });

  it('keeps nothing read by a read that a change overtook, and nothing that was not found', async () => {
    const { here } = await twoInstances();
    let release!: () => void;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A read that began before the change returns what it found, but must not be remembered.
    const overtaken = here.get('k', async () => {
      await slow;
      return 'before';
    });
    await here.changed('k');
    release();
    expect(await overtaken).toBe('before');
    expect(await here.get('k', async () => 'after')).toBe('after');

    expect(await here.get('missing', async () => null)).toBeNull();
    expect(await here.get('missing', async () => 'created')).toBe('created');
  });

  it('tells its listeners of every change, here or elsewhere', async () => {
    const { here, there } = await twoInstances();
    const heard: string[] = [];
    there.onChanged((key) => heard.push(key));
    await here.changed('a');
    await there.changed('b');
    // The instance that made a change hears it twice: at once, and as its own announcement comes back.
    expect(new Set(heard)).toEqual(new Set(['a', 'b']));
  });
});
