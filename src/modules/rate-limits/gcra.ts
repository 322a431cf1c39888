// GCRA (the generic cell rate algorithm) for each window of a limit.
//
// Why GCRA: a fixed window lets a client spend its budget at the end of one window and again at the
// start of the next (twice the limit within seconds); a sliding log is exact but stores one entry per
// request (a million per day for ENTERPRISE). GCRA keeps one number per key and window, the
// "theoretical arrival time" (TAT), admits a burst of up to `limit` calls and then one call every
// `window / limit`, and says exactly when the next call would pass. The same arithmetic runs in Redis
// (rate-limit-script.lua, atomic for every instance) and in memory (the embedded default and the
// fallback while Redis is down).
//
// A call may weigh more than one: the cost budget charges an operation its points (`cost`), so it moves
// the TAT by `cost` intervals and passes only if all of them fit.

export type Window = {
  /** Tells the subject's windows apart in storage (the budget), with the window's length. */
  key: string;
  /** What a client is told: "minute", "day". */
  name: string;
  limit: number;
  windowMs: number;
  cost: number;
};

export type WindowState = {
  name: string;
  limit: number;
  windowMs: number;
  remaining: number;
  /** Milliseconds until the whole budget of this window is back. */
  resetMs: number;
  /** Milliseconds until a call would pass this window; 0 when it passes now. */
  retryAfterMs: number;
};

export type RateLimitOutcome = { allowed: boolean; windows: WindowState[] };

/**
 * Checks every window against its stored TAT, and only when all of them pass (and not `dryRun`) returns
 * the new TATs to store: a rejected call costs nothing.
 */
export function gcra(
  windows: Window[],
  tats: (number | null)[],
  now: number,
  dryRun: boolean,
): { outcome: RateLimitOutcome; newTats: number[] | null } {
  const steps = windows.map((window, i) => {
    const interval = window.windowMs / window.limit;
    const tat = Math.max(tats[i] ?? now, now);
    const next = tat + interval * window.cost;
    return { window, interval, tat, next, retryAfterMs: Math.max(0, next - window.windowMs - now) };
  });
  const allowed = steps.every((step) => step.retryAfterMs === 0);
  const commit = allowed && !dryRun;
  return {
    outcome: {
      allowed,
      windows: steps.map(({ window, interval, tat, next, retryAfterMs }) => {
        const stored = commit ? next : tat;
        return {
          name: window.name,
          limit: window.limit,
          windowMs: window.windowMs,
          remaining: Math.max(0, Math.floor((window.windowMs - (stored - now)) / interval)),
          resetMs: Math.ceil(stored - now),
          retryAfterMs: Math.ceil(retryAfterMs),
        };
      }),
    },
    newTats: commit ? steps.map((step) => step.next) : null,
  };
}
