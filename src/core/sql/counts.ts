import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type IndexSpec, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { DB_NOW_NS } from './db-now';
import { tableRef } from './target';

/** Column aliases of {@link buildCounts}'s one row. */
export const COUNTS_COLUMNS = {
  due: 'vm_due',
  scheduled: 'vm_scheduled',
  inFlight: 'vm_in_flight',
  failed: 'vm_failed',
  acked: 'vm_acked',
  oldestDueAgeNs: 'vm_oldest_due_age_ns',
  /** With `ackedAfterNs` only: rows acked after it. */
  ackedAfter: 'vm_acked_after',
  /** With `ackedAfterNs` only: the database's now of the statement, NULL on an empty table. */
  readAtNs: 'vm_read_at_ns',
} as const;

/** Options of {@link buildCounts} and {@link buildRangeCounts}. */
export interface CountsStatementOptions {
  /**
   * Also count the rows acked after this instant (Unix ns, a decimal string,
   * on the database's clock), and read the database's now, so that the next
   * statement can count from there: acks between two reads, which the rise of
   * the acked count is not once the tablet purges acked rows.
   */
  readonly ackedAfterNs?: string;
}

/** The derived table holding the database's now, and its column. */
const NOW_TABLE = 'vm_now';
const NOW_COLUMN = 'vm_now_ns';

/**
 * How many messages of a table are in each state, and how long the oldest due
 * one has waited: one row, one pass over the table. The states (each row in
 * exactly one, "now" being the database's clock, {@link DB_NOW_NS}, which the
 * tablets compare `time_next` with too):
 *
 * - acked (awaiting purge): `time_acked` not null;
 * - failed: not acked, `time_next` = 2^63 − 1;
 * - due: not acked, `time_next <= now` (0 = due at once);
 * - scheduled: not acked, not failed, `time_next > now`, `epoch = 0` (never sent);
 * - in flight: not acked, not failed, `time_next > now`, `epoch > 0` (sent,
 *   its lease running, or nacked and backing off).
 *
 * A pending row whose `time_next` is NULL (only a hand-written row: the
 * tablet never polls it) is in none.
 *
 * The oldest due age is `max(now − due since)` over the due rows, where "due
 * since" is `time_next`, or `enqueued_at` for a row enqueued due at once
 * (`time_next = 0`); a row with `time_next = 0` and no `enqueued_at` (written
 * before the column existed, or by another producer) has no known age and is
 * left out. An age, not an instant, so vtgate can merge the shards' rows with
 * `max` (each shard subtracting from its own clock).
 *
 * Sums of conditions, so through vtgate a scatter over the shards is merged
 * into table totals (`sum`, `max`); on a shard-targeted session the same
 * statement gives that shard's figures. Each sum is NULL on an empty table.
 *
 * "Now" comes from a one-row derived table that `limit 1` keeps MySQL from
 * merging: it is computed once per statement and read as a constant. Written
 * inline, MySQL evaluated `utc_timestamp` in the select list for every row,
 * four times: twice as slow (bench/counts.ts, 100k rows per shard: ≈ 480 ms
 * against ≈ 230 ms). vtgate sends the derived table to each shard with the rest.
 */
export function buildCounts(spec: MessageTableSpec, options: CountsStatementOptions = {}): Statement {
  const q = quoteIdentifier;
  const acked = q(BOOKKEEPING.timeAcked);
  const next = q(BOOKKEEPING.timeNext);
  const epoch = q(BOOKKEEPING.epoch);
  const c = COUNTS_COLUMNS;
  const now = `${q(NOW_TABLE)}.${q(NOW_COLUMN)}`;
  const pending = `${acked} is null`;
  const due = `${pending} and ${next} <= ${now}`;
  const later = `${pending} and ${next} > ${now} and ${next} <> ?`;
  const dueSince = `case when ${next} = 0 then ${q(BOOKKEEPING.enqueuedAt)} else ${next} end`;
  const never = NEVER_NS.toString();
  const since = options.ackedAfterNs;
  // cast: a decimal string compared with a BIGINT would be compared as a double.
  const ackedAfter = since === undefined ? '' : `sum(${acked} > cast(? as signed)) as ${q(c.ackedAfter)}, max(${now}) as ${q(c.readAtNs)}, `;
  return {
    sql:
      `select sum(${due}) as ${q(c.due)}, ` +
      `sum(${later} and ${epoch} = 0) as ${q(c.scheduled)}, ` +
      `sum(${later} and ${epoch} > 0) as ${q(c.inFlight)}, ` +
      `sum(${pending} and ${next} = ?) as ${q(c.failed)}, ` +
      `sum(${acked} is not null) as ${q(c.acked)}, ` +
      ackedAfter +
      `max(case when ${due} then ${now} - ${dueSince} end) as ${q(c.oldestDueAgeNs)} ` +
      `from ${tableRef(spec)}, (select ${DB_NOW_NS} as ${q(NOW_COLUMN)} from dual limit 1) as ${q(NOW_TABLE)}`,
    params: since === undefined ? [never, never, never] : [never, never, never, since],
  };
}

/**
 * The columns, in this order, of an index that lets {@link buildRangeCounts}
 * answer from index ranges alone. Declare it on the table to have `counts()`
 * use it: `indexes: [{ name: 'counts_idx', columns: COUNTS_INDEX_COLUMNS }]`
 * with `defineMessageTable` (import it from `vitess-messages`),
 * `@Index('counts_idx', ['timeAcked', 'timeNext', 'enqueuedAt', 'epoch'])` on
 * an entity. A table described from the database (`specFromTable`) carries
 * its indexes, so an index created by hand is found too.
 */
export const COUNTS_INDEX_COLUMNS: readonly string[] = Object.freeze([
  BOOKKEEPING.timeAcked, BOOKKEEPING.timeNext, BOOKKEEPING.enqueuedAt, BOOKKEEPING.epoch,
]);

/** The table's declared index that starts with {@link COUNTS_INDEX_COLUMNS}, if any (a plain B-tree). */
export function countsIndexOf(spec: MessageTableSpec): IndexSpec | undefined {
  return (spec.indexes ?? []).find((ix) =>
    ix.kind === undefined && COUNTS_INDEX_COLUMNS.every((c, i) => ix.columns[i] === c));
}

/** Labels of {@link buildRangeCounts}' rows, in the `vm_k` column. */
export const RANGE_COUNTS_ROWS = {
  /** `vm_n`: acked rows. */
  acked: 'acked',
  /** `vm_n`: due rows; `vm_m`: the database's now (ns), NULL when none is due. */
  due: 'due',
  /** `vm_n`: failed rows. */
  failed: 'failed',
  /** `vm_n`: pending rows due later and not failed; `vm_m`: how many of them were never sent (`epoch = 0`). */
  later: 'later',
  /** `vm_m`: the earliest `time_next` of a due row that was not enqueued due at once. */
  dueSince: 'due_since',
  /** `vm_m`: the earliest `enqueued_at` of a row enqueued due at once and still pending. */
  enqueuedSince: 'enqueued_since',
  /** With `ackedAfterNs` only. `vm_n`: rows acked after it; `vm_m`: the database's now, NULL when there are none. */
  ackedAfter: 'acked_after',
} as const;

/** Column names of {@link buildRangeCounts}' rows. */
export const RANGE_COUNTS_COLUMNS = { label: 'vm_k', count: 'vm_n', value: 'vm_m' } as const;

/**
 * {@link buildCounts}'s figures from ranges of `index` (see
 * {@link countsIndexOf}), one row per range, in one statement (`union all`,
 * one snapshot and one "now"): acked, due (with the database's now), failed,
 * due later (with how many were never sent: epoch is in the index, so no row
 * is read), and the two earliest due-since instants, each the first entry of
 * its range. The states and the oldest due age are exactly buildCounts'
 * (age = now − the earlier of the two instants).
 *
 * Why: buildCounts evaluates the state of every row, 6–11× MySQL's bare
 * `count(*)`; these ranges count index entries, 1.6–2× it. Measured on 1M rows per
 * shard (bench/counts.ts). `force index`, because MySQL otherwise picks the
 * poller index for some ranges and reads every row of them to learn `epoch`.
 *
 * Through vtgate the branches of a scatter are merged branch by branch:
 * counts summed, `max(now)` and the `min`s taken over the shards (a shard's
 * clock ahead by *s* adds *s* to the table's oldest age).
 */
export function buildRangeCounts(spec: MessageTableSpec, index: IndexSpec, options: CountsStatementOptions = {}): Statement {
  const q = quoteIdentifier;
  const acked = q(BOOKKEEPING.timeAcked);
  const next = q(BOOKKEEPING.timeNext);
  const r = RANGE_COUNTS_ROWS;
  const { label, count, value } = RANGE_COUNTS_COLUMNS;
  const from = `from ${tableRef(spec)} force index (${q(index.name)})`;
  const withNow = `${from}, (select cast(${DB_NOW_NS} as signed) as ${q(NOW_COLUMN)} from dual limit 1) as ${q(NOW_TABLE)}`;
  const now = `${q(NOW_TABLE)}.${q(NOW_COLUMN)}`;
  const pending = `${acked} is null`;
  // Labels are constants of ours, not values: written in the text, as column names are.
  const row = (name: string, n: string, m: string, rest: string): string => `select '${name}' as ${q(label)}, ${n} as ${q(count)}, ${m} as ${q(value)} ${rest}`;
  const never = NEVER_NS.toString();
  const since = options.ackedAfterNs;
  return {
    sql: [
      row(r.acked, 'count(*)', 'null', `${from} where ${acked} is not null`),
      row(r.due, 'count(*)', `max(${now})`, `${withNow} where ${pending} and ${next} <= ${now}`),
      row(r.failed, 'count(*)', 'null', `${from} where ${pending} and ${next} = ?`),
      row(r.later, 'count(*)', `sum(${q(BOOKKEEPING.epoch)} = 0)`, `${withNow} where ${pending} and ${next} > ${now} and ${next} < ?`),
      row(r.dueSince, 'null', `min(${next})`, `${withNow} where ${pending} and ${next} <= ${now} and ${next} <> 0`),
      row(r.enqueuedSince, 'null', `min(${q(BOOKKEEPING.enqueuedAt)})`, `${from} where ${pending} and ${next} = 0`),
      // A range of the index's first column; cast: a decimal string compared with a BIGINT would be compared as a double.
      ...(since === undefined ? [] : [row(r.ackedAfter, 'count(*)', `max(${now})`, `${withNow} where ${acked} > cast(? as signed)`)]),
    ].join(' union all '),
    params: since === undefined ? [never, never] : [never, never, since],
  };
}
