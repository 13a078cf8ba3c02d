import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { placeholders, routingColumn, tableRef } from './target';

/**
 * Reads back the vindex values stored under some ids, after an enqueue met an
 * id held by another vindex value (the rare path of `buildEnqueue`'s guard).
 * By id alone, so vtgate sends it to every shard: the clashing row has another
 * vindex value than the one being enqueued, so no value in the WHERE could
 * route to its shard. The rows come back as `{ id, <vindex column> }`.
 */
export function buildReadVindexValues(spec: MessageTableSpec, ids: readonly string[]): Statement {
  const routing = routingColumn(spec);
  if (!routing) throw new RangeError('buildReadVindexValues needs a table sharded by a business column');
  if (ids.length === 0) throw new RangeError('buildReadVindexValues needs at least one id');
  const q = quoteIdentifier;
  return {
    sql: `select ${q(BOOKKEEPING.id)}, ${q(routing)} from ${tableRef(spec)} where ${q(BOOKKEEPING.id)} in (${placeholders(ids.length)})`,
    params: [...ids],
  };
}
