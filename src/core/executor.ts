/**
 * The one seam between this library and a database client: run a statement with
 * positional `?` parameters. Adapters turn a TypeORM EntityManager/QueryRunner, a
 * mysql2 Pool/Connection or a Prisma transaction client into an Executor.
 *
 * An Executor given by the caller is used as it is: the library never issues
 * BEGIN, COMMIT or ROLLBACK on it, so every operation joins the caller's
 * transaction when there is one.
 */
export interface Executor {
  /**
   * Runs `sql` with `params` bound to its `?` placeholders (values always travel
   * as parameters, never spliced into the text).
   */
  query(sql: string, params: readonly SqlParam[]): Promise<ExecResult>;
}

/** What a statement may bind: 64-bit integers go as decimal strings. */
export type SqlParam = string | number | null | Buffer | Date | boolean;

/** What an {@link Executor} returns for one statement: rows for a read, a count for a write. */
export interface ExecResult {
  /** Rows of a SELECT (empty for writes). */
  readonly rows: ReadonlyArray<Record<string, unknown>>;
  /**
   * Rows matched by a write. Through vtgate, clients that set CLIENT_FOUND_ROWS
   * (mysql2, TypeORM) count matched rows, and vtgate sends no "Changed:" info, so
   * the library's UPDATEs are written so that every matched row changes.
   */
  readonly affectedRows: number;
}

/** A statement and its parameters, as the pure builders in `core/sql/` return them. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly SqlParam[];
}
