/**
 * `vitess-messages/mysql2`: the producer operations for mysql2 users. Structural
 * types only: this file never loads mysql2 (the caller already has).
 */
import type { ExecResult, Executor, SqlParam } from '../core/executor';
import { InvalidOptionError } from '../core/errors';

/** What we need from mysql2: `query(options)` of its promise API (Pool, PoolConnection, Connection). */
export interface Mysql2PromiseLike {
  /** mysql2's promise `query(options)`: resolves to `[rows or result header, fields]`. */
  query(options: { sql: string; values?: unknown[]; supportBigNumbers?: boolean; bigNumberStrings?: boolean }): Promise<[unknown, unknown]>;
  /** A Pool's: one of its connections, given back with `release()`. */
  getConnection?(): Promise<Mysql2PromiseLike & { release(): void }>;
}

/** A mysql2 callback-API object; its `promise()` wrapper is used. */
export interface Mysql2CallbackLike {
  /** The promise-API wrapper of the same pool or connection. */
  promise(): Mysql2PromiseLike;
}

/** A mysql2 Pool, PoolConnection or Connection, promise or callback API. */
export type Mysql2Like = Mysql2PromiseLike | Mysql2CallbackLike;

/**
 * An {@link Executor} on a mysql2 pool or connection. Give it the connection of
 * your transaction (`await pool.getConnection()`, `beginTransaction()`) to enqueue
 * or ack inside it; the library never begins, commits or rolls back your
 * transaction. A Pool runs each statement on whichever connection is free
 * (autocommit); one that vtgate left latched after a failed transaction
 * (VT09032) is rolled back and the statement run again on it.
 *
 * 64-bit integers are read as decimal strings whatever the pool's
 * `supportBigNumbers` setting (per-query options), so ids stay exact.
 *
 * @example
 * ```ts
 * import { createPool } from 'mysql2';
 * import { enqueue, fromMysql2 } from 'vitess-messages/mysql2';
 *
 * const pool = createPool('mysql://user:pass@vtgate:3306/commerce');
 * await enqueue(fromMysql2(pool), emails, { to: 'a@b.c' });        // autocommit
 * const conn = await pool.promise().getConnection();
 * await conn.beginTransaction();
 * await enqueue(fromMysql2(conn), emails, { to: 'b@c.d' });        // in the transaction
 * await conn.commit();
 * conn.release();
 * ```
 */
export function fromMysql2(poolOrConnection: Mysql2Like): Executor {
  const target: unknown = poolOrConnection;
  if (target === null || typeof target !== 'object') throw new InvalidOptionError('fromMysql2', 'poolOrConnection', 'must be a mysql2 Pool or Connection', target);
  const api = typeof (target as Partial<Mysql2CallbackLike>).promise === 'function'
    ? (target as Mysql2CallbackLike).promise()
    : (target as Mysql2PromiseLike);
  if (typeof api.query !== 'function') throw new InvalidOptionError('fromMysql2', 'poolOrConnection', 'must have a query() method (a mysql2 Pool or Connection)', typeof target);
  const run = async (on: Mysql2PromiseLike, sql: string, params: readonly SqlParam[]): Promise<ExecResult> => {
    const [result] = await on.query({ sql, values: [...params], supportBigNumbers: true, bigNumberStrings: true });
    if (Array.isArray(result)) return { rows: result as Array<Record<string, unknown>>, affectedRows: 0 };
    const header = result as { affectedRows?: number };
    return { rows: [], affectedRows: Number(header.affectedRows ?? 0) };
  };
  if (typeof api.getConnection !== 'function') return { query: (sql, params) => run(api, sql, params) };
  const pool = api as Required<Mysql2PromiseLike>;
  return {
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      const conn = await pool.getConnection();
      try {
        return await run(conn, sql, params);
      } catch (err) {
        if (!LATCHED.test(err instanceof Error ? err.message : String(err))) throw err;
        await conn.query({ sql: 'rollback' });
        return await run(conn, sql, params);
      } finally {
        conn.release();
      }
    },
  };
}

/**
 * vtgate latches a session whose transaction failed fatally — also the implicit
 * one of an autocommit write to several shards, when a shard's MySQL restarts
 * under it — and refuses every statement on it with VT09032 until a ROLLBACK.
 * A pool would hand that connection out again and again (seen: every ack after
 * a mysqld restart failing for minutes), so on a pool the statement runs on a
 * connection taken for it, and on VT09032 that connection is rolled back and
 * the statement, which did not run, runs once more. A connection the caller
 * gave (their transaction) is theirs to roll back.
 */
const LATCHED = /\bVT09032\b/;

// What every ORM-free entry point offers besides its adapter (listed by name there).
export * from './operations-entry';
