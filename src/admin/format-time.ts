/** Times and durations for people: Unix ns as ISO-8601 UTC, milliseconds as `1h 2m`. */

/** Unix nanoseconds (decimal or bigint) as ISO-8601 UTC to the millisecond; values beyond a Date's range as the number. */
export function nsToIso(ns: string | bigint): string {
  const ms = BigInt(ns) / 1_000_000n;
  if (ms > 8_640_000_000_000_000n || ms < -8_640_000_000_000_000n) return `${ns} ns`;
  return new Date(Number(ms)).toISOString();
}

/** A duration in milliseconds, short and readable: `850ms`, `4.2s`, `3m 5s`, `2h 10m`, `3d 4h`. */
export function formatDurationMs(ms: number): string {
  const a = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (a < 1_000) return `${sign}${Math.round(a)}ms`;
  if (a < 60_000) return `${sign}${(Math.floor(a / 100) / 10).toString()}s`;
  const s = Math.floor(a / 1_000);
  if (a < 3_600_000) return `${sign}${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  if (a < 86_400_000) return `${sign}${Math.floor(s / 3_600)}h${Math.floor(s / 60) % 60 ? ` ${Math.floor(s / 60) % 60}m` : ''}`;
  return `${sign}${Math.floor(s / 86_400)}d${Math.floor(s / 3_600) % 24 ? ` ${Math.floor(s / 3_600) % 24}h` : ''}`;
}

/** The milliseconds between two Unix ns instants (`to − from`), for durations far below 2^53 ms. */
export function nsDiffMs(fromNs: string | bigint, toNs: string | bigint): number {
  return Number((BigInt(toNs) - BigInt(fromNs)) / 1_000n) / 1_000;
}
