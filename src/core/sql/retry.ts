import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { tableRef, whereTargets, type TargetBatch } from './target';

/**
 * Retry a failed message: due at `timeNextNs` (`'0'`: now, on any tablet's
 * clock), reason and `failed_at` cleared, epoch reset to 0 so an attempt limit
 * counts afresh. Only failed rows match, so the count is
 * the number of messages revived. (The epoch guard of a batch does not apply:
 * a failed message is not in flight.)
 */
export function buildRetry(spec: MessageTableSpec, batch: TargetBatch, timeNextNs: string): Statement {
  const where = whereTargets(spec, { ...batch, streamedEpoch: undefined });
  const q = quoteIdentifier;
  return {
    sql: `update ${tableRef(spec)} set ${q(BOOKKEEPING.timeNext)} = ?, ${q(BOOKKEEPING.epoch)} = 0, ${q(BOOKKEEPING.failureReason)} = null, ${q(BOOKKEEPING.failedAt)} = null where ${where.sql} and ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} = ?`,
    params: [timeNextNs, ...where.params, NEVER_NS.toString()],
  };
}
