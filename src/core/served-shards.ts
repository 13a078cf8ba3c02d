/**
 * What vtgate serves: its shards (`show vitess_shards`) and whether a keyspace
 * is sharded (`show vschema keyspaces`). One reading of those rows for the
 * counts, the admin reads and the Prisma apply.
 */
import type { Executor } from './executor';
import { callSite, run, type CallSite, type RunLabel } from './operations';
import { buildShowShards } from './sql/shards';
import { buildShowVschemaKeyspaces } from './sql/vschema';

/** One shard vtgate serves. */
export interface ServedShard {
  readonly keyspace: string;
  /** `-80`, `80-`; `0` for an unsharded keyspace. */
  readonly shard: string;
}

/** Errors of these reads name no table of the caller's unless it gives one. */
const NO_TABLE: RunLabel = { table: '(keyspaces)' };

/** Every shard vtgate serves, in its order (`Shards` = `keyspace/shard` per row). */
export async function servedShards(executor: Executor, label: RunLabel = NO_TABLE, operation = 'shards', site: CallSite = callSite(servedShards)): Promise<ServedShard[]> {
  const { rows } = await run(executor, buildShowShards(), label, operation, [], site);
  return rows.map((row) => {
    // The column is `Shards`; the first value covers a driver that names it otherwise.
    const [keyspace, shard] = String(row['Shards'] ?? Object.values(row)[0]).split('/');
    return { keyspace: keyspace!, shard: shard! };
  });
}

/** The shards vtgate serves for one keyspace (none when it does not serve it). */
export async function keyspaceShards(executor: Executor, keyspace: string, label: RunLabel = NO_TABLE, operation = 'shards', site: CallSite = callSite(keyspaceShards)): Promise<string[]> {
  return (await servedShards(executor, label, operation, site)).filter((s) => s.keyspace === keyspace).map((s) => s.shard);
}

/**
 * Whether vtgate's vschema marks a keyspace sharded (`Sharded` = `'true'`);
 * false for a keyspace it does not know. A vindex is added only on a sharded
 * keyspace: on an unsharded one vtgate would mark the whole keyspace sharded.
 */
export async function isShardedKeyspace(executor: Executor, keyspace: string, label: RunLabel = NO_TABLE, operation = 'keyspaces', site: CallSite = callSite(isShardedKeyspace)): Promise<boolean> {
  const { rows } = await run(executor, buildShowVschemaKeyspaces(), label, operation, [], site);
  const row = rows.find((r) => String(r['Keyspace'] ?? Object.values(r)[0]) === keyspace);
  return row !== undefined && String(row['Sharded']) === 'true';
}
