/**
 * The producer tests' fixtures: one Executor factory per client (mysql2,
 * TypeORM, Prisma) with a way to run a transaction on it, and message tables
 * defined as a user defines them (an entity or `defineMessageTable`) and created
 * by the library's own DDL, so the tests run on the tables users get.
 */
import { Column, DataSource } from 'typeorm';
import { Kysely, MysqlDialect } from 'kysely';
import { createPool } from 'mysql2';
import { fromKysely } from '../../src/adapters/kysely';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { fromPrisma, type PrismaLike } from '../../src/adapters/prisma';
import type { Executor } from '../../src/core/executor';
import { quoteTable } from '../../src/core/identifiers';
import { defineMessageTable } from '../../src/core/define';
import type { MessageTableOptionsInput } from '../../src/core/options';
import type { MessageTableSpec } from '../../src/core/spec';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { fromEntityManager } from '../../src/typeorm/entity-manager-executor';
import { MessageTable } from '../../src/typeorm/message-table';
import { getMessageTableSpec } from '../../src/typeorm/registry';
import { VitessMessage } from '../../src/typeorm/vitess-message';
import { runSchemaSql, uniqueName, vitess, vtgatePool, waitUntil } from './vitess';

export interface ExecutorHarness {
  readonly name: 'mysql2' | 'typeorm' | 'prisma' | 'kysely';
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

/**
 * Kysely's MySQL dialect through vtgate, on a mysql2 callback pool that returns
 * 64-bit integers as strings (Kysely passes no per-query options).
 */
export function kyselyHarness(): ExecutorHarness {
  const db = new Kysely<Record<string, never>>({
    dialect: new MysqlDialect({ pool: createPool({ uri: vitess.mysqlUrl, supportBigNumbers: true, bigNumberStrings: true, connectionLimit: 4 }) }),
  });
  return {
    name: 'kysely',
    executor: () => fromKysely(db),
    transaction: (fn) => db.transaction().execute((trx) => fn(fromKysely(trx))),
    close: () => db.destroy(),
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

/** Where a test table's definition comes from: both must give tables the library works on. */
export type TableOrigin = 'entity' | 'define';

export const TABLE_ORIGINS: readonly TableOrigin[] = ['entity', 'define'];

/** Table options of the producer tests, in seconds. Short defaults keep redelivery windows short. */
export interface ProducerTableOptions {
  /** Default 1 s. */
  ackWaitS?: number;
  /** Default 0.5 s. */
  minBackoffS?: number;
  /** Default 0.5 s. */
  pollerIntervalS?: number;
  /** Default 100. */
  batchSize?: number;
  /** Default `'define'`. */
  origin?: TableOrigin;
}

export interface TestTable {
  readonly table: string;
  readonly keyspace: string;
  readonly qualified: string;
  readonly spec: MessageTableSpec;
  drop(): Promise<void>;
}

function tableOptions(options: ProducerTableOptions): MessageTableOptionsInput {
  return {
    ackWait: (options.ackWaitS ?? 1) * 1000,
    minBackoff: (options.minBackoffS ?? 0.5) * 1000,
    pollerInterval: (options.pollerIntervalS ?? 0.5) * 1000,
    batchSize: options.batchSize ?? 100,
  };
}

/**
 * A `@MessageTable` entity of its own for one table name (`body json`,
 * `note varchar(8)`): a class per table, as a user's entity would be.
 */
export function producerEntity(table: string, options: ProducerTableOptions = {}): Function {
  @MessageTable({ name: table, keyspace: vitess.sharded, ...tableOptions(options) })
  class ProducerJob extends VitessMessage {
    @Column('json', { nullable: true })
    body!: unknown;

    @Column('varchar', { length: 8, nullable: true })
    note!: string | null;
  }
  return ProducerJob;
}

/** The same table as {@link producerEntity}, through `defineMessageTable`. */
export function producerDefinition(table: string, options: ProducerTableOptions = {}): MessageTableSpec {
  return defineMessageTable({
    table,
    keyspace: vitess.sharded,
    columns: { body: { type: 'json', nullable: true }, note: { type: 'varchar(8)', nullable: true } },
    ...tableOptions(options),
  });
}

/** Creates the table of `spec` with the library's own DDL (vindex, then CREATE TABLE); `drop` reverses it. */
export async function createFromSpec(spec: MessageTableSpec): Promise<TestTable> {
  const db = vtgatePool();
  await runSchemaSql((sql) => db.query(sql), buildSchemaSql(spec));
  const keyspace = spec.keyspace ?? vitess.sharded;
  if (spec.vindex) {
    // vtgate applies a vschema change asynchronously: until it has, an INSERT
    // can fail with "does not have a primary vindex" (seen right after a start).
    await waitUntil(async () => {
      // VT05005 (table not in the vschema yet) counts as not yet.
      const rows = await db.query(`show vschema vindexes on ${quoteTable(spec.table, keyspace)}`).then(([r]) => r as unknown[], () => []);
      return rows.length > 0;
    }, 15_000, `vtgate to route ${spec.table} by its vindex`);
  }
  return {
    table: spec.table,
    keyspace,
    qualified: quoteTable(spec.table, keyspace),
    spec,
    drop: async () => {
      const [dropTable, ...vschema] = buildDropSchemaSql(spec);
      await db.query(dropTable!);
      // The keyspace-level vindex may be gone already; the table is what matters.
      for (const sql of vschema) await db.query(sql).catch(() => undefined);
    },
  };
}

/**
 * A message table (hash vindex on id, 2 shards) with `body json` and
 * `note varchar(8)`, defined by a `@MessageTable` entity or by
 * `defineMessageTable` and created by the library's DDL.
 */
export async function producerTable(prefix: string, options: ProducerTableOptions = {}): Promise<TestTable> {
  const table = uniqueName(prefix);
  const spec = options.origin === 'entity' ? getMessageTableSpec(producerEntity(table, options)) : producerDefinition(table, options);
  return createFromSpec(spec);
}

/** A message table sharded by a business column `customer_id` (hash), so a message can live beside its customer's rows. */
export async function customerShardedTable(prefix: string): Promise<TestTable> {
  return createFromSpec(defineMessageTable({
    table: uniqueName(prefix),
    keyspace: vitess.sharded,
    columns: { customerId: { name: 'customer_id', type: 'bigint' }, payload: { type: 'json', nullable: true } },
    vindex: { column: 'customer_id', type: 'hash' },
    ...tableOptions({}),
  }));
}

/** A plain business table (hash vindex on id) to write beside a message in one transaction. */
export async function businessTable(prefix: string): Promise<{ qualified: string; drop(): Promise<void> }> {
  const table = uniqueName(prefix);
  const qualified = `\`${vitess.sharded}\`.\`${table}\``;
  const db = vtgatePool();
  await runSchemaSql((sql) => db.query(sql), [`alter vschema on ${qualified} add vindex hash(id) using hash`]);
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
