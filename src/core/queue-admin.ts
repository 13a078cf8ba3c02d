/**
 * What a user asks of a running queue, over any {@link Executor}: how many
 * messages are in each state (`counts`), one message with its payload and
 * state (`get`), and clearing old dead letters (`purgeFailed`). A subscriber's
 * own counters are its `stats()`; these read the table.
 *
 * States (the database's clock is "now"; see `buildCounts`):
 * - `due`: pending, `time_next <= now` (0 = due at once): the tablet sends it next;
 * - `scheduled`: pending, `time_next > now`, never sent (`epoch = 0`);
 * - `in-flight`: pending, `time_next > now`, sent before (`epoch > 0`): a
 *   lease running, or nacked and backing off;
 * - `failed`: dead letter, `time_next` = 2^63 − 1, kept until `retry` or `purgeFailed`;
 * - `acked`: `time_acked` set, awaiting the tablet's purge.
 */
import { InvalidOptionError } from './errors';
import type { Executor, Statement } from './executor';
import type { MessageRef, MessageStatus } from './operations';
import { callSite, fromDriver, int64Text, messageStatusOf, normalizeRefs, nullableInt64, run, type CallSite } from './operations';
import { checkOptionNames } from './options';
import { columnKind } from './payload';
import { targetBatch } from './race';
import type { MessageTableSpec } from './spec';
import { buildCounts, buildRangeCounts, COUNTS_COLUMNS, countsIndexOf, RANGE_COUNTS_COLUMNS, RANGE_COUNTS_ROWS } from './sql/counts';
import { buildGet, GET_NOW_COLUMN } from './sql/get';
import { buildPurgeFailed } from './sql/purge-failed';
import { keyspaceShards } from './served-shards';
import { buildUseShard } from './sql/shards';
import { routingColumn, tableLabel } from './sql/target';
import { msToNs, NEVER_NS, toMs, type Duration } from './time';

/** The state of one message; see the module's TSDoc for each definition. */
export type QueueMessageState = 'due' | 'scheduled' | 'in-flight' | 'failed' | 'acked';

/** How many messages are in each state, on a table or one shard. */
export interface QueueCounts {
  /** Pending and due now: the tablet sends these next. */
  readonly due: number;
  /** Pending, due later, never sent (`epoch = 0`): enqueued with a delay. */
  readonly scheduled: number;
  /** Pending, due later, sent before (`epoch > 0`): a lease running, or nacked and backing off. */
  readonly inFlight: number;
  /** Dead letters (`time_next` = 2^63 − 1), kept until `retry` or `purgeFailed`. */
  readonly failed: number;
  /** Acked, awaiting the tablet's purge (after the table's `purgeAfter`). */
  readonly acked: number;
  /**
   * Milliseconds the oldest due message has waited since it became due (at
   * `time_next`, or at `enqueued_at` when enqueued due at once), on the
   * database's clock; null when nothing is due, or only rows without a known
   * due time (`time_next = 0` and no `enqueued_at`: written before the column
   * existed). A growing value means consumers fall behind.
   */
  readonly oldestDueAgeMs: number | null;
}

/** {@link counts}' answer: table totals, and per shard when asked for. */
export interface CountsResult extends QueueCounts {
  /**
   * With `ackedAfterNs`: how many messages were acked after it (and are still
   * in the table: one acked and purged between two reads is not counted, so
   * read more often than the table's purgeAfter).
   */
  readonly ackedAfter?: number;
  /**
   * With `ackedAfterNs`: where the next read's `ackedAfterNs` starts (Unix ns,
   * decimal string, the database's clock): this read's now, or the
   * `ackedAfterNs` given when the read saw nothing to take the now from (an
   * empty table; with the counts index, no ack since). Per shard, the latest.
   */
  readonly readAtNs?: string;
  /** Per shard (`'-80'`, `'80-'`, …), when `openConnection` was given. */
  readonly shards?: Readonly<Record<string, QueueCounts>>;
}

/** A connection of its own, for one shard-targeted query. */
export interface ShardConnection {
  /** Runs statements on this one connection (not a pool: the shard target is a session setting). */
  readonly executor: Executor;
  /**
   * Ends the connection. It must not go back to a shared pool as it is: its
   * session targets one shard (mysql2: `conn.destroy()` or `conn.end()`, not `release()`).
   */
  close(): Promise<void> | void;
}

/** Options of {@link counts}. */
export interface CountsOptions {
  /**
   * Opens a new connection to vtgate, for per-shard figures. Default: none,
   * and only table totals come back. Why a factory: vtgate answers one shard
   * only on a session targeted with a `use` of `ks:shard` (v0.24.4 refuses a
   * shard in a SELECT's table name, VT09017, and no column tells shards
   * apart), and that cannot be done on the executor given, which may be a pool
   * (the `use` and the query could land on different connections, and the
   * target would stay on a connection others reuse) or the caller's
   * transaction. With it, the shards (`show vitess_shards`) are asked in
   * parallel, one connection each, closed afterwards, and the totals are their
   * sum (the oldest age their maximum) instead of a scatter query.
   */
  readonly openConnection?: () => Promise<ShardConnection>;
  /**
   * Also count the messages acked after this instant (Unix ns, a decimal
   * string, on the database's clock): pass the previous result's `readAtNs`
   * to get the acks between two reads (the rise of `acked` is not that once
   * the tablet purges acked rows). Default: none, and the result has no
   * `ackedAfter` / `readAtNs`. `'0'` counts every acked row.
   */
  readonly ackedAfterNs?: string;
}

/** Options of {@link purgeFailed}: which dead letters to delete. */
export interface PurgeFailedOptions {
  /**
   * Delete failed messages whose `failed_at` is older than this (milliseconds
   * or `'7d'`), on the database's clock. Required: a dead letter is evidence,
   * deleted only on purpose.
   */
  readonly olderThan: Duration;
  /**
   * Also delete failed messages with no `failed_at` (failed before the column
   * existed, so of unknown age). Default false: keep what cannot be dated.
   */
  readonly includeUnknownAge?: boolean;
}

/** One message as {@link get} returns it: its bookkeeping (as `getMessages` reports it), a finer state, and its payload. */
export interface QueueMessage extends Omit<MessageStatus, 'state'> {
  /** Due, scheduled, in flight, failed or acked, on the database's clock. */
  readonly state: QueueMessageState;
  /** The payload columns, keyed by property name (json parsed; 64-bit integers as strings). */
  readonly payload: Record<string, unknown>;
}

const COUNTS_OPTIONS: readonly string[] = ['openConnection', 'ackedAfterNs'];
const INT64_MAX = (1n << 63n) - 1n;
const PURGE_FAILED_OPTIONS: readonly string[] = ['olderThan', 'includeUnknownAge'];

/**
 * How many messages of the table are in each state, and the oldest due age;
 * per shard too with `openConnection`. One statement per table or shard.
 * Exact, so it reads every row: by default one pass evaluating each row's
 * state (`buildCounts`); on a table whose spec has an index starting with
 * `COUNTS_INDEX_COLUMNS` (exported by `vitess-messages`: time_acked,
 * time_next, enqueued_at, epoch; a spec from `specFromTable` has the live
 * table's indexes), index range counts that read no row
 * (`buildRangeCounts`), the same figures. That
 * index is the user's choice, not a default: every enqueue, ack and tablet
 * postpone writes it too.
 * Measured (`bench/counts.ts`, 1M rows per shard, 2 shards, 2 cores shared
 * at a load average of 16–20, three runs of medians of 5): table totals
 * 2.3–3.3 s by the single pass, 0.89–1.3 s by the index; one shard alone
 * 0.9–3.3 s and 0.64–0.80 s; MySQL's bare `count(*)` of a shard 0.16–0.49 s
 * meanwhile. CPU bounds it: both ways count about a million entries per
 * shard. Poll it every few seconds at most.
 *
 * @throws InvalidOptionError for a misspelt option, or `openConnection` on a
 *   table without a keyspace; QueryError when a statement fails.
 */
export async function counts(executor: Executor, spec: MessageTableSpec, options: CountsOptions = {}): Promise<CountsResult> {
  const site = callSite(counts);
  const subject = `counts(${tableLabel(spec)})`;
  checkOptionNames(options, COUNTS_OPTIONS, subject);
  const since = options.ackedAfterNs;
  if (since !== undefined && (typeof since !== 'string' || !/^[0-9]{1,19}$/.test(since) || BigInt(since) > INT64_MAX)) {
    throw new InvalidOptionError(subject, 'ackedAfterNs', 'must be Unix nanoseconds as a decimal string (from 0 to 2^63 - 1)', since);
  }
  const open = options.openConnection;
  if (open === undefined) return countsOf(executor, spec, since, subject, site);
  if (typeof open !== 'function') throw new InvalidOptionError(subject, 'openConnection', 'must be a function returning { executor, close }', open);
  if (!spec.keyspace) throw new InvalidOptionError(subject, 'openConnection', 'needs a table with a keyspace (shards belong to a keyspace)');
  const keyspace = spec.keyspace;
  const shards = await keyspaceShards(executor, keyspace, spec, 'counts', site);
  if (shards.length === 0) throw new InvalidOptionError(subject, 'keyspace', 'is not served by this vtgate (show vitess_shards lists no shard of it)', keyspace);
  const perShard = await Promise.all(shards.map(async (shard) => {
    const conn = await open();
    try {
      await run(conn.executor, buildUseShard(keyspace, shard), spec, 'counts', [], site);
      return [shard, await countsOf(conn.executor, spec, since, subject, site)] as const;
    } finally {
      await conn.close();
    }
  }));
  const sum = (key: 'due' | 'scheduled' | 'inFlight' | 'failed' | 'acked' | 'ackedAfter'): number => perShard.reduce((n, [, c]) => n + (c[key] ?? 0), 0);
  const ages = perShard.map(([, c]) => c.oldestDueAgeMs).filter((a): a is number => a !== null);
  const readAt = perShard.map(([, c]) => c.readAtNs).filter((t): t is string => t !== undefined).map(BigInt);
  return {
    due: sum('due'),
    scheduled: sum('scheduled'),
    inFlight: sum('inFlight'),
    failed: sum('failed'),
    acked: sum('acked'),
    oldestDueAgeMs: ages.length > 0 ? Math.max(...ages) : null,
    ...(since === undefined ? {} : { ackedAfter: sum('ackedAfter'), readAtNs: readAt.reduce((a, b) => (b > a ? b : a), BigInt(since)).toString() }),
    shards: Object.fromEntries(perShard.map(([shard, c]) => [shard, shardCounts(c)])),
  };
}

/** One table's or shard's counts, with the acks after `since` when asked for. */
type CountsOf = QueueCounts & Pick<CountsResult, 'ackedAfter' | 'readAtNs'>;

/** The per-shard figures of a result: the counts only (the acks since are table-wide). */
function shardCounts(c: CountsOf): QueueCounts {
  const { ackedAfter: _a, readAtNs: _r, ...rest } = c;
  return rest;
}

/** `ackedAfter` and `readAtNs` from a statement's count and now (NULL: keep `since`). */
function ackedSince(since: string | undefined, n: unknown, now: unknown, subject: string, column: string): Pick<CountsResult, 'ackedAfter' | 'readAtNs'> {
  if (since === undefined) return {};
  const text = nullableInt64(now, column, subject);
  return { ackedAfter: count(n), readAtNs: text === null ? since : text.split('.')[0]! };
}

async function countsOf(executor: Executor, spec: MessageTableSpec, since: string | undefined, subject: string, site: CallSite): Promise<CountsOf> {
  const statementOptions = since === undefined ? {} : { ackedAfterNs: since };
  const index = countsIndexOf(spec);
  if (index !== undefined) return rangeCountsOf(executor, spec, buildRangeCounts(spec, index, statementOptions), since, subject, site);
  const row = (await run(executor, buildCounts(spec, statementOptions), spec, 'counts', [], site)).rows[0] ?? {};
  const c = COUNTS_COLUMNS;
  const age = nullableInt64(row[c.oldestDueAgeNs], c.oldestDueAgeNs, subject);
  return {
    ...ackedSince(since, row[c.ackedAfter], row[c.readAtNs], subject, c.readAtNs),
    due: count(row[c.due]),
    scheduled: count(row[c.scheduled]),
    inFlight: count(row[c.inFlight]),
    failed: count(row[c.failed]),
    acked: count(row[c.acked]),
    oldestDueAgeMs: age === null ? null : ageMs(BigInt(age.split('.')[0]!)),
  };
}

/** {@link countsOf} from the rows of `buildRangeCounts`, one per range, keyed by label. */
async function rangeCountsOf(executor: Executor, spec: MessageTableSpec, statement: Statement, since: string | undefined, subject: string, site: CallSite): Promise<CountsOf> {
  const { label, count: n, value: m } = RANGE_COUNTS_COLUMNS;
  const rows = new Map((await run(executor, statement, spec, 'counts', [], site)).rows.map((row) => [String(row[label]), row]));
  const r = RANGE_COUNTS_ROWS;
  const cell = (name: string, column: string): unknown => rows.get(name)?.[column];
  const instant = (name: string): bigint | null => {
    const text = nullableInt64(cell(name, m), m, subject);
    return text === null ? null : BigInt(text.split('.')[0]!);
  };
  const later = count(cell(r.later, n));
  const scheduled = count(cell(r.later, m));
  const now = instant(r.due);
  const dueSince = [instant(r.dueSince), instant(r.enqueuedSince)].filter((t): t is bigint => t !== null);
  const oldest = dueSince.length === 0 ? null : dueSince.reduce((a, b) => (b < a ? b : a));
  return {
    ...ackedSince(since, cell(r.ackedAfter, n), cell(r.ackedAfter, m), subject, m),
    due: count(cell(r.due, n)),
    scheduled,
    inFlight: later - scheduled,
    failed: count(cell(r.failed, n)),
    acked: count(cell(r.acked, n)),
    oldestDueAgeMs: now === null || oldest === null ? null : ageMs(now - oldest),
  };
}

/** Nanoseconds to milliseconds (whole microseconds); a shard's clock behind a row's stamp reads as 0, not negative. */
function ageMs(ns: bigint): number {
  return Math.max(0, Number(ns / 1_000n) / 1_000);
}

/** A SUM read back (a DECIMAL: a string, a number or a driver's Decimal object; NULL on an empty table). */
function count(value: unknown): number {
  return value == null ? 0 : Number(String(value));
}

/**
 * Deletes failed messages whose `failed_at` is older than `olderThan`; those
 * failed before the column existed only with `includeUnknownAge`. One DELETE
 * on every shard, on `executor` (inside the caller's transaction when it is one).
 *
 * @returns how many messages were deleted.
 */
export async function purgeFailed(executor: Executor, spec: MessageTableSpec, options: PurgeFailedOptions): Promise<number> {
  const site = callSite(purgeFailed);
  const subject = `purgeFailed(${tableLabel(spec)})`;
  checkOptionNames(options, PURGE_FAILED_OPTIONS, subject);
  if (options === undefined || options.olderThan === undefined) throw new InvalidOptionError(subject, 'olderThan', "is required (milliseconds or a string like '7d')");
  const olderThanNs = msToNs(toMs(options.olderThan, 'olderThan', subject));
  if (olderThanNs >= NEVER_NS) throw new InvalidOptionError(subject, 'olderThan', 'must be below 2^63 ns (292 years)', options.olderThan);
  const include = options.includeUnknownAge ?? false;
  if (typeof include !== 'boolean') throw new InvalidOptionError(subject, 'includeUnknownAge', 'must be a boolean', include);
  const result = await run(executor, buildPurgeFailed(spec, olderThanNs.toString(), include), spec, 'purgeFailed', [], site);
  return result.affectedRows;
}

/**
 * One message with its payload and state, or null when there is none with
 * this id. On a table sharded by a business column give `{ id, vindexValue }`:
 * ids are unique per shard there, and an id found on several shards throws.
 *
 * @throws InvalidOptionError for a bad id, or an id held by several messages.
 */
export async function get(executor: Executor, spec: MessageTableSpec, ref: MessageRef): Promise<QueueMessage | null> {
  const site = callSite(get);
  const subject = `get(${tableLabel(spec)})`;
  if (Array.isArray(ref)) throw new InvalidOptionError(subject, 'id', 'must be one message id (getMessages reads several)', ref);
  const targets = normalizeRefs(spec, ref, 'get');
  const batch = targetBatch(spec, targets);
  const { rows } = await run(executor, buildGet(spec, batch), spec, 'get', batch.ids, site);
  if (rows.length > 1) {
    throw new InvalidOptionError(subject, 'id', `matches ${rows.length} messages (ids are unique per shard on a table sharded by ${routingColumn(spec)}): give { id, vindexValue }`, batch.ids[0]);
  }
  const row = rows[0];
  if (!row) return null;
  const status = messageStatusOf(row, subject);
  const now = BigInt(int64Text(row[GET_NOW_COLUMN], GET_NOW_COLUMN, subject));
  const payload: Record<string, unknown> = {};
  for (const c of spec.payload) payload[c.property] = fromDriver(row[c.name], columnKind(c.sqlType), c.name, subject);
  return { ...status, state: stateOf(status.timeNextNs, status.timeAckedNs, status.epoch, now), payload };
}

/** The state as `buildCounts` defines it; a pending row with NULL `time_next` (never polled) reads as scheduled. */
function stateOf(timeNext: string | null, timeAcked: string | null, epoch: number, nowNs: bigint): QueueMessageState {
  if (timeAcked !== null) return 'acked';
  if (timeNext === NEVER_NS.toString()) return 'failed';
  if (timeNext !== null && BigInt(timeNext) <= nowNs) return 'due';
  return epoch === 0 ? 'scheduled' : 'in-flight';
}
