import type { Statement } from '../executor';

/**
 * "Now" as Unix nanoseconds, computed by the MySQL that stores the row (the
 * shard's clock, next to the tablet that compares `time_next` with its own),
 * to the microsecond. From UTC_TIMESTAMP by plain date arithmetic, so the
 * session time zone (and its DST ambiguity, which UNIX_TIMESTAMP(NOW(6)) has)
 * plays no part. One value per statement (MySQL fixes it at statement start).
 *
 * Seen on vtgate v0.24.4 with a sharded keyspace (`vexplain plan`): vtgate
 * forwards the expression to each shard inside INSERT (multi-row too) and
 * UPDATE, and does not evaluate it itself.
 */
export const DB_NOW_NS = "timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6)) * 1000";

/** Column of {@link buildSelectDbNow}'s one row. */
export const DB_NOW_COLUMN = 'vm_now';

/**
 * {@link DB_NOW_NS} read once, as a decimal string (a cast: a driver without
 * big-number strings would otherwise round it through a JS number).
 */
export function buildSelectDbNow(): Statement {
  return { sql: `select cast(${DB_NOW_NS} as char) as ${DB_NOW_COLUMN} from dual`, params: [] };
}
