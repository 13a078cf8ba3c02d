import { InvalidOptionError } from './errors';

/**
 * Units (one rule): durations in the JS API are milliseconds or readable strings
 * ('30s', '1d'); table comments are written in seconds; SQL carries Unix time in
 * nanoseconds as bigint (beyond 2^53, never a JS number).
 */
export type Duration = number | `${number}${DurationUnit}`;
/** The units a {@link Duration} string may end in: milliseconds, seconds, minutes, hours, days. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A {@link Duration} in milliseconds; throws {@link InvalidOptionError} on bad input. */
export function toMs(value: Duration, option = 'duration', subject = 'vitess-messages'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value);
    if (m) return Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
  }
  throw new InvalidOptionError(subject, option, "must be milliseconds (a number >= 0) or a string like '500ms', '30s', '5m', '1d'", value);
}

/** Milliseconds to bigint nanoseconds (sub-millisecond fractions are kept to the microsecond). */
export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1_000)) * 1_000n;
}

/** Now, in Unix nanoseconds. */
export function nowNs(): bigint {
  // The wall clock (the tablet compares time_next with its own), to the
  // millisecond; the sub-millisecond digits only spread calls within one
  // millisecond apart and are not monotonic.
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

/** The largest time_next: a failed message is parked there (never due, never purged). */
export const NEVER_NS = 9_223_372_036_854_775_807n;
