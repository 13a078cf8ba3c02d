import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { DB_NOW_NS } from './db-now';
import { tableRef, whereTargets, type TargetBatch } from './target';

/**
 * Deletes failed messages (not acked, `time_next` = 2^63 − 1) whose
 * `failed_at` lies more than `olderThanNs` before the database's now
 * ({@link DB_NOW_NS}). Rows with `failed_at` NULL (failed before the column
 * existed) have no known age and are kept unless `includeUnknownAge`.
 * `cast(? as signed)`: a decimal string in arithmetic would otherwise become a
 * double and lose nanoseconds. Through vtgate it runs on every shard; the
 * affected count is the number of messages deleted.
 *
 * @param olderThanNs a non-negative duration in ns, as a decimal string.
 */
export function buildPurgeFailed(spec: MessageTableSpec, olderThanNs: string, includeUnknownAge: boolean): Statement {
  const q = quoteIdentifier;
  return {
    sql: `delete from ${tableRef(spec)} where ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} = ? and ${failedBefore(olderThanNs, includeUnknownAge)}`,
    params: [NEVER_NS.toString(), olderThanNs],
  };
}

/**
 * {@link buildPurgeFailed} for a batch of ids (those `buildFailedIds` listed):
 * the same conditions, so a message retried or failed again since it was
 * listed is kept. Batches keep each DELETE short on a table with many dead letters.
 */
export function buildPurgeFailedBatch(spec: MessageTableSpec, batch: TargetBatch, olderThanNs: string, includeUnknownAge: boolean): Statement {
  const q = quoteIdentifier;
  const where = whereTargets(spec, { ...batch, streamedEpoch: undefined });
  return {
    sql: `delete from ${tableRef(spec)} where ${where.sql} and ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} = ? and ${failedBefore(olderThanNs, includeUnknownAge)}`,
    params: [...where.params, NEVER_NS.toString(), olderThanNs],
  };
}

/**
 * `failed_at` more than one `?` (ns) before the database's now; with
 * `includeUnknownAge`, or NULL. `cast(? as signed)`: a decimal string in
 * arithmetic would otherwise become a double and lose nanoseconds.
 */
export function failedBefore(olderThanNs: string, includeUnknownAge: boolean): string {
  if (!/^[0-9]{1,19}$/.test(olderThanNs)) throw new RangeError(`olderThanNs must be a decimal string of nanoseconds (got ${olderThanNs})`);
  const failedAt = quoteIdentifier(BOOKKEEPING.failedAt);
  const old = `${failedAt} < ${DB_NOW_NS} - cast(? as signed)`;
  return includeUnknownAge ? `(${old} or ${failedAt} is null)` : old;
}
