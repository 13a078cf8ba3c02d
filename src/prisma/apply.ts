/**
 * `prisma generate --apply`: runs a new migration's statements through vtgate
 * (where `prisma migrate deploy` cannot run). The vindex is added only on a
 * sharded keyspace (on an unsharded one vtgate would mark the whole keyspace
 * sharded); after it, vtgate is given time to route the table by it.
 */
import type { Executor } from '../core/executor';
import { retryStaleVschema } from '../core/vschema-retry';
import { buildSelectDatabase, buildShowTableVindexes, buildShowVschemaKeyspaces } from '../core/sql/vschema';
import { buildCreateTable, buildVindexDdl } from '../migration/ddl';
import type { PrismaMessageTable } from './message-models';

export interface ApplyReport {
  readonly table: string;
  /** Whether the vindex was added (false: no vindex, or an unsharded keyspace). */
  readonly vindex: boolean;
}

async function sharded(executor: Executor, keyspace: string | undefined): Promise<boolean> {
  const ks = keyspace ?? String((await executor.query(buildSelectDatabase().sql, [])).rows[0]?.db ?? '');
  const rows = (await executor.query(buildShowVschemaKeyspaces().sql, [])).rows;
  return rows.some((r) => r.Keyspace === ks && String(r.Sharded) === 'true');
}

/** Creates each table (its vindex first, on a sharded keyspace); the executor must be autocommit (DDL commits on its own). */
export async function applyMessageTables(executor: Executor, tables: readonly PrismaMessageTable[], timeoutMs = 15_000): Promise<ApplyReport[]> {
  const out: ApplyReport[] = [];
  for (const t of tables) {
    const vindexSql = buildVindexDdl(t.spec, 'add');
    const withVindex = vindexSql !== undefined && (await sharded(executor, t.spec.keyspace));
    if (withVindex) await retryStaleVschema(() => executor.query(vindexSql, []));
    await executor.query(buildCreateTable(t.spec), []);
    if (withVindex) {
      // vtgate applies a vschema change asynchronously; until then an INSERT can fail ("does not have a primary vindex").
      const show = buildShowTableVindexes(t.spec.table, t.spec.keyspace);
      const deadline = Date.now() + timeoutMs;
      while ((await executor.query(show.sql, []).then((r) => r.rows.length, () => 0)) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    out.push({ table: t.spec.table, vindex: withVindex });
  }
  return out;
}
