/**
 * Fixtures of the subscriber tests: a plain mysql2 Executor, a hand-made
 * MessageTableSpec for tables made by createRawMessageTable, batched inserts.
 */
import type { Pool } from 'mysql2/promise';
import { after } from 'node:test';
import type { ExecResult, Executor, SqlParam } from '../../src/core/executor';
import { randomId } from '../../src/core/ids';
import type { MessageTableSpec } from '../../src/core/spec';
import { closePool, createRawMessageTable, dropTable, vtgatePool, type RawMessageTableOptions } from './vitess';

/** An Executor on a mysql2 pool (the library's own adapters are tested elsewhere). */
export function poolExecutor(pool: Pool = vtgatePool()): Executor {
  return {
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      const [res] = await pool.query(sql, params as SqlParam[]);
      if (Array.isArray(res)) return { rows: res as Array<Record<string, unknown>>, affectedRows: 0 };
      return { rows: [], affectedRows: (res as { affectedRows: number }).affectedRows };
    },
  };
}

/** A raw message table with our failure_reason column and a json payload, and its spec. */
export async function createSpecTable(prefix: string, options: RawMessageTableOptions & { ackWaitS?: number } = {}): Promise<{ spec: MessageTableSpec; qualified: string; table: string; keyspace: string }> {
  const ackWaitS = options.ackWaitS ?? 1;
  const made = await createRawMessageTable(prefix, { ...options, ackWaitS, payloadDdl: options.payloadDdl ?? 'failure_reason varchar(1000) null, payload json' });
  const spec: MessageTableSpec = {
    table: made.table,
    keyspace: made.keyspace,
    payload: [{ name: 'payload', property: 'payload', sqlType: 'json', nullable: true }],
    streamed: options.messageCols ?? ['id', 'epoch', 'payload'],
    vindex: { column: 'id', type: 'hash' },
    options: {
      ackWaitMs: ackWaitS * 1000,
      purgeAfterMs: 86_400_000,
      pollerIntervalMs: (options.pollerIntervalS ?? 0.5) * 1000,
      batchSize: options.batchSize ?? 100,
      cacheSize: 10_000,
      minBackoffMs: (options.minBackoffS ?? 0.5) * 1000,
    },
  };
  return { spec, ...made };
}

/** Inserts `n` messages in multi-row INSERTs of `batch`; returns their ids. */
export async function insertMessages(qualified: string, n: number, batch = 500, payload: (i: number) => unknown = (i) => ({ i })): Promise<string[]> {
  const ids: string[] = [];
  const db = vtgatePool();
  for (let start = 0; start < n; start += batch) {
    const rows: unknown[] = [];
    const count = Math.min(batch, n - start);
    for (let i = 0; i < count; i++) {
      const id = randomId().toString();
      ids.push(id);
      rows.push(id, JSON.stringify(payload(start + i)));
    }
    await db.query(`insert into ${qualified} (id, payload) values ${new Array(count).fill('(?, ?)').join(', ')}`, rows);
  }
  return ids;
}

/** Rows of the table that are acked. */
export async function countAcked(qualified: string): Promise<number> {
  const [rows] = await vtgatePool().query(`select count(*) as n from ${qualified} where time_acked is not null`);
  return Number((rows as Array<{ n: string | number }>)[0]!.n);
}

/** The tablet's cumulative `Messages.<table>.Sent` (both shards). */
export function sentOf(vars: Record<string, unknown>, table: string): number {
  const m = vars.Messages as Record<string, number> | undefined;
  return m?.[`${table}.Sent`] ?? 0;
}

/**
 * Per test file: `table(prefix, options)` makes a spec table; after the file's
 * tests, everything pushed on `cleanup` runs (newest first), the tables are
 * dropped and the pool is closed.
 */
export function specTables(): { table: typeof createSpecTable; cleanup: Array<() => Promise<void>> } {
  const cleanup: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await closePool();
  });
  const table: typeof createSpecTable = async (prefix, options = {}) => {
    const t = await createSpecTable(prefix, options);
    cleanup.push(() => dropTable(t.keyspace, t.table));
    return t;
  };
  return { table, cleanup };
}
