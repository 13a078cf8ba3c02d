/**
 * Fixtures of the subscriber tests: a plain mysql2 Executor, a hand-made
 * MessageTableSpec for tables made by createRawMessageTable, batched inserts.
 */
import type { Pool } from 'mysql2/promise';
import { after } from 'node:test';
import type { ExecResult, Executor, SqlParam } from '../../src/core/executor';
import { randomId } from '../../src/core/ids';
import type { MessageTableSpec } from '../../src/core/spec';
import { VtgateMysqlTransport } from '../../src/subscriber/mysql/vtgate-mysql-transport';
import type { StreamTransport } from '../../src/subscriber/transport';
import { closePool, createRawMessageTable, dropTable, vitess, vtgatePool, type RawMessageTableOptions } from './vitess';

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

/** A raw message table with our bookkeeping columns (failure_reason, enqueued_at, failed_at) and a json payload, and its spec. */
export async function createSpecTable(prefix: string, options: RawMessageTableOptions & { ackWaitS?: number } = {}): Promise<{ spec: MessageTableSpec; qualified: string; table: string; keyspace: string }> {
  const ackWaitS = options.ackWaitS ?? 1;
  const made = await createRawMessageTable(prefix, { ...options, ackWaitS, payloadDdl: options.payloadDdl ?? 'failure_reason varchar(1000) null, enqueued_at bigint null, failed_at bigint null, payload json' });
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
    const sql = `insert into ${qualified} (id, payload) values ${new Array(count).fill('(?, ?)').join(', ')}`;
    // InnoDB may pick this INSERT as a deadlock victim against the tablet's own
    // postpone UPDATEs on a busy table (errno 1213): MySQL's advice is to retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await db.query(sql, rows);
        break;
      } catch (err) {
        if ((err as { errno?: number }).errno !== 1213 || attempt >= 5) throw err;
      }
    }
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

/** How a subscriber reaches vtgate: its gRPC port, or its MySQL port through {@link VtgateMysqlTransport}. */
export interface TransportCase {
  readonly name: 'grpc' | 'mysql';
  /** `host:port` the transport connects to (what a TcpProxy forwards to). */
  readonly upstream: string;
  /** Subscriber options selecting the transport; `via` is a proxy's `host:port` to connect through instead. */
  source(via?: string): { address: string } | { transport: StreamTransport };
}

/**
 * The two transports, for tests run once per transport (the MySQL transport
 * must pass the same subscriber tests as the gRPC one). MySQL transports made
 * here are closed by `cleanup`.
 */
export function transportCases(cleanup: Array<() => Promise<void>>): TransportCase[] {
  const mysqlUrl = new URL(vitess.mysqlUrl);
  return [
    { name: 'grpc', upstream: vitess.grpcAddr, source: (via) => ({ address: via ?? vitess.grpcAddr }) },
    {
      name: 'mysql',
      upstream: mysqlUrl.host,
      source: (via) => {
        const url = new URL(vitess.mysqlUrl);
        if (via) url.host = via;
        const transport = new VtgateMysqlTransport({ connection: url.toString() });
        cleanup.push(async () => transport.close());
        return { transport };
      },
    },
  ];
}

/** A JSON payload of about `bytes` bytes (for realistic row sizes on the wire). */
export function paddedPayload(bytes: number): (i: number) => unknown {
  const pad = 'x'.repeat(Math.max(0, bytes - 20));
  return (i) => ({ i, pad });
}
