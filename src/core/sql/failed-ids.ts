import type { SqlParam, Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { failedBefore } from './purge-failed';
import { routingColumn, tableRef } from './target';

/** Which failed messages a batch operation (`retry --all-failed`, `purge-failed`) works on. */
export interface FailedFilter {
  /** A SQL `LIKE` pattern the reason must match (`%timeout%`). Default: any reason. */
  readonly reasonLike?: string;
  /** Only those failed more than this long ago (ns, decimal), as `buildPurgeFailed` counts it. */
  readonly olderThanNs?: string;
  /** With `olderThanNs`: also those without `failed_at`. */
  readonly includeUnknownAge?: boolean;
}

/** Alias of {@link buildCountFailed}'s count. */
export const COUNT_FAILED_COLUMN = 'vm_n';

function failedWhere(filter: FailedFilter): { sql: string; params: SqlParam[] } {
  const q = quoteIdentifier;
  let sql = `${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} = ?`;
  const params: SqlParam[] = [NEVER_NS.toString()];
  if (filter.reasonLike !== undefined) {
    sql += ` and ${q(BOOKKEEPING.failureReason)} like ?`;
    params.push(filter.reasonLike);
  }
  if (filter.olderThanNs !== undefined) {
    sql += ` and ${failedBefore(filter.olderThanNs, filter.includeUnknownAge ?? false)}`;
    params.push(filter.olderThanNs);
  }
  return { sql, params };
}

/**
 * The ids (and business vindex values, to route the follow-up write) of one
 * page of failed messages matching `filter`, keyset-paginated by id. The id
 * bound is cast to a signed integer, which states the integer comparison
 * outright; the bare column compared with the string is exact too (MySQL
 * converts the constant to BIGINT, see `buildListFailed`); doubles, which
 * cannot tell ids above 2^53 apart, decide only where the column sits in an expression.
 */
export function buildFailedIds(spec: MessageTableSpec, filter: FailedFilter, afterId: string | undefined, limit: number): Statement {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer (got ${limit})`);
  const q = quoteIdentifier;
  const routing = routingColumn(spec);
  const where = failedWhere(filter);
  let sql = `select ${[BOOKKEEPING.id, ...(routing ? [routing] : [])].map(q).join(', ')} from ${tableRef(spec)} where ${where.sql}`;
  if (afterId !== undefined) {
    sql += ` and ${q(BOOKKEEPING.id)} > cast(? as signed)`;
    where.params.push(afterId);
  }
  return { sql: `${sql} order by ${q(BOOKKEEPING.id)} limit ?`, params: [...where.params, limit] };
}

/** How many failed messages match `filter` (one scatter count). */
export function buildCountFailed(spec: MessageTableSpec, filter: FailedFilter): Statement {
  const where = failedWhere(filter);
  return { sql: `select count(*) as ${quoteIdentifier(COUNT_FAILED_COLUMN)} from ${tableRef(spec)} where ${where.sql}`, params: where.params };
}
