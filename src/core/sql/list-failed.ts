import type { SqlParam, Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { tableRef } from './target';

/**
 * One page of failed messages, keyset-paginated by id (stable under concurrent
 * writes, no OFFSET scans): bookkeeping, reason and every payload column.
 *
 * @param afterId canonical decimal id of the last row of the previous page.
 * @param limit rows per page, an integer the caller has validated.
 */
export function buildListFailed(spec: MessageTableSpec, afterId: string | undefined, limit: number): Statement {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer (got ${limit})`);
  const q = quoteIdentifier;
  const columns = [BOOKKEEPING.id, BOOKKEEPING.priority, BOOKKEEPING.epoch, BOOKKEEPING.failureReason, ...spec.payload.map((c) => c.name)];
  const params: SqlParam[] = [NEVER_NS.toString()];
  let sql = `select ${columns.map(q).join(', ')} from ${tableRef(spec)} where ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} = ?`;
  if (afterId !== undefined) {
    sql += ` and ${q(BOOKKEEPING.id)} > ?`;
    params.push(afterId);
  }
  sql += ` order by ${q(BOOKKEEPING.id)} limit ?`;
  params.push(limit);
  return { sql, params };
}
