import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { DB_NOW_NS } from './db-now';
import { routingColumn, tableRef, whereTargets, type TargetBatch } from './target';

/** Alias of the database's now in {@link buildExplainRow}'s rows. */
export const EXPLAIN_NOW_COLUMN = 'vm_now_ns';

/** Our own bookkeeping columns, which a table may lack (made before them, or by hand). */
export const OPTIONAL_BOOKKEEPING: readonly string[] = [BOOKKEEPING.failureReason, BOOKKEEPING.enqueuedAt, BOOKKEEPING.failedAt];

/**
 * The bookkeeping of one message, and the database's now ({@link DB_NOW_NS},
 * the shard's clock, which the tablet compares `time_next` with): Vitess's
 * columns always, ours (`failure_reason`, `enqueued_at`, `failed_at`) only
 * those listed in `present`, so a table made before them or by hand can be
 * explained too; the business vindex column, if the table has one, to tell
 * the row's shard. No payload: nothing a person did not ask for leaves the table.
 */
export function buildExplainRow(spec: MessageTableSpec, batch: TargetBatch, present: readonly string[]): Statement {
  if (batch.ids.length !== 1) throw new RangeError('buildExplainRow reads one message');
  const b = BOOKKEEPING;
  const ours = OPTIONAL_BOOKKEEPING.filter((c) => present.includes(c));
  const routing = routingColumn(spec);
  const columns = [b.id, b.priority, b.epoch, b.timeNext, b.timeAcked, ...ours, ...(routing ? [routing] : [])].map(quoteIdentifier);
  const where = whereTargets(spec, { ...batch, streamedEpoch: undefined });
  return {
    sql: `select ${[...columns, `${DB_NOW_NS} as ${quoteIdentifier(EXPLAIN_NOW_COLUMN)}`].join(', ')} from ${tableRef(spec)} where ${where.sql}`,
    params: where.params,
  };
}
