/**
 * Message-table options: what a user writes (JS units: milliseconds or '30s'),
 * their defaults, their validation, and the `vitess_message,…` table comment
 * vttablet reads them from (seconds, no spaces, a stable order).
 */
import 'reflect-metadata';
import { IsInt, IsNumber, Max, Min, ValidateIf, validateSync } from 'class-validator';
import { InvalidOptionError } from './errors';
import { BOOKKEEPING, TELEMETRY_STREAMED, TRACEPARENT_COLUMN, UNSTREAMED_BOOKKEEPING, type MessageTableOptions, type MessageTableSpec } from './spec';
import { toMs, type Duration } from './time';

/** The table options as a user writes them; every one is optional. */
export interface MessageTableOptionsInput {
  /**
   * How long a delivered message is leased to its subscriber before the tablet
   * sends it again (`vt_ack_wait`). Default `'30s'`: Vitess's documented value,
   * long enough for ordinary handlers; keep handler timeouts below it.
   */
  readonly ackWait?: Duration;
  /**
   * How long acked rows stay in the table before the tablet purges them
   * (`vt_purge_after`). Default `'1d'`: a day of history to inspect, then the
   * table stops growing.
   */
  readonly purgeAfter?: Duration;
  /**
   * How often the tablet polls for rows that became due later (scheduled,
   * nacked or unacked ones); new rows arrive through the binlog at once and do
   * not wait for it (`vt_poller_interval`). Default `'1s'`: Vitess's example 30 s
   * makes a delayed message up to 30 s late; one indexed query (`poller_idx`) per
   * shard per second is cheap.
   */
  readonly pollerInterval?: Duration;
  /**
   * Most rows per stream packet (`vt_batch_size`). Default `500`: measured on a
   * 2-core machine, draining a backlog ran at ≈20–22k messages/s with 500 against
   * ≈12–17k/s with 100; Vitess's example value 10 starves a busy queue. Again in
   * bench/grid.ts (20,000 messages, 5 rounds): 100 at 0.79× of 500, 1000 at
   * 1.13×, both ranges spanning 1 — no case for a larger packet.
   */
  readonly batchSize?: number;
  /**
   * Most due rows the tablet keeps in memory per shard (`vt_cache_size`); must be
   * at least `batchSize`. Default `10000`: Vitess's documented value, 20 batches
   * of 500 (about 10 MB of 1 KB payloads).
   */
  readonly cacheSize?: number;
  /**
   * Smallest backoff the tablet adds after the ack wait when a delivery is not
   * acked (`vt_min_backoff`). Default: absent, so Vitess uses the ack wait.
   */
  readonly minBackoff?: Duration;
  /**
   * Largest such backoff (`vt_max_backoff`). Default `'1h'`: without a bound the
   * exponential backoff of an unacked message reaches days after a dozen
   * deliveries (30 s × 2^12 ≈ 34 h); an hour keeps a crashed consumer's work coming
   * back within the hour.
   */
  readonly maxBackoff?: Duration;
  /**
   * Deliveries after which subscribers fail (dead-letter) a message instead of
   * retrying it; subscribers may override it. Not part of the table comment.
   * Default `25` (graphile-worker's default): with the subscriber's default
   * retry backoff (1 s doubling to 5 min) that is about an hour and a half of
   * retries, and a poison message stops cycling forever. `0` = unlimited.
   */
  readonly maxAttempts?: number;
}

/** Names of {@link MessageTableOptionsInput}, for rejecting typos. */
export const TABLE_OPTION_NAMES: readonly string[] = Object.freeze([
  'ackWait', 'purgeAfter', 'pollerInterval', 'batchSize', 'cacheSize', 'minBackoff', 'maxBackoff', 'maxAttempts',
]);

/**
 * The one check of option names, used by every call that takes an options
 * object (table definitions, enqueue, enqueueMany and each of its items, nack,
 * fail, extend, listFailed, message refs, the Queue): a key that is not in
 * `known` throws {@link InvalidOptionError} listing the valid names. A
 * misspelt option would otherwise be ignored in silence (`{ dealy: '3s' }`
 * queues the message due now). `undefined` is no options; anything else must be
 * a plain object.
 */
export function checkOptionNames(input: unknown, known: readonly string[], subject: string, what = 'options'): void {
  if (input === undefined) return;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError(subject, what, `must be an object (known: ${known.join(', ')})`, input);
  }
  for (const key of Object.keys(input)) {
    if (known.includes(key)) continue;
    const renamed = renamedOptionHint(key, known);
    throw new InvalidOptionError(subject, key, `${renamed ?? 'is not an option'} (known: ${known.join(', ')})`);
  }
}

/**
 * Names taken by durations before one rule covered them all: each is now the
 * concept's name and takes milliseconds or a string like `'30s'`. The old
 * names are refused (not aliased), with a hint naming the new one, so that
 * every option is written one way.
 */
export const RENAMED_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  delayMs: 'delay',
  raceWaitMs: 'raceWait',
  timeoutMs: 'timeout',
  handlerTimeoutMs: 'handlerTimeout',
  closeTimeoutMs: 'closeTimeout',
  stallTimeoutMs: 'stallTimeout',
  ackIntervalMs: 'ackInterval',
  baseMs: 'base',
  maxMs: 'max',
  keepaliveMs: 'keepalive',
  keepaliveTimeoutMs: 'keepaliveTimeout',
});

/** The hint for a former duration name whose new name is among `known`, e.g. `was renamed 'delay' (milliseconds or a string like '30s')`. */
export function renamedOptionHint(key: string, known: readonly string[]): string | undefined {
  const now = RENAMED_OPTIONS[key];
  return now !== undefined && known.includes(now) ? `was renamed '${now}' (milliseconds or a string like '30s')` : undefined;
}

/** The defaults, in the units of {@link MessageTableOptions}. See the TSDoc of each input option for why. */
export const DEFAULT_TABLE_OPTIONS: MessageTableOptions = Object.freeze({
  ackWaitMs: 30_000,
  purgeAfterMs: 86_400_000,
  pollerIntervalMs: 1_000,
  batchSize: 500,
  cacheSize: 10_000,
  maxBackoffMs: 3_600_000,
  maxAttempts: 25,
});

/**
 * Longest table duration: 100 years. vttablet adds these to a nanosecond clock
 * (int64, overflows in 2262), and larger values would be written into the
 * comment in exponent form (`1e+297`), which it cannot parse.
 */
const MAX_DURATION_MS = 100 * 365 * 86_400_000;
const MAX_DURATION_RULE = 'must be at most 100 years';

// The rules, with class-validator: one checked instance per table definition.
class TableOptionRules {
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a finite duration' })
  @Min(1, { message: 'must be at least 1 ms' })
  @Max(MAX_DURATION_MS, { message: MAX_DURATION_RULE })
  ackWaitMs!: number;

  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a finite duration' })
  @Min(1_000, { message: 'must be at least 1 s' })
  @Max(MAX_DURATION_MS, { message: MAX_DURATION_RULE })
  purgeAfterMs!: number;

  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a finite duration' })
  @Min(1, { message: 'must be at least 1 ms' })
  @Max(MAX_DURATION_MS, { message: MAX_DURATION_RULE })
  pollerIntervalMs!: number;

  @IsInt({ message: 'must be an integer' })
  @Min(1, { message: 'must be at least 1' })
  @Max(100_000, { message: 'must be at most 100000' })
  batchSize!: number;

  @IsInt({ message: 'must be an integer' })
  @Min(1, { message: 'must be at least 1' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'must be a safe integer' })
  cacheSize!: number;

  @ValidateIf((o: TableOptionRules) => o.minBackoffMs !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a finite duration' })
  @Min(1, { message: 'must be at least 1 ms' })
  @Max(MAX_DURATION_MS, { message: MAX_DURATION_RULE })
  minBackoffMs?: number;

  @ValidateIf((o: TableOptionRules) => o.maxBackoffMs !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a finite duration' })
  @Min(1, { message: 'must be at least 1 ms' })
  @Max(MAX_DURATION_MS, { message: MAX_DURATION_RULE })
  maxBackoffMs?: number;

  @ValidateIf((o: TableOptionRules) => o.maxAttempts !== undefined)
  @IsInt({ message: 'must be an integer' })
  @Min(0, { message: 'must be at least 0 (0 = unlimited)' })
  maxAttempts?: number;
}

/** The JS option name behind each validated field, for error messages. */
const INPUT_NAME: Record<keyof MessageTableOptions, keyof MessageTableOptionsInput> = {
  ackWaitMs: 'ackWait',
  purgeAfterMs: 'purgeAfter',
  pollerIntervalMs: 'pollerInterval',
  batchSize: 'batchSize',
  cacheSize: 'cacheSize',
  minBackoffMs: 'minBackoff',
  maxBackoffMs: 'maxBackoff',
  maxAttempts: 'maxAttempts',
};

/**
 * Applies the defaults and validates. `subject` names where the options were
 * given (a class or table name) in the {@link InvalidOptionError} thrown on the
 * first broken rule.
 */
export function resolveTableOptions(input: MessageTableOptionsInput = {}, subject = 'defineMessageTable'): MessageTableOptions {
  const d = DEFAULT_TABLE_OPTIONS;
  const ms = (v: Duration | undefined, name: string, fallback: number | undefined): number | undefined =>
    v === undefined ? fallback : toMs(v, name, subject);
  const rules = new TableOptionRules();
  rules.ackWaitMs = ms(input.ackWait, 'ackWait', d.ackWaitMs)!;
  rules.purgeAfterMs = ms(input.purgeAfter, 'purgeAfter', d.purgeAfterMs)!;
  rules.pollerIntervalMs = ms(input.pollerInterval, 'pollerInterval', d.pollerIntervalMs)!;
  rules.batchSize = input.batchSize ?? d.batchSize;
  rules.cacheSize = input.cacheSize ?? d.cacheSize;
  rules.minBackoffMs = ms(input.minBackoff, 'minBackoff', d.minBackoffMs);
  rules.maxBackoffMs = ms(input.maxBackoff, 'maxBackoff', d.maxBackoffMs);
  rules.maxAttempts = input.maxAttempts ?? d.maxAttempts;

  const errors = validateSync(rules, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const e = errors[0]!;
    const field = e.property as keyof MessageTableOptions;
    const rule = Object.values(e.constraints ?? {})[0] ?? 'is invalid';
    throw new InvalidOptionError(subject, INPUT_NAME[field] ?? field, rule, (input as Record<string, unknown>)[INPUT_NAME[field]] ?? e.value);
  }
  if (rules.cacheSize < rules.batchSize) {
    throw new InvalidOptionError(subject, 'cacheSize', `must be at least batchSize (${rules.batchSize})`, rules.cacheSize);
  }
  if (rules.minBackoffMs !== undefined && rules.maxBackoffMs !== undefined && rules.maxBackoffMs < rules.minBackoffMs) {
    throw new InvalidOptionError(subject, 'maxBackoff', `must be at least minBackoff (${rules.minBackoffMs} ms)`, input.maxBackoff);
  }
  // Comments are written in seconds with millisecond precision; finer input would be silently rounded.
  for (const f of ['ackWaitMs', 'purgeAfterMs', 'pollerIntervalMs', 'minBackoffMs', 'maxBackoffMs'] as const) {
    const v = rules[f];
    if (v !== undefined && !Number.isInteger(v)) {
      throw new InvalidOptionError(subject, INPUT_NAME[f], 'must be a whole number of milliseconds', (input as Record<string, unknown>)[INPUT_NAME[f]]);
    }
  }

  const out: { -readonly [K in keyof MessageTableOptions]: MessageTableOptions[K] } = {
    ackWaitMs: rules.ackWaitMs,
    purgeAfterMs: rules.purgeAfterMs,
    pollerIntervalMs: rules.pollerIntervalMs,
    batchSize: rules.batchSize,
    cacheSize: rules.cacheSize,
  };
  if (rules.minBackoffMs !== undefined) out.minBackoffMs = rules.minBackoffMs;
  if (rules.maxBackoffMs !== undefined) out.maxBackoffMs = rules.maxBackoffMs;
  if (rules.maxAttempts !== undefined) out.maxAttempts = rules.maxAttempts;
  return Object.freeze(out);
}

/** Milliseconds as seconds for a table comment: integer arithmetic, no float noise (1500 → `1.5`). */
export function msToCommentSeconds(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const frac = ms % 1000;
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}

/**
 * The table comment that makes vttablet treat a table as a message table, e.g.
 * `vitess_message,vt_ack_wait=30,vt_purge_after=86400,vt_batch_size=500,vt_cache_size=10000,vt_poller_interval=1,vt_max_backoff=3600,vt_message_cols=id|epoch|payload`.
 * vttablet splits it on `,` and `=` without trimming, so it has no spaces; the
 * order is fixed so that regenerating never shows a spurious change.
 */
export function buildTableComment(spec: Pick<MessageTableSpec, 'options' | 'streamed'>): string {
  const o = spec.options;
  const parts = [
    'vitess_message',
    `vt_ack_wait=${msToCommentSeconds(o.ackWaitMs)}`,
    `vt_purge_after=${msToCommentSeconds(o.purgeAfterMs)}`,
    `vt_batch_size=${o.batchSize}`,
    `vt_cache_size=${o.cacheSize}`,
    `vt_poller_interval=${msToCommentSeconds(o.pollerIntervalMs)}`,
  ];
  if (o.minBackoffMs !== undefined) parts.push(`vt_min_backoff=${msToCommentSeconds(o.minBackoffMs)}`);
  if (o.maxBackoffMs !== undefined) parts.push(`vt_max_backoff=${msToCommentSeconds(o.maxBackoffMs)}`);
  // A traceContext table streams enqueued_at for telemetry (buildStreamedColumns); no other table does.
  const telemetry = spec.streamed.includes(TRACEPARENT_COLUMN) && spec.streamed.includes(BOOKKEEPING.enqueuedAt);
  const cols = spec.streamed.filter((c) => !UNSTREAMED_BOOKKEEPING.has(c) || (telemetry && TELEMETRY_STREAMED.includes(c)));
  parts.push(`vt_message_cols=${cols.join('|')}`);
  return parts.join(',');
}

/**
 * The streamed columns in Vitess's required order: `id` first (the tablet takes
 * `row[0]` as the id), `epoch` (attempt counting), the vindex column when it is
 * not `id` (acks can be routed to one shard), with `traceContext` the
 * telemetry columns ({@link TELEMETRY_STREAMED}: `time_next`, `enqueued_at`,
 * `traceparent`), then the payload columns asked for. Our other bookkeeping
 * (failure reason, `failed_at`; `enqueued_at` without `traceContext`) is never streamed.
 */
export function buildStreamedColumns(payload: readonly string[], vindexColumn?: string, traceContext = false): string[] {
  const out: string[] = [BOOKKEEPING.id, BOOKKEEPING.epoch];
  if (vindexColumn && !out.includes(vindexColumn)) out.push(vindexColumn);
  if (traceContext) out.push(...TELEMETRY_STREAMED.filter((c) => !out.includes(c)));
  for (const c of payload) if (!out.includes(c) && !UNSTREAMED_BOOKKEEPING.has(c)) out.push(c);
  return out;
}
