import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { tableRef } from './target';

/**
 * Whether any message is pending and was due before `beforeNs` (Unix ns,
 * decimal): one row or none. The stall watchdog asks it: such a message should
 * have been sent already.
 */
export function buildDueBefore(spec: MessageTableSpec, beforeNs: string): Statement {
  const q = quoteIdentifier;
  return {
    sql: `select ${q(BOOKKEEPING.id)} from ${tableRef(spec)} where ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} < ? limit 1`,
    params: [beforeNs],
  };
}
