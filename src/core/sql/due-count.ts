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

/** Most rows {@link buildDueSample} returns: enough to find a shard's due rows among another's, small enough to stay cheap. */
export const DUE_SAMPLE_LIMIT = 1000;

/**
 * The `column` values (the vindex column) of pending messages due before
 * `beforeNs`, at most {@link DUE_SAMPLE_LIMIT}: the caller tells their shards
 * apart (see `core/keyrange`).
 */
export function buildDueSample(spec: MessageTableSpec, beforeNs: string, column: string): Statement {
  const q = quoteIdentifier;
  return {
    sql: `select ${q(column)} from ${tableRef(spec)} where ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} < ? limit ${DUE_SAMPLE_LIMIT}`,
    params: [beforeNs],
  };
}
