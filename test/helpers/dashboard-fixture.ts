/**
 * A message table in every state, for the dashboard tests: due messages (one
 * due since a minute ago), scheduled, in flight, failed with reasons, acked.
 * The in-flight one is made by SQL as the tablet leaves a sent message
 * (`epoch` 1, `time_next` an hour on) rather than by streaming it: a stream
 * closed a moment ago can still be the tablet's subscriber and take the due
 * messages enqueued next (seen here). queue-admin.test.ts covers a streamed one.
 */
import { fromMysql2 } from '../../src/adapters/mysql2';
import type { Executor } from '../../src/core/executor';
import { ack, enqueue, enqueueMany, fail } from '../../src/core/operations';
import type { ShardConnection } from '../../src/core/queue-admin';
import { mysql2Harness, producerTable, type TestTable } from './producer-harness';
import { vtgatePool } from './vitess';

export interface StatefulTable {
  readonly tt: TestTable;
  readonly x: Executor;
  /** `keyspace.table`, as the dashboard names it. */
  readonly key: string;
  readonly due: string[];
  readonly scheduled: string[];
  readonly inFlight: string;
  /** Failed with reasons `poison 1`, `poison 2`, `<b>poison</b> 3` (markup a page must show as text). */
  readonly failed: string[];
  readonly acked: string[];
}

/** A connection of its own from the shared pool, destroyed afterwards (its session targets a shard). */
export async function openShardConnection(): Promise<ShardConnection> {
  const conn = await vtgatePool().getConnection();
  return { executor: fromMysql2(conn), close: () => conn.destroy() };
}

export const FAILED_REASONS = ['poison 1', 'poison 2', '<b>poison</b> 3'] as const;

export async function statefulTable(prefix: string): Promise<StatefulTable> {
  const tt = await producerTable(prefix, { ackWaitS: 3600 });
  const x = mysql2Harness().executor();
  const inFlight = await enqueue(x, tt.spec, { body: { state: 'in-flight' } }, { delay: '1h' });
  await x.query(`update ${tt.qualified} set epoch = 1 where id = ?`, [inFlight]);
  const due = await enqueueMany(x, tt.spec, [1, 2, 3].map((n) => ({ payload: { body: { state: 'due', n } } })));
  due.push(await enqueue(x, tt.spec, { body: { state: 'due' }, note: 'past' }, { deliverAt: Date.now() - 60_000 }));
  const scheduled = await enqueueMany(x, tt.spec, [1, 2].map((n) => ({ payload: { body: { state: 'scheduled', n } }, delay: '1h' as const })));
  const failed = await enqueueMany(x, tt.spec, FAILED_REASONS.map((_, n) => ({ payload: { body: { state: 'failed', n } } })));
  for (const [i, id] of failed.entries()) {
    if ((await fail(x, tt.spec, id, { reason: FAILED_REASONS[i]! })) !== 1) throw new Error(`fail ${id} changed nothing`);
  }
  const acked = await enqueueMany(x, tt.spec, [1, 2].map((n) => ({ payload: { body: { state: 'acked', n } } })));
  if ((await ack(x, tt.spec, acked)) !== 2) throw new Error('ack changed fewer than 2');
  return { tt, x, key: `${tt.keyspace}.${tt.table}`, due, scheduled, inFlight, failed, acked };
}
