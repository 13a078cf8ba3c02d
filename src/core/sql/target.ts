/**
 * Which rows an UPDATE touches: a batch of ids, optionally with the values of a
 * business vindex column (so vtgate routes the statement to their shards instead
 * of scattering it) and optionally the epoch the message was streamed with.
 */
import type { SqlParam } from '../executor';
import { quoteIdentifier, quoteTable } from '../identifiers';
import type { MessageTableSpec } from '../spec';
import { BOOKKEEPING } from '../spec';

export interface TargetBatch {
  /** Message ids as canonical decimal strings (see `normalizeId`). At least one. */
  readonly ids: readonly string[];
  /**
   * Values of the table's vindex column when it is not `id`, for routing. The
   * WHERE clause adds `<vindex column> in (…)`: fewer shards, same rows (ids are
   * unique within a shard, and a row has one vindex value).
   */
  readonly vindexValues?: readonly SqlParam[];
  /**
   * The epoch the messages were streamed with (all of this batch). The tablet
   * postpones a message right after sending it (`epoch = epoch + 1`), so the
   * statement matches `epoch = streamedEpoch + 1`: it then cannot run before the
   * postpone and be overwritten by it (DESIGN "Send, then postpone").
   */
  readonly streamedEpoch?: string;
}

/** `ks`.`table` of a spec. */
export function tableRef(spec: MessageTableSpec): string {
  return quoteTable(spec.table, spec.keyspace);
}

/** `ks.table` (or `table`), unquoted: how errors name a table. */
export function tableLabel(spec: Pick<MessageTableSpec, 'table' | 'keyspace'>): string {
  return spec.keyspace ? `${spec.keyspace}.${spec.table}` : spec.table;
}

/** Column of the business vindex, or undefined when the vindex is `id` (or absent). */
export function routingColumn(spec: MessageTableSpec): string | undefined {
  const column = spec.vindex?.column;
  return column && column !== BOOKKEEPING.id ? column : undefined;
}

export function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

/** The `where` conditions selecting a target batch (without the word `where`). */
export function whereTargets(spec: MessageTableSpec, batch: TargetBatch): { sql: string; params: SqlParam[] } {
  if (batch.ids.length === 0) throw new RangeError('a target batch needs at least one id');
  let sql = `${quoteIdentifier(BOOKKEEPING.id)} in (${placeholders(batch.ids.length)})`;
  const params: SqlParam[] = [...batch.ids];
  const routing = routingColumn(spec);
  if (routing && batch.vindexValues && batch.vindexValues.length > 0) {
    sql += ` and ${quoteIdentifier(routing)} in (${placeholders(batch.vindexValues.length)})`;
    params.push(...batch.vindexValues);
  }
  if (batch.streamedEpoch !== undefined) {
    sql += ` and ${quoteIdentifier(BOOKKEEPING.epoch)} = ?`;
    params.push((BigInt(batch.streamedEpoch) + 1n).toString());
  }
  return { sql, params };
}
