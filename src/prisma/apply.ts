/**
 * `prisma generate --apply`: creates the message tables the database lacks
 * through vtgate (where `prisma migrate deploy` cannot run). What is missing
 * is read from the database, not from the migrations folder, so a run that
 * failed halfway is finished by the next one. The vindex is added only on a
 * sharded keyspace (on an unsharded one vtgate would mark the whole keyspace
 * sharded) and only when vtgate has none for the table yet; after it, vtgate
 * is given time to route the table by it.
 */
import { driverErrorCode } from '../core/driver-error-code';
import { InvalidOptionError } from '../core/errors';
import type { Executor } from '../core/executor';
import { callSite, run, type CallSite } from '../core/operations';
import { retryStaleVschema } from '../core/vschema-retry';
import { isShardedKeyspace } from '../core/served-shards';
import { buildListTables } from '../core/sql/table-info';
import { buildSelectDatabase, buildShowTableVindexes } from '../core/sql/vschema';
import { buildCreateTable, buildVindexDdl } from '../migration/ddl';
import type { PrismaMessageTable } from './message-models';
import { VindexWaitError } from './vindex-wait-error';

export interface ApplyReport {
  readonly table: string;
  /** Whether the vindex was added (false: no vindex, an unsharded keyspace, or vtgate had it already). */
  readonly vindex: boolean;
}

/** vtgate's answer to `show vschema vindexes` on a table its vschema does not list (VT05005). */
const ER_NO_SUCH_TABLE = 1146;

/** The keyspace a table lives in: its own, or the connection's database. */
async function keyspaceOf(executor: Executor, t: PrismaMessageTable, site: CallSite): Promise<string> {
  if (t.spec.keyspace) return t.spec.keyspace;
  const db = (await run(executor, buildSelectDatabase(), t.spec, 'apply', [], site)).rows[0]?.['db'];
  if (db === null || db === undefined || String(db) === '') {
    throw new InvalidOptionError(`prisma generate --apply (${t.model})`, 'keyspace', 'is unknown: name it in @vitess.message(keyspace: …) or as the database of the URL');
  }
  return String(db);
}

/** How many vindexes vtgate shows for the table: 0 while its vschema does not list it. */
async function vindexCount(executor: Executor, t: PrismaMessageTable, keyspace: string, site: CallSite): Promise<number> {
  try {
    return (await run(executor, buildShowTableVindexes(t.spec.table, keyspace), t.spec, 'apply', [], site)).rows.length;
  } catch (err) {
    if (driverErrorCode(err) === ER_NO_SUCH_TABLE) return 0;
    throw err;
  }
}

/**
 * The tables among `tables` that their keyspace does not have (read from
 * `information_schema` through vtgate).
 *
 * @throws QueryError when a statement fails; InvalidOptionError when a
 *   table's keyspace is unknown.
 */
export async function missingMessageTables(executor: Executor, tables: readonly PrismaMessageTable[]): Promise<PrismaMessageTable[]> {
  const site = callSite(missingMessageTables);
  const out: PrismaMessageTable[] = [];
  for (const t of tables) {
    const keyspace = await keyspaceOf(executor, t, site);
    const { rows } = await run(executor, buildListTables(keyspace, t.spec.table), t.spec, 'apply', [], site);
    if (rows.length === 0) out.push(t);
  }
  return out;
}

/**
 * Creates each table (its vindex first, on a sharded keyspace, unless vtgate
 * has one already) and waits until vtgate routes it by the vindex. The
 * executor must be autocommit (DDL commits on its own).
 *
 * @throws QueryError when a statement fails; VindexWaitError when vtgate
 *   does not show the vindex within `timeoutMs` (default 15 s).
 */
export async function applyMessageTables(executor: Executor, tables: readonly PrismaMessageTable[], timeoutMs = 15_000): Promise<ApplyReport[]> {
  const site = callSite(applyMessageTables);
  const out: ApplyReport[] = [];
  for (const t of tables) {
    const vindexSql = buildVindexDdl(t.spec, 'add');
    const keyspace = await keyspaceOf(executor, t, site);
    const withVindex = vindexSql !== undefined && (await isShardedKeyspace(executor, keyspace, t.spec, 'apply', site));
    // A vindex left by an earlier run whose CREATE failed (or a dropped table's) is kept, not added twice.
    const add = withVindex && (await vindexCount(executor, t, keyspace, site)) === 0;
    if (add) await retryStaleVschema(() => run(executor, { sql: vindexSql, params: [] }, t.spec, 'apply', [], site));
    await run(executor, { sql: buildCreateTable(t.spec), params: [] }, t.spec, 'apply', [], site);
    if (withVindex) {
      // vtgate applies a vschema change asynchronously; until then an INSERT can fail ("does not have a primary vindex").
      const deadline = Date.now() + timeoutMs;
      while ((await vindexCount(executor, t, keyspace, site)) === 0) {
        if (Date.now() >= deadline) throw new VindexWaitError(`${keyspace}.${t.spec.table}`, timeoutMs);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    out.push({ table: t.spec.table, vindex: add });
  }
  return out;
}
