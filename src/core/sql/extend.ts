import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { tableRef, whereTargets, type TargetBatch } from './target';

/**
 * Lease extension: push `time_next` out to `timeNextNs` so a message still being
 * handled is not sent again. Only moves it later (`time_next < ?`), which also
 * leaves failed rows (at the maximum) and acked rows (NULL) alone; the count is
 * the number of leases extended.
 */
export function buildExtend(spec: MessageTableSpec, batch: TargetBatch, timeNextNs: string): Statement {
  const where = whereTargets(spec, batch);
  const q = quoteIdentifier;
  return {
    sql: `update ${tableRef(spec)} set ${q(BOOKKEEPING.timeNext)} = ? where ${where.sql} and ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} < ?`,
    params: [timeNextNs, ...where.params, timeNextNs],
  };
}
