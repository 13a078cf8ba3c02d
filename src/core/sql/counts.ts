import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
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
} as const;

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
export function buildCounts(spec: MessageTableSpec): Statement {
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
  return {
    sql:
      `select sum(${due}) as ${q(c.due)}, ` +
      `sum(${later} and ${epoch} = 0) as ${q(c.scheduled)}, ` +
      `sum(${later} and ${epoch} > 0) as ${q(c.inFlight)}, ` +
      `sum(${pending} and ${next} = ?) as ${q(c.failed)}, ` +
      `sum(${acked} is not null) as ${q(c.acked)}, ` +
      `max(case when ${due} then ${now} - ${dueSince} end) as ${q(c.oldestDueAgeNs)} ` +
      `from ${tableRef(spec)}, (select ${DB_NOW_NS} as ${q(NOW_COLUMN)} from dual limit 1) as ${q(NOW_TABLE)}`,
    params: [never, never, never],
  };
}
