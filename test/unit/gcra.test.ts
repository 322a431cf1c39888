// The rate-limit arithmetic on its own: what a client at the edge of its budget is told.
import { describe, expect, it } from 'vitest';
import { gcra, type Window } from '../../src/modules/rate-limits/gcra.ts';

const MINUTE: Window = { key: 'calls', name: 'minute', limit: 10, windowMs: 60_000, cost: 1 };
const DAY: Window = { key: 'calls', name: 'day', limit: 100, windowMs: 86_400_000, cost: 1 };

/** Calls `count` times at `now`, storing the TATs as the stores do; returns the last outcome and TATs. */
function callsAt(now: number, count: number, windows: Window[], tats: (number | null)[]) {
  let current = tats;
  let last = gcra(windows, current, now, false);
  for (let i = 0; i < count; i++) {
    last = gcra(windows, current, now, false);
    if (last.newTats) current = last.newTats;
  }
  return { last, tats: current };
}

describe('gcra', () => {
  it('admits a burst of exactly the limit, then refuses with the wait until the next call passes', () => {
    const { last, tats } = callsAt(0, 10, [MINUTE], [null]);
    expect(last.outcome.allowed).toBe(true);
    expect(last.outcome.windows[0]).toMatchObject({ remaining: 0, resetMs: 60_000, retryAfterMs: 0 });
    const refused = gcra([MINUTE], tats, 0, false);
    expect(refused.outcome.allowed).toBe(false);
    expect(refused.newTats).toBeNull();
    // One call's worth of the window (60 s / 10) must pass before the next call does.
    expect(refused.outcome.windows[0]!.retryAfterMs).toBe(6_000);
    expect(gcra([MINUTE], tats, 5_999, false).outcome.allowed).toBe(false);
    expect(gcra([MINUTE], tats, 6_000, false).outcome.allowed).toBe(true);
  });

  it('gives no second burst at a window edge: what passes later is what has been earned back', () => {
    /** How many of `tries` calls at `now` pass, each one stored as the stores do. */
    const admitted = (tats: (number | null)[], now: number, tries: number) => {
      let current = tats;
      let count = 0;
      for (let i = 0; i < tries; i++) {
        const step = gcra([MINUTE], current, now, false);
        if (step.newTats) {
          count++;
          current = step.newTats;
        }
      }
      return count;
    };
    // The whole budget just before a fixed window would end...
    const { tats } = callsAt(59_000, 10, [MINUTE], [null]);
    // ...buys nothing more just after it: a fixed window would let 10 more through here.
    expect(admitted(tats, 61_000, 20)).toBe(0);
    // Half a window later, half the budget is back; a whole window later, all of it.
    expect(admitted(tats, 89_000, 20)).toBe(5);
    expect(admitted(tats, 119_000, 20)).toBe(10);
  });

  it('spends nothing in any window when one of them refuses', () => {
    const tight: Window = { key: 'calls', name: 'day', limit: 2, windowMs: 86_400_000, cost: 1 };
    const { tats } = callsAt(0, 2, [MINUTE, tight], [null, null]);
    const refused = gcra([MINUTE, tight], tats, 1_000, false);
    expect(refused.outcome.allowed).toBe(false);
    expect(refused.newTats).toBeNull();
    expect(refused.outcome.windows.map((w) => w.remaining)).toEqual([8, 0]);
  });

  it('charges a call of cost n as n calls at once, and refuses it whole when fewer are left', () => {
    const points: Window = { key: 'points', name: 'minute', limit: 100, windowMs: 60_000, cost: 30 };
    const { last, tats } = callsAt(0, 3, [points], [null]);
    expect(last.outcome.windows[0]!.remaining).toBe(10);
    const refused = gcra([points], tats, 0, false);
    expect(refused.outcome.allowed).toBe(false);
    // 20 more points must come back (at 100 a minute: 12 s) before 30 fit again.
    expect(refused.outcome.windows[0]!.retryAfterMs).toBe(12_000);
    expect(gcra([{ ...points, cost: 10 }], tats, 0, false).outcome.allowed).toBe(true);
  });

  it('answers a dry run as the next call would be answered, without spending', () => {
    const { tats } = callsAt(0, 3, [MINUTE, DAY], [null, null]);
    const dry = gcra([MINUTE, DAY], tats, 0, true);
    expect(dry.newTats).toBeNull();
    expect(dry.outcome.windows.map((w) => w.remaining)).toEqual([7, 97]);
  });
});
