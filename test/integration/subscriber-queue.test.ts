/**
 * The seed-compatible Queue's receiving half on the real Vitess: open, get
 * (honouring an abort signal without losing a message), ack/nack through the
 * Queue, close.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { randomId } from '../../src/core/ids';
import { Queue } from '../../src/queue';
import { countAcked, createSpecTable, poolExecutor } from '../helpers/subscriber-fixtures';
import { closePool, dropTable, vitess } from '../helpers/vitess';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await closePool();
});

test('Queue.open / get / close: receive, ack and nack through the Queue; get honours an abort signal and loses nothing', async () => {
  const { table, keyspace, qualified } = await createSpecTable('sub_queue', { ackWaitS: 30 });
  cleanup.push(() => dropTable(keyspace, table));
  const exec = poolExecutor();
  const q = new Queue(table, ['payload'], { keyspace });
  const ids = [randomId(), randomId(), randomId()].map(String);
  for (const [i, id] of ids.entries()) await q.add(exec, id, { n: i, text: 'héllo' });

  q.open(vitess.grpcAddr, `${keyspace}@primary`, { executor: exec, maxConcurrent: 2 });
  cleanup.push(() => q.close());
  const got = [];
  for (let i = 0; i < 3; i++) {
    const m = await q.get({ signal: AbortSignal.timeout(15_000) });
    got.push(m);
    assert.deepEqual(m.values, [m.fields.payload]);
    assert.equal((m.fields.payload as { text: string }).text, 'héllo');
    if (i === 0) assert.equal(await q.nack(exec, m.id), 1, 'nack of a just-streamed message (epoch-guarded) re-queues it');
    else assert.equal(await q.ack(exec, m.id), 1);
  }
  // The nacked one is back at once (a 30 s ack wait could not explain it), epoch 1.
  const again = await q.get({ signal: AbortSignal.timeout(15_000) });
  assert.equal(again.id, got[0]!.id);
  assert.equal(again.epoch, 1);
  assert.equal(await q.ack(exec, again.id), 1);
  assert.deepEqual(new Set(got.map((m) => m.id)), new Set(ids));

  // Nothing is due: an aborted get rejects with the signal's reason...
  const ac = new AbortController();
  const pending = q.get({ signal: ac.signal });
  ac.abort(new Error('stop waiting'));
  await assert.rejects(pending, /stop waiting/);
  // ...and the message that arrives later goes to the next get().
  const late = randomId().toString();
  await q.add(exec, late, { n: 9, text: 'late' });
  const m = await q.get({ signal: AbortSignal.timeout(15_000) });
  assert.equal(m.id, late);
  await q.ack(exec, m.id);

  await q.close();
  await q.close(); // idempotent
  assert.equal(await countAcked(qualified), 4);
  await assert.rejects(q.get(), /open\(\) first/);
});

test('Queue receiver: ten redeliveries of messages still outstanding and failed nacks/fails leak no capacity (maxConcurrent 2)', async () => {
  const { table, keyspace } = await createSpecTable('sub_queue_leak', { ackWaitS: 1, minBackoffS: 0.5 });
  cleanup.push(() => dropTable(keyspace, table));
  const exec = poolExecutor();
  const down = { query: () => Promise.reject(new Error('connection down')) };
  const q = new Queue(table, ['payload'], { keyspace });
  q.open(vitess.grpcAddr, `${keyspace}@primary`, { executor: exec, maxConcurrent: 2 });
  cleanup.push(() => q.close());
  // Each message is got and left outstanding until the tablet sends it again
  // (its ack wait passed); the second copy is then acked through the Queue.
  for (let round = 0; round < 10; round++) {
    const id = randomId().toString();
    await q.add(exec, id, { round });
    const first = await q.get({ signal: AbortSignal.timeout(15_000) });
    assert.equal(first.id, id);
    const second = await q.get({ signal: AbortSignal.timeout(15_000) });
    assert.equal(second.id, id, `round ${round}: the redelivered copy`);
    assert.equal(second.epoch, first.epoch + 1);
    assert.equal(await q.ack(exec, id), 1);
  }
  // A nack or fail whose statement fails leaves the message to come back after its ack wait.
  for (let round = 0; round < 3; round++) {
    const id = randomId().toString();
    await q.add(exec, id, { round });
    assert.equal((await q.get({ signal: AbortSignal.timeout(15_000) })).id, id);
    await assert.rejects(round % 2 === 0 ? q.nack(down, id) : q.fail(down, id, 'no'), /connection down/);
    assert.equal((await q.get({ signal: AbortSignal.timeout(15_000) })).id, id);
    assert.equal(await q.ack(exec, id), 1);
  }
  assert.equal(q.stats()?.inFlight, 0);
  await q.close();
});
