import type { Statement } from '../executor';
import { checkKeyspace } from '../identifiers';

/** vtgate's list of shards: one row per shard, `Shards` = `keyspace/shard`. */
export function buildShowShards(): Statement {
  return { sql: 'show vitess_shards', params: [] };
}

/** A shard name as vtgate lists it: a key range (`-80`, `80-`, `40-80`) or `0`. */
const SHARD_NAME = /^(?:[0-9a-f]*-[0-9a-f]*|0)$/;

/**
 * Targets a session at one shard (`use \`ks:-80\``): later statements on that
 * connection go to that shard only, bypassing the vschema. vtgate v0.24.4
 * refuses the target in a SELECT's table name (`from \`ks:-80\`.t`:
 * VT09017), so a session target is the only way to ask one shard; the
 * connection must not go back to a shared pool afterwards.
 */
export function buildUseShard(keyspace: string, shard: string): Statement {
  if (!SHARD_NAME.test(shard)) throw new RangeError(`not a shard name: ${JSON.stringify(shard)}`);
  return { sql: `use \`${checkKeyspace(keyspace)}:${shard}\``, params: [] };
}
