import type { SqlParam, Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { DB_NOW_NS } from './db-now';
import { routingColumn, tableRef } from './target';

/** Marks a payload cell that takes the column's DDL default (the SQL keyword `default`). */
export const DEFAULT_VALUE: unique symbol = Symbol('vitess-messages.default');

/**
 * The duplicate-key update that marks a repeat: flips the lowest bit of
 * `enqueued_at` (NULL becomes the database's now). See {@link buildEnqueue}.
 */
export function repeatMark(qualifier: string): string {
  const column = `${qualifier}${quoteIdentifier(BOOKKEEPING.enqueuedAt)}`;
  return `${quoteIdentifier(BOOKKEEPING.enqueuedAt)} = coalesce(${column} ^ 1, ${DB_NOW_NS})`;
}

/**
 * `enqueued_at` as read back: the repeat mark cleared (see {@link buildEnqueue}).
 * The statement writes it to the microsecond, so the bit carries no time.
 */
export function clearRepeatMark(enqueuedAtNs: string): string {
  return (BigInt(enqueuedAtNs) & ~1n).toString();
}

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
 * `enqueued_at` is the database's now ({@link DB_NOW_NS}), written as that
 * expression in each row, or as `enqueuedAtNs` when the caller read it once
 * for a large chunk (the same value: MySQL fixes now at statement start);
 * `time_next` of a message due now is `0`, which every tablet treats as due
 * whatever its clock.
 *
 * Idempotent by id: a duplicate key keeps the existing row (never `insert
 * ignore`, which would also turn a too-long payload into a silent truncation;
 * never `id = id`, which vtgate refuses when id is the vindex: VT12001). The
 * duplicate-key update flips the lowest bit of `enqueued_at`
 * ({@link repeatMark}) and nothing else, so a repeat always *changes* its
 * row and MySQL counts it as 2 affected rows, a new row as 1 — whatever
 * CLIENT_FOUND_ROWS says (mysql2, TypeORM and Prisma set it through vtgate, and
 * then a no-op update counts 1 like an insert). That is how `enqueue` tells a
 * repeat from a new message exactly, in the same statement. Harmless: the
 * statement writes `enqueued_at` to the microsecond (its nanosecond digits are
 * `000`), readers clear the bit, and the tablet never reads the column. The
 * update does reach the binlog, but the tablet's binlog watcher only caches a
 * row that is unacked and due, deduplicated by id against its cache and the
 * messages in flight (vttablet `messageManager.processRowEvent`), so a repeat
 * never adds a delivery: a due row would be sent anyway, a sent one is
 * postponed (not due), acked and failed ones are skipped. A row without
 * `enqueued_at` (another producer's) takes the database's now. Cost: none for
 * a new row (the clause runs only on a duplicate); a repeat writes and commits
 * a row change, about what an insert costs (measured: 258 against 1,905
 * one-row autocommit repeats/s with `epoch = epoch`; README "Dedupe keys").
 *
 * On a table sharded by a business column the key is `PRIMARY KEY (id)` per
 * shard, so the same id may exist with another vindex value on the same shard.
 * The update then keeps `epoch` only for the same value and sets it to NULL
 * otherwise, which strict mode refuses (errno 1048 on `epoch`, a column the
 * INSERT never sets): the whole statement fails and vtgate reverts what it
 * wrote on other shards. No extra statement on the normal path.
 *
 * @param columns payload column names (database names), in the order of each row's `values`.
 * @param enqueuedAtNs the database's now, read by `buildSelectDbNow`; omitted, each row has the expression.
 */
export function buildEnqueue(spec: MessageTableSpec, columns: readonly string[], rows: readonly EnqueueRow[], enqueuedAtNs?: string): Statement {
  if (rows.length === 0) throw new RangeError('buildEnqueue needs at least one row');
  const names = [BOOKKEEPING.id, BOOKKEEPING.priority, BOOKKEEPING.timeNext, BOOKKEEPING.enqueuedAt, ...columns].map(quoteIdentifier);
  const params: SqlParam[] = [];
  const tuples: string[] = [];
  for (const row of rows) {
    if (row.values.length !== columns.length) throw new RangeError(`row ${row.id} has ${row.values.length} values for ${columns.length} columns`);
    const cells = ['?', '?', '?', enqueuedAtNs === undefined ? DB_NOW_NS : '?'];
    params.push(row.id, row.priority, row.timeNextNs);
    if (enqueuedAtNs !== undefined) params.push(enqueuedAtNs);
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
    ? ` as ${quoteIdentifier(NEW_ROW)} on duplicate key update ${epoch} = if(${table}.${quoteIdentifier(routing)} <=> ${quoteIdentifier(NEW_ROW)}.${quoteIdentifier(routing)}, ${table}.${epoch}, null), ${repeatMark(`${table}.`)}`
    : ` on duplicate key update ${repeatMark('')}`;
  return {
    sql: `insert into ${table} (${names.join(', ')}) values ${tuples.join(', ')}${update}`,
    params,
  };
}
