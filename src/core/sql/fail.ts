import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { DB_NOW_NS } from './db-now';
import { tableRef, whereTargets, type TargetBatch } from './target';

/**
 * Fail (dead letter): `time_next` parked at the maximum — never due, never
 * purged, still pending for Vitess — with `reason` stored in our
 * `failure_reason` column and `failed_at` at the database's now
 * ({@link DB_NOW_NS}). Not NULL: the binlog watcher reads NULL as 0 and
 * would send it once more. Acked and already failed rows are left alone (the
 * first reason is kept), so the count is the number of messages newly failed.
 */
export function buildFail(spec: MessageTableSpec, batch: TargetBatch, reason: string | null): Statement {
  const where = whereTargets(spec, batch);
  const q = quoteIdentifier;
  const never = NEVER_NS.toString();
  return {
    sql: `update ${tableRef(spec)} set ${q(BOOKKEEPING.timeNext)} = ?, ${q(BOOKKEEPING.failureReason)} = ?, ${q(BOOKKEEPING.failedAt)} = ${DB_NOW_NS} where ${where.sql} and ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} <> ?`,
    params: [never, reason, ...where.params, never],
  };
}
