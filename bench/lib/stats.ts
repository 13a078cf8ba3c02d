/**
 * Figures of the benchmark suite: percentiles of one run, the median and the
 * min–max of a figure over interleaved rounds, client CPU per 10,000 messages,
 * and the command-line flags every part takes.
 */

/** The `q`-quantile (0–1) of `sorted` (ascending), nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export function percentiles(samples: readonly number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), p99: quantile(s, 0.99), max: s[s.length - 1] ?? Number.NaN };
}

/** Median, min and max of one figure over rounds. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length === 0 ? Number.NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN };
}

/** `1.9 (1.7–2.4)`: a spread with `digits` decimals. */
export function fmt(s: Spread, digits = 1): string {
  const f = (n: number) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** Client CPU (user + system) used while `fn` ran, in seconds. */
export async function withCpu<T>(fn: () => Promise<T>): Promise<{ value: T; cpuS: number }> {
  const before = process.cpuUsage();
  const value = await fn();
  const d = process.cpuUsage(before);
  return { value, cpuS: (d.user + d.system) / 1e6 };
}

/** The order of round `r` over `items`: forwards on even rounds, backwards on odd ones, so no item always runs first. */
export function roundOrder<T>(items: readonly T[], r: number): T[] {
  return r % 2 === 0 ? [...items] : [...items].reverse();
}

/** Flags every part takes: `--quick` (small N, 3 rounds), `--rounds N`, `--json FILE` (results for RESULTS.md). */
export interface BenchFlags {
  readonly quick: boolean;
  readonly rounds: number;
  readonly json?: string;
  /** Other `--name value` flags. */
  readonly values: ReadonlyMap<string, string>;
}

export function benchFlags(argv: readonly string[] = process.argv.slice(2)): BenchFlags {
  const values = new Map<string, string>();
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a.startsWith('--')) values.set(a.slice(2), argv[++i] ?? '');
  }
  const rounds = Number(values.get('rounds') ?? (quick ? 3 : 5));
  return { quick, rounds, ...(values.has('json') ? { json: values.get('json')! } : {}), values };
}

/** `setTimeout` as a promise. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
