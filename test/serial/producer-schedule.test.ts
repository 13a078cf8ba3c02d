/**
 * Scheduled delivery on the real 2-shard Vitess, in the serial phase: the bound
 * is about the tablet's poller, so it is measured on a quiet tablet. Seen here
 * with other tests' DDL running beside it: a shard's subscription goes missing
 * (right after CREATE TABLE the shard's tablet may not know the table yet, and a
 * schema reload restarts message managers) and vtgate resubscribes that shard
 * only 5-6 s later, so a message due meanwhile arrives that late.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { ack, enqueue, enqueueMany } from '../../src/core/operations';
import { TableStream } from '../helpers/stream-table';
import { producerTable } from '../helpers/producer-harness';
import { closePool, vtgatePool } from '../helpers/vitess';

after(closePool);

/** Enqueues one message due 2 s ahead (alone on its table) and returns when it was due and when it arrived. */
async function scheduleOne(prefix: string, options: { deliverAt: true } | { delay: '2s' }): Promise<{ earliest: number; latest: number; at: number }> {
  const t = await producerTable(prefix, { pollerIntervalS: 0.5 });
  const stream = await TableStream.open(t.keyspace, t.table);
  try {
    const ex = fromMysql2(vtgatePool());
    // Both shards subscribed first: right after CREATE TABLE a shard's tablet may
    // not know the table yet, and vtgate then retries that shard seconds later.
    const probes = await enqueueMany(ex, t.spec, Array.from({ length: 8 }, () => ({ payload: { body: 'probe' } })));
    await stream.waitFor((s) => probes.every((p) => s.counts().has(p)), 20_000, 'probes on both shards');
    await ack(ex, t.spec, probes);
    const earliest = Date.now() + 2000;
    const id = await enqueue(ex, t.spec, { body: { prefix } }, 'delay' in options ? { delay: options.delay } : { deliverAt: new Date(earliest) });
    const latest = 'delay' in options ? Date.now() + 2000 : earliest;
    await stream.waitFor((s) => s.counts().has(id), 15_000, `the message scheduled with ${Object.keys(options)[0]}`);
    const at = stream.deliveries.find((d) => d.row.id === id)!.at;
    await ack(ex, t.spec, id);
    return { earliest, latest, at };
  } finally {
    await stream.close();
    await t.drop();
  }
}

test('producer-schedule: a message scheduled 2 s ahead is not delivered before, and within poller interval + 1 s after', async () => {
  // One message per table: vttablet keeps a subscriber busy until the postpone of
  // its previous batch is done, so a second message on the same stream would
  // measure that postpone as well as the poller.
  const byDate = await scheduleOne('ps_at', { deliverAt: true });
  const byDelay = await scheduleOne('ps_delay', { delay: '2s' });
  for (const [name, r] of [['deliverAt', byDate], ['delay', byDelay]] as const) {
    assert.ok(r.at >= r.earliest, `${name}: not before (early by ${r.earliest - r.at} ms)`);
    assert.ok(r.at <= r.latest + 500 + 1000, `${name}: late by ${r.at - r.latest} ms`);
  }
});
