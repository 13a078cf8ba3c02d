import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { DB_NOW_NS } from './db-now';
import { tableRef } from './target';

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
  if (!/^[0-9]{1,19}$/.test(olderThanNs)) throw new RangeError(`olderThanNs must be a decimal string of nanoseconds (got ${olderThanNs})`);
  const q = quoteIdentifier;
  const failedAt = q(BOOKKEEPING.failedAt);
  const old = `${failedAt} < ${DB_NOW_NS} - cast(? as signed)`;
  return {
    sql: `delete from ${tableRef(spec)} where ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} = ? and ${includeUnknownAge ? `(${old} or ${failedAt} is null)` : old}`,
    params: [NEVER_NS.toString(), olderThanNs],
  };
}
