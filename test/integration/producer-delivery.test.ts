/**
 * Delivery semantics of the producer operations on the real 2-shard Vitess
 * (through mysql2; the executor does not change what the tablet does):
 * priority and listFailed paging through a queue handle, as users call them;
 * the send-then-postpone race and a business-column vindex through the free
 * functions, whose statements those tests time and route.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { decodeRow, type StreamField } from '../../src/core/decode';
import { randomId } from '../../src/core/ids';
import { NEVER_NS } from '../../src/core/time';
import { ack, enqueue, enqueueMany, extend, fail, getMessages, nack } from '../../src/core/operations';
import { messageQueue } from '../../src/queue-handle';
import { VtgateGrpcTransport } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import { countByShard, onShard } from '../helpers/count-by-shard';
import { TableStream } from '../helpers/stream-table';
import { countRows, customerShardedTable, producerTable } from '../helpers/producer-harness';
import { closePool, vitess, vtgatePool, waitUntil } from '../helpers/vitess';

after(closePool);

test('producer-delivery: within a batch a lower priority value is delivered first (per shard)', async () => {
  const t = await producerTable('pd_prio', { batchSize: 100 });
  try {
    const jobs = messageQueue(t.spec, { executor: fromMysql2(vtgatePool()) });
    // Enqueued before anyone subscribes: the tablet loads the backlog ordered by priority.
    const items = Array.from({ length: 60 }, (_, i) => ({ payload: { body: { i } }, priority: i % 3 === 0 ? 1 : i % 3 === 1 ? 50 : 100 }));
    const ids = await jobs.enqueueMany(items);
    const priority = new Map(ids.map((id, i) => [id, items[i]!.priority]));
    const shardOf = new Map<string, string>();
    const conn = await vtgatePool().getConnection();
    try {
      for (const shard of ['-80', '80-']) {
        await conn.query(`use \`${t.keyspace}:${shard}\``);
        const [rows] = await conn.query({ sql: `select id from \`${t.table}\``, supportBigNumbers: true, bigNumberStrings: true });
        for (const r of rows as Array<{ id: string }>) shardOf.set(String(r.id), shard);
      }
    } finally {
      await conn.query(`use \`${t.keyspace}\``);
      conn.release();
    }
    const stream = await TableStream.open(t.keyspace, t.table);
    try {
      await stream.waitFor((s) => ids.every((id) => s.counts().has(id)), 10_000, 'all messages');
      for (const shard of ['-80', '80-']) {
        const order = stream.ids().filter((id) => shardOf.get(id) === shard).map((id) => priority.get(id)!);
        assert.ok(order.length > 5, `shard ${shard} has messages`);
        assert.deepEqual(order, [...order].sort((a, b) => a - b), `shard ${shard} delivered in priority order`);
      }
      assert.equal(await jobs.ack(ids), ids.length);
    } finally {
      await stream.close();
    }
  } finally {
    await t.drop();
  }
});

test('producer-delivery: fail and nack issued the instant a message is streamed hold against the tablet\'s postpone', async () => {
  const t = await producerTable('pd_race', { ackWaitS: 1, minBackoffS: 0.5 });
  const transport = new VtgateGrpcTransport({ address: vitess.grpcAddr });
  const ex = fromMysql2(vtgatePool());
  const call = transport.stream({ sql: `stream * from \`${t.keyspace}\`.\`${t.table}\``, target: `${t.keyspace}@primary`, table: t.table });
  const seen = new Map<string, number>();
  const settled: Array<Promise<number>> = [];
  const failIds = new Set<string>();
  const nackIds = new Set<string>();
  let control = '';
  let fields: readonly StreamField[] = [];
  const reading = (async () => {
    for await (const packet of call) {
      if (packet.fields) fields = packet.fields;
      for (const raw of packet.rows ?? []) {
        const row = decodeRow(fields, raw);
        const id = String(row.id);
        seen.set(id, (seen.get(id) ?? 0) + 1);
        // Zero delay: issued from the stream callback, before the next packet is read.
        if (failIds.has(id)) settled.push(fail(ex, t.spec, { id, epoch: Number(row.epoch) }, { reason: 'instant' }));
        else if (nackIds.has(id)) settled.push(nack(ex, t.spec, { id, epoch: Number(row.epoch) }, { delay: '60s' }));
      }
    }
  })().catch((err: unknown) => err);
  try {
    await waitUntil(() => fields.length > 0, 10_000, 'the fields packet');
    // Roles are set before the rows exist, so the reader knows each one on arrival.
    const ids = Array.from({ length: 41 }, () => randomId().toString());
    control = ids[40]!;
    ids.slice(0, 20).forEach((id) => failIds.add(id));
    ids.slice(20, 40).forEach((id) => nackIds.add(id));
    const issuedAfterMs = Date.now();
    await enqueueMany(ex, t.spec, ids.map((id, i) => ({ id, payload: { body: { i } } })));
    await waitUntil(() => ids.every((id) => seen.has(id)), 10_000, 'first deliveries');
    await waitUntil(() => settled.length === 40 || undefined, 10_000, 'every fail/nack issued');
    const counts = await Promise.all(settled);
    assert.deepEqual(counts, new Array(40).fill(1), 'each fail/nack matched its message once the postpone landed');
    // Several ack waits pass (the control comes back 3 times): a fail or nack
    // overwritten by the postpone would have come back too.
    await waitUntil(() => (seen.get(control) ?? 0) >= 3, 20_000, 'the control three times');
    for (const id of ids.slice(0, 40)) assert.equal(seen.get(id), 1, `${id} was not sent again`);
    const statuses = await getMessages(ex, t.spec, ids.slice(0, 40));
    const byId = new Map(statuses.map((s) => [s.id, s]));
    for (const id of failIds) assert.equal(byId.get(id)!.state, 'failed');
    // Each nack set now + 60 s, later than this bound; a postpone would have set now + ~1.5 s.
    const bound = BigInt(issuedAfterMs + 60_000) * 1_000_000n;
    for (const id of nackIds) assert.ok(BigInt(byId.get(id)!.timeNextNs!) >= bound, 'the nack delay held');
  } finally {
    call.cancel();
    await reading;
    transport.close();
    await t.drop();
  }
});

test('producer-delivery: extend with the streamed epoch holds a lease past the ack wait; without a match it returns 0', async () => {
  const t = await producerTable('pd_lease', { ackWaitS: 1 });
  const stream = await TableStream.open(t.keyspace, t.table);
  const ex = fromMysql2(vtgatePool());
  try {
    const [held, control] = await enqueueMany(ex, t.spec, [{ payload: { body: 1 } }, { payload: { body: 2 } }]);
    await stream.waitFor((s) => s.counts().has(held!) && s.counts().has(control!), 10_000, 'first deliveries');
    assert.equal(await extend(ex, t.spec, { id: held!, epoch: 0 }, { by: '60s' }), 1);
    assert.equal(await extend(ex, t.spec, { id: held!, epoch: 5 }, { by: '60s', raceWait: 50 }), 0, 'a stale epoch matches nothing');
    await stream.waitFor((s) => (s.counts().get(control!) ?? 0) >= 2, 15_000, 'the control back');
    assert.equal(stream.counts().get(held!), 1);
    await ack(ex, t.spec, [held!, control!]);
    assert.equal(await extend(ex, t.spec, held!, { by: '60s' }), 0, 'an acked message keeps no lease');
  } finally {
    await stream.close();
    await t.drop();
  }
});

test('producer-delivery: on a table sharded by a business column, the same id + customer twice keeps one message and an ack with the customer reaches its shard only', async () => {
  const t = await customerShardedTable('pd_cust');
  const stream = await TableStream.open(t.keyspace, t.table);
  const ex = fromMysql2(vtgatePool());
  try {
    const id = (2n ** 60n + 3n).toString();
    assert.equal(await enqueue(ex, t.spec, { customerId: '42', payload: { v: 1 } }, { id }), id);
    assert.equal(await enqueue(ex, t.spec, { customerId: 42, payload: { v: 2 } }, { id }), id);
    assert.equal(await countRows(t.qualified, 'id = ?', [id]), 1);
    await stream.waitFor((s) => s.counts().has(id), 10_000, 'the message');
    const row = stream.deliveries[0]!.row;
    assert.deepEqual([row.customer_id, row.payload], ['42', { v: 1 }]);

    // Routing, shown by which shard's rows change: a decoy with the same id and
    // customer is planted on the other shard (a shard-targeted insert bypasses
    // the vindex), failed so it is never delivered. An ack routed by customer
    // reaches the customer's shard only; a scattered ack would ack the decoy too.
    const placed = await countByShard(t.keyspace, t.table, 'id = ?', [id]);
    const home = Object.keys(placed).find((shard) => placed[shard] === 1)!;
    const other = Object.keys(placed).find((shard) => shard !== home)!;
    assert.deepEqual(placed, { [home]: 1, [other]: 0 });
    await onShard(t.keyspace, other, (conn) => conn.query(`insert into \`${t.table}\` (id, customer_id, time_next, payload) values (?, ?, ?, ?)`, [id, '42', NEVER_NS.toString(), '{"decoy":true}']));
    const acked = (): Promise<Record<string, number>> => countByShard(t.keyspace, t.table, 'id = ? and time_acked is not null', [id]);
    assert.equal(await ack(ex, t.spec, { id, vindexValue: 42n }), 1);
    assert.deepEqual(await acked(), { [home]: 1, [other]: 0 }, 'the ack reached the customer\'s shard only');
    // The control: an ack by id alone scatters and acks the decoy, so the counts can tell.
    assert.equal(await ack(ex, t.spec, id), 1);
    assert.deepEqual(await acked(), { [home]: 1, [other]: 1 });
    assert.deepEqual((await getMessages(ex, t.spec, id)).map((m) => m.state), ['acked', 'acked']);
  } finally {
    await stream.close();
    await t.drop();
  }
});

test('producer-delivery: listFailed pages through failed messages by id with their reasons', async () => {
  const t = await producerTable('pd_list');
  const jobs = messageQueue(t.spec, { executor: fromMysql2(vtgatePool()) });
  try {
    // Bodies include JSON strings that look like JSON: they must come back as the strings they are.
    const bodies: unknown[] = ['123', { i: 1 }, '{"x":1}', null, [4], 'five', 6];
    const ids = await jobs.enqueueMany(bodies.map((body, i) => ({ payload: { note: `n${i}`, body }, deliverAt: Date.now() + 3_600_000 })));
    const failed = ids.slice(0, 5);
    for (const [i, id] of failed.entries()) assert.equal(await jobs.fail(id, { reason: `reason ${i}` }), 1);
    const seen: string[] = [];
    let after: string | undefined;
    const sizes: number[] = [];
    for (;;) {
      const page = await jobs.listFailed({ limit: 2, ...(after ? { after } : {}) });
      sizes.push(page.messages.length);
      for (const m of page.messages) {
        seen.push(m.id);
        assert.equal(m.reason, `reason ${failed.indexOf(m.id)}`);
        assert.equal(m.payload.note, `n${ids.indexOf(m.id)}`);
        assert.deepEqual(m.payload.body, bodies[ids.indexOf(m.id)]);
      }
      if (!page.next) break;
      after = page.next;
    }
    assert.deepEqual(seen, [...failed].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    assert.deepEqual(sizes.slice(0, 3), [2, 2, 1]);
  } finally {
    await t.drop();
  }
});
