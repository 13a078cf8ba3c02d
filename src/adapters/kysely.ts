/**
 * `vitess-messages/kysely`: the producer operations for Kysely users (its MySQL
 * dialect, on vtgate's MySQL port). Structural types only: this file never
 * loads kysely (the caller already has).
 */
import type { ExecResult, Executor, SqlParam } from '../core/executor';
import { InvalidOptionError } from '../core/errors';

/**
 * The parts of Kysely's `CompiledQuery` its executor reads: the text, the
 * parameters, the operation node (a raw one: plugins see it) and a query id.
 */
export interface KyselyCompiledQueryLike {
  /** The statement, with `?` placeholders. */
  readonly sql: string;
  /** The values of the placeholders, in order. */
  readonly parameters: readonly unknown[];
  /** A raw operation node holding the whole statement, as `CompiledQuery.raw` makes. */
  readonly query: { readonly kind: 'RawNode'; readonly sqlFragments: readonly string[]; readonly parameters: readonly unknown[] };
  /** An id of the query (Kysely's plugins key their state by it). */
  readonly queryId: { readonly queryId: string };
}

/** What a Kysely query result carries that we read (`numAffectedRows` is a bigint on the MySQL dialect). */
export interface KyselyQueryResultLike {
  /** Rows of a read; empty for a write. */
  readonly rows: readonly unknown[];
  /** Rows a write matched (mysql2 through vtgate counts matched rows); absent for a read. */
  readonly numAffectedRows?: bigint;
}

/**
 * What we need from a `Kysely` instance or a `Transaction` (`trx` in
 * `db.transaction().execute(async (trx) => …)`, or a `ControlledTransaction`):
 * `executeQuery`, and `withoutPlugins` where it exists.
 */
export interface KyselyLike {
  /**
   * Kysely's takes a `CompiledQuery` (or a builder); we pass one built like
   * `CompiledQuery.raw(sql, params)`. Typed `never` so that Kysely's generic
   * signature matches without importing its types.
   */
  executeQuery(query: never): Promise<KyselyQueryResultLike>;
  /** The same instance or transaction without its plugins (Kysely 0.23+), so no plugin renames result columns. */
  withoutPlugins?(): KyselyLike;
}

let nextQueryId = 0;

/** Kysely's `CompiledQuery.raw(sql, params)`, built here so this entry needs no runtime import of kysely. */
function rawQuery(sql: string, params: readonly SqlParam[]): KyselyCompiledQueryLike {
  return Object.freeze({
    sql,
    parameters: Object.freeze([...params]),
    query: Object.freeze({ kind: 'RawNode' as const, sqlFragments: Object.freeze([sql]), parameters: Object.freeze([]) }),
    queryId: Object.freeze({ queryId: `vm${(nextQueryId++).toString(36)}` }),
  });
}

/**
 * An {@link Executor} on a Kysely instance or transaction using Kysely's MySQL
 * dialect (`MysqlDialect` over a mysql2 pool) on vtgate. Pass the `trx` of
 * `db.transaction().execute(async (trx) => …)` to enqueue or ack inside that
 * transaction; the library never begins, commits or rolls back. Statements run
 * through `executeQuery` as raw compiled queries, every value a parameter.
 *
 * Plugins are bypassed (`withoutPlugins()`): a `CamelCasePlugin` would rename
 * the columns the library reads back. 64-bit integers stay exact only when the
 * mysql2 pool returns them as strings: create it with `supportBigNumbers: true`
 * and `bigNumberStrings: true` (Kysely passes no per-query options); otherwise an
 * operation that reads an id or a timestamp above 2^53 throws
 * {@link InvalidOptionError} instead of using a rounded number. Errors are
 * mysql2's own (Kysely rethrows them with the caller's stack), so MySQL error
 * numbers classify as with mysql2.
 */
export function fromKysely(dbOrTransaction: KyselyLike): Executor {
  const target: unknown = dbOrTransaction;
  if (target === null || typeof target !== 'object' || typeof (target as KyselyLike).executeQuery !== 'function') {
    throw new InvalidOptionError('fromKysely', 'dbOrTransaction', 'must be a Kysely instance or transaction (with executeQuery)', target === null ? null : typeof target);
  }
  const given = target as KyselyLike;
  const db = typeof given.withoutPlugins === 'function' ? given.withoutPlugins() : given;
  return {
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      const result = await db.executeQuery(rawQuery(sql, params) as never);
      return {
        rows: result.rows as Array<Record<string, unknown>>,
        affectedRows: result.numAffectedRows === undefined ? 0 : Number(result.numAffectedRows),
      };
    },
  };
}

// What every ORM-free entry point offers besides its adapter (listed by name there).
export * from './operations-entry';
