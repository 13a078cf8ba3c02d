import { InvalidOptionError } from '../core/errors';
import { checkOptionNames } from '../core/options';
import { toMs, type Duration } from '../core/time';

/**
 * Backoff of the library's own retries (pure, so unit tests pin it): when a
 * handler throws, the message is nacked to come back after
 * `min(max, base × 2^epoch)` with ±`jitter`/2 spread; reconnects wait the
 * same way by attempt. This is not the tablet's schedule: an unacked delivery
 * (a crashed worker, an expired lease) comes back after the table's ack wait
 * plus Vitess's own backoff from `vt_min_backoff` / `vt_max_backoff`.
 */
export interface Backoff {
  /** First delay: milliseconds or a string like `'1s'`. */
  readonly base: Duration;
  /** Largest delay (at least `base`): milliseconds or a string like `'5m'`. */
  readonly max: Duration;
  /** Spread as a fraction of the delay, from 0 to 1 (0.5 = ±25 %). Default 0.5. */
  readonly jitter?: number;
}

/**
 * Default of a throwing handler's retries: 1 s, 2 s, 4 s … up to 5 min. Short
 * enough that a brief outage of a dependency costs seconds, long enough that a
 * poison message does not spin; `maxAttempts` (table default 25) ends it.
 */
export const DEFAULT_RETRY_BACKOFF: Backoff = Object.freeze({ base: '1s', max: '5m', jitter: 0.5 });

/**
 * Default of reconnects: 100 ms doubling up to 500 ms, ±25 %. While vtgate is
 * down each try is a refused connect (cheap), so a short interval costs little,
 * and the stream is back within about half a second of vtgate serving again
 * (measured: test/integration/subscriber-resume.test.ts). That caps the tries
 * at 160 a minute per subscriber (one per ≥ 375 ms after the first three); a
 * long exponential sleep made resuming take up to 4 s after a short outage.
 */
export const DEFAULT_RECONNECT_BACKOFF: Backoff = Object.freeze({ base: '100ms', max: '500ms', jitter: 0.5 });

/**
 * Throws {@link InvalidOptionError} unless `b` is a {@link Backoff}: known keys
 * (`baseMs`/`maxMs` are refused with a hint), durations, `max >= base`, a
 * jitter from 0 to 1. Returns base and max in ms.
 */
export function checkBackoff(b: unknown, subject: string, option: string): { baseMs: number; maxMs: number; jitter: number } {
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new InvalidOptionError(subject, option, "must be { base, max, jitter? } (durations: milliseconds or '1s')", b);
  checkOptionNames(b, BACKOFF_KEYS, subject, option);
  const { base, max, jitter = 0.5 } = b as Partial<Backoff>;
  if (base === undefined || max === undefined) throw new InvalidOptionError(subject, option, "must give both 'base' and 'max'", b);
  const baseMs = toMs(base, `${option}.base`, subject);
  const maxMs = toMs(max, `${option}.max`, subject);
  if (maxMs < baseMs) throw new InvalidOptionError(subject, `${option}.max`, `must be at least base (${baseMs} ms)`, max);
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw new InvalidOptionError(subject, `${option}.jitter`, 'must be a number from 0 to 1', jitter);
  return { baseMs, maxMs, jitter };
}

const BACKOFF_KEYS: readonly string[] = ['base', 'max', 'jitter'];

/** The delay in ms before retry number `n` (0-based: the first retry is n = 0). */
export function backoffDelayMs(n: number, backoff: Backoff = DEFAULT_RETRY_BACKOFF, random: () => number = Math.random): number {
  const { baseMs, maxMs, jitter } = checkBackoff(backoff, 'backoffDelayMs', 'backoff');
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, n), 52));
  return Math.round(Math.min(maxMs, exp * (1 - jitter / 2 + random() * jitter)));
}
