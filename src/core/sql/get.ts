import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { DB_NOW_NS } from './db-now';
import { payloadSelectList } from './list-failed';
import { tableRef, whereTargets, type TargetBatch } from './target';

/** Alias of the database's now in {@link buildGet}'s rows. */
export const GET_NOW_COLUMN = 'vm_now_ns';

/**
 * One message with its payload (JSON columns as text) and bookkeeping, and the
 * database's now ({@link DB_NOW_NS}) to tell due, scheduled and in flight
 * apart on the shard's own clock. By id (routed to its shard by a hash vindex
 * on id) or by id and vindex value on a table sharded by a business column;
 * by id alone there, vtgate asks every shard and more than one row may come back.
 */
export function buildGet(spec: MessageTableSpec, batch: TargetBatch): Statement {
  if (batch.ids.length !== 1) throw new RangeError('buildGet reads one message');
  const where = whereTargets(spec, { ...batch, streamedEpoch: undefined });
  const b = BOOKKEEPING;
  const columns = [b.id, b.priority, b.epoch, b.timeNext, b.timeAcked, b.failureReason, b.enqueuedAt, b.failedAt].map(quoteIdentifier);
  return {
    sql: `select ${[...columns, ...payloadSelectList(spec), `${DB_NOW_NS} as ${quoteIdentifier(GET_NOW_COLUMN)}`].join(', ')} from ${tableRef(spec)} where ${where.sql}`,
    params: where.params,
  };
}
