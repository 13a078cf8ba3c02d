/**
 * Where the tests find Vitess, and per-test tables. One Vitess serves a whole
 * test run (`npm test` starts it); each test creates its own uniquely named table,
 * so tests can run in any order and in parallel.
 */
import { randomBytes } from 'node:crypto';
import * as mysql from 'mysql2/promise';
import { retryStaleVschema } from '../../src/core/vschema-retry';

export const vitess = {
  mysqlUrl: process.env.VTGATE_MYSQL_URL ?? `mysql://root@127.0.0.1:${process.env.VTGATE_MYSQL_PORT ?? 27307}/`,
  grpcAddr: process.env.VTGATE_GRPC_ADDR ?? `127.0.0.1:${process.env.VTGATE_GRPC_PORT ?? 27991}`,
  /** vtcombo's HTTP port (/debug/vars); absent for an external vtgate. */
  httpUrl: process.env.VTGATE_MYSQL_URL ? process.env.VTCOMBO_HTTP : `http://127.0.0.1:${process.env.VTCOMBO_HTTP_PORT ?? 27080}`,
  /** A keyspace with two shards (-80, 80-). */
  sharded: process.env.VITESS_SHARDED_KEYSPACE ?? 'commerce',
  /** An unsharded keyspace. */
  unsharded: process.env.VITESS_UNSHARDED_KEYSPACE ?? 'meta',
};

let pool: mysql.Pool | undefined;

/** A mysql2 pool on vtgate's MySQL port, shared by the tests of one file. */
export function vtgatePool(): mysql.Pool {
  pool ??= mysql.createPool({
    uri: vitess.mysqlUrl,
    supportBigNumbers: true,
    bigNumberStrings: true, // 64-bit ids stay exact
    connectionLimit: 8,
    connectTimeout: 5_000,
  });
  return pool;
}

export async function closePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.end();
}

/**
 * Runs schema statements one by one; an ALTER VSCHEMA that raced another test's
 * (vtgate: "the session's version was stale") runs again.
 */
export async function runSchemaSql(query: (sql: string) => Promise<unknown>, statements: readonly string[]): Promise<void> {
  for (const sql of statements) await retryStaleVschema(() => query(sql));
}

/** A table name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface RawMessageTableOptions {
  /** Columns after the five bookkeeping ones, as DDL. Default `payload json`. */
  payloadDdl?: string;
  /** Streamed columns (vt_message_cols). Default id|epoch|payload. */
  messageCols?: string[];
  ackWaitS?: number;
  minBackoffS?: number;
  pollerIntervalS?: number;
  batchSize?: number;
  keyspace?: string;
}

/**
 * Creates a message table by hand-written DDL (the library's own DDL generator is
 * tested separately) in the sharded keyspace, with a hash vindex on id.
 * Sub-second ack wait and poller interval keep redelivery windows short.
 */
export async function createRawMessageTable(prefix: string, options: RawMessageTableOptions = {}): Promise<{ table: string; keyspace: string; qualified: string }> {
  const table = uniqueName(prefix);
  const keyspace = options.keyspace ?? vitess.sharded;
  const qualified = `\`${keyspace}\`.\`${table}\``;
  const comment = [
    'vitess_message',
    `vt_ack_wait=${options.ackWaitS ?? 1}`,
    `vt_purge_after=86400`,
    `vt_batch_size=${options.batchSize ?? 100}`,
    `vt_cache_size=10000`,
    `vt_poller_interval=${options.pollerIntervalS ?? 0.5}`,
    `vt_min_backoff=${options.minBackoffS ?? 0.5}`,
    `vt_message_cols=${(options.messageCols ?? ['id', 'epoch', 'payload']).join('|')}`,
  ].join(',');
  const db = vtgatePool();
  if (keyspace === vitess.sharded) {
    await runSchemaSql((sql) => db.query(sql), [`alter vschema on ${qualified} add vindex hash(id) using hash`]);
  }
  await db.query(
    `create table ${qualified} (
      id bigint not null,
      priority tinyint not null default 50,
      epoch bigint not null default 0,
      time_next bigint null default 0,
      time_acked bigint null,
      ${options.payloadDdl ?? 'payload json'},
      primary key (id),
      index poller_idx (time_acked, priority, time_next desc)
    ) comment '${comment}'`,
  );
  return { table, keyspace, qualified };
}

export async function dropTable(keyspace: string, table: string): Promise<void> {
  const db = vtgatePool();
  await db.query(`drop table if exists \`${keyspace}\`.\`${table}\``);
  if (keyspace === vitess.sharded) {
    await db.query(`alter vschema on \`${keyspace}\`.\`${table}\` drop vindex hash`).catch(() => undefined);
  }
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; never a fixed sleep. */
export async function waitUntil<T>(check: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * `/debug/vars` of vtcombo (message manager counters live there). With an
 * external vtgate, VTCOMBO_HTTP names the HTTP port of the vtcombo or vttablet
 * serving the sharded keyspace; without it the test fails with one line saying so.
 */
export async function debugVars(): Promise<Record<string, unknown>> {
  if (!vitess.httpUrl) {
    throw new Error('this test reads /debug/vars: set VTCOMBO_HTTP (e.g. http://host:15000, the HTTP port of the vtcombo or vttablet behind VTGATE_MYSQL_URL)');
  }
  let res: Response;
  try {
    res = await fetch(`${vitess.httpUrl}/debug/vars`);
  } catch (err) {
    throw new Error(`cannot read ${vitess.httpUrl}/debug/vars (VTCOMBO_HTTP): ${(err as Error).cause ?? err}`);
  }
  if (!res.ok) throw new Error(`${vitess.httpUrl}/debug/vars (VTCOMBO_HTTP) answered HTTP ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}
