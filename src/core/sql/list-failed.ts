import type { SqlParam, Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { columnKind } from '../payload';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { tableRef } from './target';

/**
 * One page of failed messages, keyset-paginated by id (stable under concurrent
 * writes, no OFFSET scans): bookkeeping, reason, `enqueued_at`, `failed_at` and every payload column (JSON
 * ones as text, for the caller to parse once).
 *
 * @param afterId canonical decimal id of the last row of the previous page.
 *   Bound as a string, yet compared exactly above 2^53: vttablet writes it as
 *   a quoted literal, and MySQL converts a constant compared with a bare
 *   BIGINT column to the column's type when it fits (EXPLAIN shows
 *   `id > 4611686018427387905`). Doubles only come in if `id` is wrapped in
 *   an expression (`id + 0 > ?` skips ids); test/integration/failed-paging-64bit pins it.
 * @param limit rows per page, an integer the caller has validated.
 */
export function buildListFailed(spec: MessageTableSpec, afterId: string | undefined, limit: number): Statement {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer (got ${limit})`);
  const q = quoteIdentifier;
  const payload = payloadSelectList(spec);
  const columns = [...[BOOKKEEPING.id, BOOKKEEPING.priority, BOOKKEEPING.epoch, BOOKKEEPING.failureReason, BOOKKEEPING.enqueuedAt, BOOKKEEPING.failedAt].map(q), ...payload];
  const params: SqlParam[] = [NEVER_NS.toString()];
  let sql = `select ${columns.join(', ')} from ${tableRef(spec)} where ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} = ?`;
  if (afterId !== undefined) {
    sql += ` and ${q(BOOKKEEPING.id)} > ?`;
    params.push(afterId);
  }
  sql += ` order by ${q(BOOKKEEPING.id)} limit ?`;
  params.push(limit);
  return { sql, params };
}

/**
 * The payload columns of a SELECT list. JSON columns as their text: drivers
 * parse JSON themselves (mysql2, Prisma), so a JSON string that looks like JSON
 * ("123") would otherwise come back parsed twice; the caller parses it once.
 */
export function payloadSelectList(spec: MessageTableSpec): string[] {
  const q = quoteIdentifier;
  return spec.payload.map((c) => (columnKind(c.sqlType) === 'json' ? `cast(${q(c.name)} as char) as ${q(c.name)}` : q(c.name)));
}
