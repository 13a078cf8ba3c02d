/**
 * The producer tests' fixtures: one Executor factory per client (mysql2,
 * TypeORM, Prisma) with a way to run a transaction on it, and message tables
 * with a hand-made spec.
 */
import { DataSource } from 'typeorm';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { fromPrisma, type PrismaLike } from '../../src/adapters/prisma';
import type { Executor } from '../../src/core/executor';
import type { MessageTableSpec } from '../../src/core/spec';
import { fromEntityManager } from '../../src/typeorm/entity-manager-executor';
import { createRawMessageTable, dropTable, uniqueName, vitess, vtgatePool, type RawMessageTableOptions } from './vitess';

export interface ExecutorHarness {
  readonly name: 'mysql2' | 'typeorm' | 'prisma';
  /** An autocommit executor. */
  executor(): Executor;
  /** Runs `fn` in a transaction of this client: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (executor: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function mysql2Harness(): ExecutorHarness {
  const pool = vtgatePool();
  return {
    name: 'mysql2',
    executor: () => fromMysql2(pool),
    async transaction(fn) {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        try {
          const out = await fn(fromMysql2(conn));
          await conn.commit();
          return out;
        } catch (err) {
          await conn.rollback();
          throw err;
        }
      } finally {
        conn.release();
      }
    },
    async close() {
      // The pool is closed by the test file (closePool).
    },
  };
}

/** A TypeORM DataSource on vtgate: on the unsharded keyspace, as DESIGN §3 recommends; tables are keyspace-qualified. */
export async function typeormDataSource(entities: Function[] = []): Promise<DataSource> {
  const ds = new DataSource({ type: 'mysql', url: vitess.mysqlUrl, database: vitess.unsharded, entities, synchronize: false, logging: false });
  await ds.initialize();
  return ds;
}

export async function typeormHarness(): Promise<ExecutorHarness> {
  const ds = await typeormDataSource();
  return {
    name: 'typeorm',
    executor: () => fromEntityManager(ds.manager),
    transaction: (fn) => ds.transaction((m) => fn(fromEntityManager(m))),
    close: () => ds.destroy(),
  };
}

interface PrismaClientLike extends PrismaLike {
  $transaction<T>(fn: (tx: PrismaLike) => Promise<T>, options?: { timeout?: number; maxWait?: number }): Promise<T>;
  $disconnect(): Promise<void>;
}

/** Prisma 7 through vtgate: the generated client (see prisma/schema.prisma) on @prisma/adapter-mariadb. */
export async function prismaHarness(): Promise<ExecutorHarness> {
  const { PrismaClient } = require('../prisma-client/client') as { PrismaClient: new (options: { adapter: unknown }) => PrismaClientLike };
  const { PrismaMariaDb } = require('@prisma/adapter-mariadb') as { PrismaMariaDb: new (config: unknown) => unknown };
  const url = new URL(vitess.mysqlUrl);
  const adapter = new PrismaMariaDb({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: vitess.sharded,
    connectionLimit: 4,
  });
  const prisma = new PrismaClient({ adapter });
  return {
    name: 'prisma',
    executor: () => fromPrisma(prisma),
    transaction: (fn) => prisma.$transaction((tx) => fn(fromPrisma(tx)), { timeout: 30_000, maxWait: 10_000 }),
    close: () => prisma.$disconnect(),
  };
}

/** The payload columns of the producer tests' tables. */
export const PAYLOAD_DDL = 'failure_reason text null, enqueued_at bigint null, failed_at bigint null, body json null, note varchar(8) null';

export interface TestTable {
  readonly table: string;
  readonly keyspace: string;
  readonly qualified: string;
  readonly spec: MessageTableSpec;
  drop(): Promise<void>;
}

/** A message table (hash vindex on id, 2 shards) with `body json` and `note varchar(8)`, plus its spec. */
export async function producerTable(prefix: string, options: RawMessageTableOptions = {}): Promise<TestTable> {
  const { table, keyspace, qualified } = await createRawMessageTable(prefix, {
    payloadDdl: PAYLOAD_DDL,
    messageCols: ['id', 'epoch', 'body', 'note'],
    ...options,
  });
  const spec: MessageTableSpec = {
    table,
    keyspace,
    payload: [
      { name: 'body', property: 'body', sqlType: 'json', nullable: true },
      { name: 'note', property: 'note', sqlType: 'varchar(8)', nullable: true },
    ],
    streamed: ['id', 'epoch', 'body', 'note'],
    vindex: { column: 'id', type: 'hash' },
    options: {
      ackWaitMs: (options.ackWaitS ?? 1) * 1000,
      purgeAfterMs: 86_400_000,
      pollerIntervalMs: (options.pollerIntervalS ?? 0.5) * 1000,
      batchSize: options.batchSize ?? 100,
      cacheSize: 10_000,
      minBackoffMs: (options.minBackoffS ?? 0.5) * 1000,
    },
  };
  return { table, keyspace, qualified, spec, drop: () => dropTable(keyspace, table) };
}

/** A message table sharded by a business column `customer_id` (hash), so a message can live beside its customer's rows. */
export async function customerShardedTable(prefix: string): Promise<TestTable> {
  const table = uniqueName(prefix);
  const keyspace = vitess.sharded;
  const qualified = `\`${keyspace}\`.\`${table}\``;
  const db = vtgatePool();
  await db.query(`alter vschema on ${qualified} add vindex hash(customer_id) using hash`);
  await db.query(
    `create table ${qualified} (
      id bigint not null, priority tinyint not null default 50, epoch bigint not null default 0,
      time_next bigint null default 0, time_acked bigint null, failure_reason text null,
      enqueued_at bigint null, failed_at bigint null,
      customer_id bigint not null, payload json null,
      primary key (id), index poller_idx (time_acked, priority, time_next desc)
    ) comment 'vitess_message,vt_ack_wait=1,vt_purge_after=86400,vt_batch_size=100,vt_cache_size=10000,vt_poller_interval=0.5,vt_min_backoff=0.5,vt_message_cols=id|epoch|customer_id|payload'`,
  );
  const spec: MessageTableSpec = {
    table,
    keyspace,
    payload: [
      { name: 'customer_id', property: 'customerId', sqlType: 'bigint', nullable: false },
      { name: 'payload', property: 'payload', sqlType: 'json', nullable: true },
    ],
    streamed: ['id', 'epoch', 'customer_id', 'payload'],
    vindex: { column: 'customer_id', type: 'hash' },
    options: { ackWaitMs: 1000, purgeAfterMs: 86_400_000, pollerIntervalMs: 500, batchSize: 100, cacheSize: 10_000, minBackoffMs: 500 },
  };
  return {
    table,
    keyspace,
    qualified,
    spec,
    drop: async () => {
      await db.query(`drop table if exists ${qualified}`);
      await db.query(`alter vschema on ${qualified} drop vindex hash`).catch(() => undefined);
    },
  };
}

/** A plain business table (hash vindex on id) to write beside a message in one transaction. */
export async function businessTable(prefix: string): Promise<{ qualified: string; drop(): Promise<void> }> {
  const table = uniqueName(prefix);
  const qualified = `\`${vitess.sharded}\`.\`${table}\``;
  const db = vtgatePool();
  await db.query(`alter vschema on ${qualified} add vindex hash(id) using hash`);
  await db.query(`create table ${qualified} (id bigint not null, label varchar(32) not null, primary key (id))`);
  return {
    qualified,
    drop: async () => {
      await db.query(`drop table if exists ${qualified}`);
      await db.query(`alter vschema on ${qualified} drop vindex hash`).catch(() => undefined);
    },
  };
}

/** Rows of a table matching `where` (read through the shared mysql2 pool, autocommit). */
export async function countRows(qualified: string, where = '1 = 1', params: unknown[] = []): Promise<number> {
  const [rows] = await vtgatePool().query(`select count(*) as n from ${qualified} where ${where}`, params);
  return Number((rows as Array<{ n: string | number }>)[0]!.n);
}
