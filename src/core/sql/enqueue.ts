import type { SqlParam, Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { DB_NOW_NS } from './db-now';
import { routingColumn, tableRef } from './target';

/** Marks a payload cell that takes the column's DDL default (the SQL keyword `default`). */
export const DEFAULT_VALUE: unique symbol = Symbol('vitess-messages.default');

/** Alias of the inserted row in the duplicate-key guard. */
const NEW_ROW = 'vm_new';

export interface EnqueueRow {
  /** Canonical decimal id. */
  readonly id: string;
  /** Lower is delivered first (Vitess orders by priority). */
  readonly priority: number;
  /** Unix ns as a decimal string; `'0'` = due now. Never null (the poller would never pick it up). */
  readonly timeNextNs: string;
  /** One value per entry of `columns`, in that order. */
  readonly values: ReadonlyArray<SqlParam | typeof DEFAULT_VALUE>;
}

/**
 * A multi-row INSERT with an explicit column list (vtgate refuses one without it
 * on tables without authoritative vschema columns: VT09004).
 *
 * `enqueued_at` is the database's now ({@link DB_NOW_NS}); `time_next` of a
 * message due now is `0`, which every tablet treats as due whatever its clock.
 *
 * Idempotent by id: a duplicate key keeps the existing row through
 * `on duplicate key update epoch = epoch`, a no-op on a column that is never a
 * vindex (vtgate refuses `id = id` when id is the vindex: VT12001). Never
 * `insert ignore`, which would also turn a too-long payload into a silent
 * truncation. The duplicate keeps its first `enqueued_at` too.
 *
 * On a table sharded by a business column the key is `PRIMARY KEY (id)` per
 * shard, so the same id may exist with another vindex value on the same shard.
 * The update then is a no-op only for the same value and sets `epoch` to NULL
 * otherwise, which strict mode refuses (errno 1048 on `epoch`, a column the
 * INSERT never sets): the whole statement fails and vtgate reverts what it
 * wrote on other shards. No extra statement on the normal path.
 *
 * @param columns payload column names (database names), in the order of each row's `values`.
 */
export function buildEnqueue(spec: MessageTableSpec, columns: readonly string[], rows: readonly EnqueueRow[]): Statement {
  if (rows.length === 0) throw new RangeError('buildEnqueue needs at least one row');
  const names = [BOOKKEEPING.id, BOOKKEEPING.priority, BOOKKEEPING.timeNext, BOOKKEEPING.enqueuedAt, ...columns].map(quoteIdentifier);
  const params: SqlParam[] = [];
  const tuples: string[] = [];
  for (const row of rows) {
    if (row.values.length !== columns.length) throw new RangeError(`row ${row.id} has ${row.values.length} values for ${columns.length} columns`);
    const cells = ['?', '?', '?', DB_NOW_NS];
    params.push(row.id, row.priority, row.timeNextNs);
    for (const value of row.values) {
      if (value === DEFAULT_VALUE) {
        cells.push('default');
      } else {
        cells.push('?');
        params.push(value);
      }
    }
    tuples.push(`(${cells.join(', ')})`);
  }
  const epoch = quoteIdentifier(BOOKKEEPING.epoch);
  const routing = routingColumn(spec);
  const table = tableRef(spec);
  // The row alias (not the deprecated VALUES()); columns qualified, as the alias makes bare names ambiguous.
  const update = routing
    ? ` as ${quoteIdentifier(NEW_ROW)} on duplicate key update ${epoch} = if(${table}.${quoteIdentifier(routing)} <=> ${quoteIdentifier(NEW_ROW)}.${quoteIdentifier(routing)}, ${table}.${epoch}, null)`
    : ` on duplicate key update ${epoch} = ${epoch}`;
  return {
    sql: `insert into ${table} (${names.join(', ')}) values ${tuples.join(', ')}${update}`,
    params,
  };
}
