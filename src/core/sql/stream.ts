import type { Statement } from '../executor';
import { checkKeyspace, quoteIdentifier } from '../identifiers';
import type { MessageTableSpec } from '../spec';
import { tableRef } from './target';

/** A shard name: `-80`, `80-`, `40-80`, `-` or `0`. */
const SHARD = /^[0-9a-fA-F]*-[0-9a-fA-F]*$|^0$/;

/**
 * The subscription statement, `stream * from ks.t`, or for one shard
 * `` stream * from `ks:-80`.`t` ``: vtgate (v0.24.4) takes a stream's shard
 * from the table's qualifier only — with `ks.t` it streams every shard even
 * when the session targets `ks:-80` (seen here).
 */
export function buildStream(spec: MessageTableSpec, shard?: string): Statement {
  if (shard === undefined) return { sql: `stream * from ${tableRef(spec)}`, params: [] };
  if (!SHARD.test(shard)) throw new RangeError(`not a shard name: ${shard}`);
  const keyspace = checkKeyspace(spec.keyspace ?? '');
  return { sql: `stream * from \`${keyspace}:${shard}\`.${quoteIdentifier(spec.table)}`, params: [] };
}
