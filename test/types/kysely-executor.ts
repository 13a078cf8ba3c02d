/**
 * Compile-time test: `fromKysely` takes Kysely's own types (an instance, a
 * transaction, a controlled transaction) without a cast. Nothing here runs.
 */
import type { ControlledTransaction, Kysely, Transaction } from 'kysely';
import { fromKysely } from '../../src/adapters/kysely';
import type { Executor } from '../../src/core/executor';

interface Db {
  orders: { id: string; label: string };
}

export function kyselyExecutors(db: Kysely<Db>, trx: Transaction<Db>, controlled: ControlledTransaction<Db>): Executor[] {
  // @ts-expect-error a Kysely query builder is not a Kysely instance
  fromKysely(db.selectFrom('orders'));
  return [fromKysely(db), fromKysely(trx), fromKysely(controlled)];
}
