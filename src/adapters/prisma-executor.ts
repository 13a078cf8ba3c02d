/**
 * `fromPrisma`: an Executor on a Prisma client or transaction client.
 * Structural types only: this file never loads @prisma/client.
 */
import type { ExecResult, Executor, SqlParam } from '../core/executor';
import { InvalidOptionError } from '../core/errors';

/**
 * What we need from a Prisma client or interactive-transaction client (`tx` in
 * `prisma.$transaction(async (tx) => …)`).
 */
export interface PrismaLike {
  /** Runs a write with positional parameters; resolves to the affected-row count. */
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
  /** Runs a read with positional parameters; resolves to the rows. */
  $queryRawUnsafe(query: string, ...values: unknown[]): PromiseLike<unknown>;
}

const READS = /^\s*(select|show|with)\b/i;

/**
 * An {@link Executor} on a Prisma client or interactive-transaction client. Pass
 * the `tx` of `prisma.$transaction(async (tx) => …)` to enqueue or ack inside that
 * transaction; the library never begins or commits one. Statements go through
 * `$executeRawUnsafe` / `$queryRawUnsafe` with every value as a parameter.
 *
 * Rows come back with 64-bit integers as bigint (Prisma's choice); the
 * operations turn them into decimal strings.
 *
 * @example
 * ```ts
 * import { enqueue, fromPrisma } from 'vitess-messages/prisma';
 *
 * await prisma.$transaction(async (tx) => {
 *   const order = await tx.order.create({ data });
 *   await enqueue(fromPrisma(tx), emails, { to: order.email }); // commits with the order
 * });
 * ```
 */
export function fromPrisma(txOrClient: PrismaLike): Executor {
  const target: unknown = txOrClient;
  if (
    target === null || typeof target !== 'object' ||
    typeof (target as PrismaLike).$executeRawUnsafe !== 'function' || typeof (target as PrismaLike).$queryRawUnsafe !== 'function'
  ) {
    throw new InvalidOptionError('fromPrisma', 'txOrClient', 'must be a Prisma client or transaction client ($executeRawUnsafe and $queryRawUnsafe)', typeof target);
  }
  const client = target as PrismaLike;
  return {
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      if (READS.test(sql)) {
        const rows = await client.$queryRawUnsafe(sql, ...params);
        return { rows: rows as Array<Record<string, unknown>>, affectedRows: 0 };
      }
      const affected = await client.$executeRawUnsafe(sql, ...params);
      return { rows: [], affectedRows: Number(affected) };
    },
  };
}
