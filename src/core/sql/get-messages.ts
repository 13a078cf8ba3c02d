import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { tableRef, whereTargets, type TargetBatch } from './target';

/** The bookkeeping state of some messages (to tell pending, acked and failed apart). */
export function buildGetMessages(spec: MessageTableSpec, batch: TargetBatch): Statement {
  const where = whereTargets(spec, { ...batch, streamedEpoch: undefined });
  const b = BOOKKEEPING;
  const columns = [b.id, b.priority, b.epoch, b.timeNext, b.timeAcked, b.failureReason, b.enqueuedAt, b.failedAt].map(quoteIdentifier);
  return {
    sql: `select ${columns.join(', ')} from ${tableRef(spec)} where ${where.sql}`,
    params: where.params,
  };
}
