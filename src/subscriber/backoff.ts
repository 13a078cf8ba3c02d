/**
 * Backoff of the library's own retries (pure, so unit tests pin it): when a
 * handler throws, the message is nacked to come back after
 * `min(maxMs, baseMs × 2^epoch)` with ±`jitter`/2 spread; reconnects wait the
 * same way by attempt. This is not the tablet's schedule: an unacked delivery
 * (a crashed worker, an expired lease) comes back after the table's ack wait
 * plus Vitess's own backoff from `vt_min_backoff` / `vt_max_backoff`.
 */
export interface Backoff {
  /** First delay, in ms. */
  readonly baseMs: number;
  /** Largest delay, in ms. */
  readonly maxMs: number;
  /** Spread as a fraction of the delay (0.5 = ±25 %). Default 0.5. */
  readonly jitter?: number;
}

/**
 * Default of a throwing handler's retries: 1 s, 2 s, 4 s … up to 5 min. Short
 * enough that a brief outage of a dependency costs seconds, long enough that a
 * poison message does not spin; `maxAttempts` (table default 25) ends it.
 */
export const DEFAULT_RETRY_BACKOFF: Backoff = Object.freeze({ baseMs: 1_000, maxMs: 300_000, jitter: 0.5 });

/**
 * Default of reconnects: 100 ms doubling up to 500 ms, ±25 %. While vtgate is
 * down each try is a refused connect (cheap), so a short interval costs little,
 * and the stream is back within about half a second of vtgate serving again
 * (measured: test/integration/subscriber-resume.test.ts). That caps the tries
 * at 160 a minute per subscriber (one per ≥ 375 ms after the first three); a
 * long exponential sleep made resuming take up to 4 s after a short outage.
 */
export const DEFAULT_RECONNECT_BACKOFF: Backoff = Object.freeze({ baseMs: 100, maxMs: 500, jitter: 0.5 });

/** The delay before retry number `n` (0-based: the first retry is n = 0). */
export function backoffDelayMs(n: number, backoff: Backoff = DEFAULT_RETRY_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(Math.max(0, n), 52));
  const jitter = backoff.jitter ?? 0.5;
  return Math.round(Math.min(backoff.maxMs, exp * (1 - jitter / 2 + random() * jitter)));
}
