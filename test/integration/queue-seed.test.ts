/**
 * The seed-compatible Queue (the Go client's NewQueue/Add/AddScheduled/Ack/Nack/Fail)
 * on the real 2-shard Vitess, through mysql2.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { InvalidOptionError } from '../../src/core/errors';
import { getMessages } from '../../src/core/operations';
import { nowNs } from '../../src/core/time';
import { Queue } from '../../src/queue';
import { TableStream } from '../helpers/stream-table';
import { countRows, producerTable } from '../helpers/producer-harness';
import { closePool, vtgatePool } from '../helpers/vitess';

after(closePool);

test('queue-seed: add, addScheduled (ns), ack, nack and fail work as the Go client\'s did, inside a caller\'s transaction too', async () => {
  const t = await producerTable('q_seed', { ackWaitS: 30, pollerIntervalS: 0.5 });
  const stream = await TableStream.open(t.keyspace, t.table);
  const ex = fromMysql2(vtgatePool());
  try {
    const queue = new Queue(t.table, ['body', 'note'], { keyspace: t.keyspace });
    assert.equal(queue.name, t.table);

    // Add inside a transaction that rolls back: nothing.
    const conn = await vtgatePool().getConnection();
    try {
      await conn.beginTransaction();
      await queue.add(fromMysql2(conn), 11n, { n: 0 }, 'rb');
      await conn.rollback();
    } finally {
      conn.release();
    }
    assert.equal(await countRows(t.qualified, 'id = 11'), 0);

    assert.equal(await queue.add(ex, 1n, { n: 1 }, 'one'), '1');
    assert.equal(await queue.add(ex, '2', { n: 2 }, null), '2');
    const dueNs = nowNs() + 2_000_000_000n;
    assert.equal(await queue.addScheduled(ex, 3n, dueNs, { n: 3 }, 'three'), '3');
    await stream.waitFor((s) => s.counts().has('1') && s.counts().has('2'), 10_000, 'the added messages');
    assert.deepEqual(stream.deliveries.find((d) => d.row.id === '1')!.row.body, { n: 1 });
    await stream.waitFor((s) => s.counts().has('3'), 10_000, 'the scheduled message');
    // Judged by arrival time, not by when the test looked (a loaded machine may look late).
    assert.ok(BigInt(stream.deliveries.find((d) => d.row.id === '3')!.at) * 1_000_000n >= dueNs - 1_000_000n, 'not before its time');

    assert.equal(await queue.ack(ex, 1n), 1);
    assert.equal(await queue.ack(ex, 1n), 0, 'a second ack changes nothing');
    assert.equal(await queue.nack(ex, { id: 2n, epoch: 0 }), 1);
    await stream.waitFor((s) => (s.counts().get('2') ?? 0) >= 2, 10_000, 'the nacked message again (long before the 30 s ack wait)');
    assert.equal(await queue.fail(ex, 3n, 'gave up'), 1);
    const states = await getMessages(ex, queue.spec, ['1', '2', '3']);
    assert.deepEqual(states.map((s) => [s.id, s.state]).sort(), [['1', 'acked'], ['2', 'pending'], ['3', 'failed']]);
    assert.equal(states.find((s) => s.id === '3')!.reason, 'gave up');

    await assert.rejects(queue.add(ex, 4n, { n: 4 }), InvalidOptionError, 'one value per field');
    await assert.rejects(queue.add(ex, 4 as never, { n: 4 }, 'x'), InvalidOptionError, 'never a JS number id');
    assert.throws(() => new Queue('bad name', ['a']), InvalidOptionError);
    assert.throws(() => new Queue('t', ['a`b']), InvalidOptionError);
    await queue.ack(ex, 2n);
  } finally {
    await stream.close();
    await t.drop();
  }
});
