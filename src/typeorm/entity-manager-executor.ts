/**
 * The TypeORM side of the Executor seam. Structural types only, so the core
 * never imports TypeORM.
 */
import type { ExecResult, Executor, SqlParam } from '../core/executor';
import { InvalidOptionError } from '../core/errors';

/** What we need from a TypeORM EntityManager (or DataSource): `query(sql, params)`. */
export interface EntityManagerLike {
  /** TypeORM's raw query: rows for a read, the driver's result header for a write. */
  query(query: string, parameters?: unknown[]): Promise<unknown>;
  /** Set on a transactional manager (`manager.transaction(m => …)`). */
  readonly queryRunner?: QueryRunnerLike;
}

/** What we need from a TypeORM QueryRunner. */
export interface QueryRunnerLike {
  /** TypeORM's raw query with a structured result (`records`, `raw`, `affected`). */
  query(query: string, parameters: unknown[] | undefined, useStructuredResult: true): Promise<{ records?: unknown[]; raw?: unknown; affected?: number }>;
  /** The runner's EntityManager (how a QueryRunner is told from a manager). */
  readonly manager: unknown;
}

/**
 * An {@link Executor} on a TypeORM EntityManager or QueryRunner. Statements run
 * on the manager's own query runner, so inside `manager.transaction(m => …)`
 * (or on a QueryRunner after `startTransaction()`) they join that transaction;
 * the library never starts, commits or rolls one back.
 *
 * The MySQL driver of TypeORM reads bigint columns as strings by default
 * (`bigNumberStrings`), which keeps 64-bit ids exact; don't turn that off.
 */
export function fromEntityManager(managerOrQueryRunner: EntityManagerLike | QueryRunnerLike): Executor {
  const target: unknown = managerOrQueryRunner;
  if (target === null || typeof target !== 'object' || typeof (target as { query?: unknown }).query !== 'function') {
    throw new InvalidOptionError('fromEntityManager', 'managerOrQueryRunner', 'must be a TypeORM EntityManager or QueryRunner', typeof target);
  }
  // A QueryRunner has a `manager` and takes the structured-result flag; an
  // EntityManager hands its queryRunner (if any) to the DataSource.
  if ('manager' in target && 'connection' in target && !('withRepository' in target)) {
    const runner = target as unknown as QueryRunnerLike;
    return {
      async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
        const result = await runner.query(sql, [...params], true);
        return toResult(result.raw ?? result.records);
      },
    };
  }
  const manager = target as EntityManagerLike;
  return {
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      return toResult(await manager.query(sql, [...params]));
    },
  };
}

const executorByManager = new WeakMap<object, Executor>();

/**
 * {@link fromEntityManager}, made once per manager or runner and reused: an
 * executor holds no state (it calls `query` on its target at each statement),
 * so the queue handle, which resolves its manager at every call (the ambient
 * transaction's), need not build a new one per statement.
 */
export function managerExecutor(managerOrQueryRunner: EntityManagerLike | QueryRunnerLike): Executor {
  const target: unknown = managerOrQueryRunner;
  if (target === null || typeof target !== 'object') return fromEntityManager(managerOrQueryRunner); // its error
  let executor = executorByManager.get(target);
  if (!executor) executorByManager.set(target, (executor = fromEntityManager(managerOrQueryRunner)));
  return executor;
}

/** What we need from a TypeORM DataSource: a fresh query runner. */
export interface DataSourceLike {
  /** A query runner on its own pooled connection, released after each statement. */
  createQueryRunner(): QueryRunnerLike & { release(): Promise<void> };
}

/**
 * An {@link Executor} that runs each statement on a query runner of its own
 * (autocommit), as `dataSource.query` does without one — but never joins an
 * ambient transaction: typeorm-transactional replaces `dataSource.query` (and
 * `dataSource.manager`) on the instance so that they run in its CLS
 * transaction, and a subscriber's batched acks, nacks and lease extensions
 * (of many messages, from timers) must not land in whatever handler's
 * transaction was current when they were queued.
 */
export function fromDataSource(dataSource: DataSourceLike): Executor {
  if (dataSource === null || typeof dataSource !== 'object' || typeof dataSource.createQueryRunner !== 'function') {
    throw new InvalidOptionError('fromDataSource', 'dataSource', 'must be a TypeORM DataSource', typeof dataSource);
  }
  return {
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      const runner = dataSource.createQueryRunner();
      try {
        const result = await runner.query(sql, [...params], true);
        return toResult(result.raw ?? result.records);
      } finally {
        await runner.release();
      }
    },
  };
}

/** mysql2's raw result as TypeORM hands it back: rows for a SELECT, a header for a write. */
function toResult(raw: unknown): ExecResult {
  if (Array.isArray(raw)) return { rows: raw as Array<Record<string, unknown>>, affectedRows: 0 };
  const header = raw as { affectedRows?: number } | undefined;
  return { rows: [], affectedRows: Number(header?.affectedRows ?? 0) };
}
