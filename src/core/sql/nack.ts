import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { tableRef, whereTargets, type TargetBatch } from './target';

/**
 * Nack: due again at `timeNextNs` (now, or later for a delay), epoch kept.
 * Never touches acked rows nor failed ones (`time_next` at the maximum): a nack
 * must not silently un-fail a message. Rows already due at exactly that time are
 * excluded, so the matched count is the number of rows changed.
 */
export function buildNack(spec: MessageTableSpec, batch: TargetBatch, timeNextNs: string): Statement {
  const where = whereTargets(spec, batch);
  const q = quoteIdentifier;
  return {
    sql: `update ${tableRef(spec)} set ${q(BOOKKEEPING.timeNext)} = ? where ${where.sql} and ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} not in (?, ?)`,
    params: [timeNextNs, ...where.params, NEVER_NS.toString(), timeNextNs],
  };
}
