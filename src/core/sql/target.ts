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
   * Values of the table's vindex column when it is not `id`, one per id (same
   * order), for routing and for exactness. The WHERE clause becomes
   * `((id = ? and <col> = ?) or …)`: vtgate routes it (it extracts
   * `<col> in (…)` from the disjunction), and it matches exactly those pairs.
   * Ids are unique per shard only, so `id in (…) and <col> in (…)` could touch
   * another customer's row that has the same id on the same shard. (Not the
   * row form `(id, <col>) in ((?, ?))`: with one pair MySQL compares it as a
   * row equality, which missed ids above 2^53 sent as strings, seen here.)
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
  const routing = routingColumn(spec);
  let sql: string;
  const params: SqlParam[] = [];
  if (routing && batch.vindexValues && batch.vindexValues.length > 0) {
    if (batch.vindexValues.length !== batch.ids.length) throw new RangeError(`a target batch needs one vindex value per id (${batch.ids.length} ids, ${batch.vindexValues.length} values)`);
    const pair = `(${quoteIdentifier(BOOKKEEPING.id)} = ? and ${quoteIdentifier(routing)} = ?)`;
    sql = `(${batch.ids.map(() => pair).join(' or ')})`;
    batch.ids.forEach((id, i) => params.push(id, batch.vindexValues![i] as SqlParam));
  } else {
    sql = `${quoteIdentifier(BOOKKEEPING.id)} in (${placeholders(batch.ids.length)})`;
    params.push(...batch.ids);
  }
  if (batch.streamedEpoch !== undefined) {
    sql += ` and ${quoteIdentifier(BOOKKEEPING.epoch)} = ?`;
    params.push((BigInt(batch.streamedEpoch) + 1n).toString());
  }
  return { sql, params };
}
