/**
 * Per-shard views of a table, for claims about where rows live or which shard
 * a statement reached: vtgate sends a statement to one shard when the session
 * targets it (`USE \`commerce:-80\``), bypassing the vschema. vtcombo's
 * `/debug/vars` merges its tablets, so the shard databases are the only
 * per-shard truth here.
 */
import type { PoolConnection } from 'mysql2/promise';
import { checkKeyspace, quoteIdentifier } from '../../src/core/identifiers';
import { vtgatePool } from './vitess';

/** The shards of a keyspace as vtgate lists them (`-80`, `80-` for the local `commerce`). */
export async function shardsOf(keyspace: string): Promise<string[]> {
  const [rows] = await vtgatePool().query('show vitess_shards');
  const shards = (rows as Array<{ Shards: string }>)
    .map((r) => r.Shards.split('/'))
    .filter(([ks]) => ks === keyspace)
    .map(([, shard]) => shard!);
  if (shards.length === 0) throw new Error(`vtgate lists no shards of keyspace ${keyspace}`);
  return shards;
}

/**
 * Runs `fn` on a connection whose session targets one shard of `keyspace`.
 * The connection is destroyed afterwards: a pooled connection must not keep a
 * shard target.
 */
export async function onShard<T>(keyspace: string, shard: string, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  // A shard name is a key range: hex digits and one '-'.
  if (!/^[0-9a-f]*-[0-9a-f]*$|^0$/.test(shard)) throw new Error(`not a shard name: ${shard}`);
  const conn = await vtgatePool().getConnection();
  try {
    await conn.query(`use \`${checkKeyspace(keyspace)}:${shard}\``);
    return await fn(conn);
  } finally {
    conn.destroy();
  }
}

/**
 * Rows of `table` matching `where` (a test-written condition with `?`
 * placeholders), counted in each shard's own database: `{ '-80': n, '80-': m }`.
 */
export async function countByShard(keyspace: string, table: string, where = '1 = 1', params: unknown[] = []): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const shard of await shardsOf(keyspace)) {
    out[shard] = await onShard(keyspace, shard, async (conn) => {
      const [rows] = await conn.query(`select count(*) as n from ${quoteIdentifier(table)} where ${where}`, params);
      return Number((rows as Array<{ n: string | number }>)[0]!.n);
    });
  }
  return out;
}
