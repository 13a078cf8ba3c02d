import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { DB_NOW_NS } from './db-now';
import { tableRef, whereTargets, type TargetBatch } from './target';

/**
 * Ack: acked now, never delivered again (purged after `vt_purge_after`).
 * `time_acked` is the database's now ({@link DB_NOW_NS}): the tablet purges by
 * comparing it with its own clock, so a client's clock skew plays no part.
 * `time_acked is null` makes every matched row a changed one, so the matched
 * count vtgate reports is the number of messages this call acked. Acks need no
 * epoch guard: the tablet's postpone skips acked rows.
 */
export function buildAck(spec: MessageTableSpec, batch: TargetBatch): Statement {
  const where = whereTargets(spec, { ...batch, streamedEpoch: undefined });
  const q = quoteIdentifier;
  return {
    sql: `update ${tableRef(spec)} set ${q(BOOKKEEPING.timeAcked)} = ${DB_NOW_NS}, ${q(BOOKKEEPING.timeNext)} = null where ${where.sql} and ${q(BOOKKEEPING.timeAcked)} is null`,
    params: where.params,
  };
}
