/**
 * "Why wasn't message X delivered?" on the real 2-shard Vitess: each answer of
 * `explainMessage` is built as a state first (rolled back, acked, failed,
 * scheduled, streamed and left unacked, due in a table the tablet does not
 * load, due with no subscriber), and the answer names it, with the shard the
 * row lives on as the shard databases say. vtcombo merges its tablets'
 * counters, so "no subscriber on that shard" is tested as "no subscriber".
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainMessage, formatExplanation } from '../../src/admin/explain';
import { listMessageTables } from '../../src/admin/tables';
import { readTablets, type TabletCounters } from '../../src/admin/tablet-counters';
import { ack, enqueue, fail, getMessages } from '../../src/core/operations';
import { countByShard } from '../helpers/count-by-shard';
import { mysql2Harness, producerTable } from '../helpers/producer-harness';
import { TableStream } from '../helpers/stream-table';
import { closePool, debugVars, uniqueName, vitess, vtgatePool, waitUntil, runSchemaSql } from '../helpers/vitess';

test.after(() => closePool());

/** The shard whose database holds the row, read on each shard. */
async function shardHolding(keyspace: string, table: string, id: string): Promise<string> {
  const [shard] = Object.entries(await countByShard(keyspace, table, 'id = ?', [id])).find(([, n]) => n === 1) ?? [];
  assert.ok(shard, `row ${id} on some shard`);
  return shard;
}

test('explain: no such table; no such row after a rollback; acked; failed with its reason; scheduled — each with its shard', async (t) => {
  const tt = await producerTable('ex_states', { ackWaitS: 3600 });
  t.after(() => tt.drop());
  const h = mysql2Harness();
  const x = h.executor();

  const missing = await explainMessage(x, { keyspace: tt.keyspace, table: `${tt.table}_none` }, '42');
  assert.equal(missing.state, 'no-table');
  assert.match(missing.summary, /There is no table/);

  let rolledBack = '';
  await assert.rejects(h.transaction(async (tx) => {
    rolledBack = await enqueue(tx, tt.spec, { body: { n: 1 } });
    throw new Error('roll back');
  }), /roll back/);
  assert.equal((await getMessages(x, tt.spec, rolledBack)).length, 0, 'the rollback left no row');
  const gone = await explainMessage(x, tt.spec, rolledBack);
  assert.equal(gone.state, 'no-such-row');
  assert.match(gone.summary, /^No message \d+ in commerce\.\w+ \(it would live on shard (-80|80-)\): it was never committed .*rolled back.*purged after purgeAfter \(1d\)/);
  assert.ok(gone.shard === '-80' || gone.shard === '80-', `a hash vindex on id tells the shard it would live on (${gone.shard})`);

  const acked = await enqueue(x, tt.spec, { body: { n: 2 } });
  assert.equal(await ack(x, tt.spec, acked), 1);
  const a = await explainMessage(x, tt.spec, acked);
  assert.equal(a.state, 'acked');
  assert.equal(a.shard, await shardHolding(tt.keyspace, tt.table, acked));
  const [status] = await getMessages(x, tt.spec, acked);
  assert.equal(a.facts.timeAckedNs, status!.timeAckedNs);
  assert.equal(BigInt(a.facts.purgeAtNs!) - BigInt(a.facts.timeAckedNs!), 86_400_000_000_000n, 'purged a day after the ack');
  assert.match(a.summary, new RegExp(`acked at ${new Date(Number(BigInt(status!.timeAckedNs!) / 1_000_000n)).toISOString()}`));

  const failed = await enqueue(x, tt.spec, { body: { n: 3 } });
  assert.equal(await fail(x, tt.spec, failed, { reason: 'card declined' }), 1);
  const f = await explainMessage(x, { keyspace: tt.keyspace, table: tt.table }, BigInt(failed));
  assert.equal(f.state, 'failed');
  assert.equal(f.shard, await shardHolding(tt.keyspace, tt.table, failed));
  assert.equal(f.facts.reason, 'card declined');
  assert.ok(f.facts.failedAtNs);
  assert.match(f.summary, /failed at .* ago\) after 0 deliveries on shard (-80|80-): card declined\./);

  const scheduled = await enqueue(x, tt.spec, { body: { n: 4 } }, { delay: '1h' });
  const s = await explainMessage(x, tt.spec, scheduled);
  assert.equal(s.state, 'scheduled');
  assert.equal(s.shard, await shardHolding(tt.keyspace, tt.table, scheduled));
  assert.ok(s.facts.dueInMs! > 59 * 60_000 && s.facts.dueInMs! <= 3_600_000, `due in ${s.facts.dueInMs} ms`);
  assert.match(s.summary, /scheduled for .*\(in (59m|1h)/);
  assert.match(formatExplanation(s), /state +scheduled/);
});

test('explain: in flight after a delivery, with its lease and the tablet\'s backoff', async (t) => {
  const tt = await producerTable('ex_flight', { ackWaitS: 3600 });
  t.after(() => tt.drop());
  const x = mysql2Harness().executor();
  const stream = await TableStream.open(tt.keyspace, tt.table);
  let id = '';
  try {
    id = await enqueue(x, tt.spec, { body: { n: 1 } });
    await stream.waitFor((s) => s.ids().includes(id), 20_000, 'the delivery');
  } finally {
    await stream.close();
  }
  await waitUntil(async () => (await getMessages(x, tt.spec, id))[0]?.epoch === 1, 20_000, 'the tablet\'s postpone');
  const e = await explainMessage(x, tt.spec, id);
  assert.equal(e.state, 'in-flight');
  assert.equal(e.facts.epoch, 1);
  assert.equal(e.shard, await shardHolding(tt.keyspace, tt.table, id));
  assert.deepEqual(e.facts.backoffMs, { min: 500, max: 667 }, 'minBackoff 0.5 s × [0.667, 1.333), at least minBackoff');
  assert.ok(e.facts.dueInMs! > 3_500_000, `the lease runs for the hour-long ack wait (${e.facts.dueInMs} ms)`);
  assert.match(e.summary, /in flight .*sent 1 time \(attempt 1\).*ack wait \(1h\)/);
});

test('explain: due in a table the tablet does not load as a message table — its comment', async (t) => {
  const table = uniqueName('ex_plain');
  const qualified = `\`${vitess.sharded}\`.\`${table}\``;
  const db = vtgatePool();
  await runSchemaSql((sql) => db.query(sql), [`alter vschema on ${qualified} add vindex hash(id) using hash`]);
  // The shape of a message table, but its comment lacks vt_poller_interval: vttablet refuses to load it.
  await db.query(`create table ${qualified} (id bigint not null, priority tinyint not null default 50, epoch bigint not null default 0,
    time_next bigint null default 0, time_acked bigint null, payload json, primary key (id))
    comment 'vitess_message,vt_ack_wait=30,vt_purge_after=86400,vt_batch_size=10,vt_cache_size=100'`);
  t.after(async () => {
    await db.query(`drop table if exists ${qualified}`);
    await db.query(`alter vschema on ${qualified} drop vindex hash`).catch(() => undefined);
  });
  await waitUntil(async () => (await db.query(`show vschema vindexes on ${qualified}`).then(([r]) => (r as unknown[]).length, () => 0)) > 0, 15_000, 'the vindex');
  await db.query(`insert into ${qualified} (id, payload) values (?, '{}')`, ['1234567890123456789']);

  const e = await explainMessage(vtgateExecutor(), { keyspace: vitess.sharded, table }, '1234567890123456789');
  assert.equal(e.state, 'not-a-message-table');
  assert.equal(e.facts.loadProblem, 'attribute vt_poller_interval not specified for message table');
  assert.match(e.summary, /does not load .* as a message table \(attribute vt_poller_interval not specified .*comment: "vitess_message,vt_ack_wait=30/);
  assert.equal(e.shard, await shardHolding(vitess.sharded, table, '1234567890123456789'));
  const [info] = await listMessageTables(vtgateExecutor(), { keyspace: vitess.sharded, table });
  assert.deepEqual([info!.loaded, info!.missingBookkeeping], [false, ['failure_reason', 'enqueued_at', 'failed_at']]);
});

test('explain: due with no subscriber (the tablet counts none); unknown without the tablet; a connected stream is counted', async (t) => {
  const tt = await producerTable('ex_nosub', { ackWaitS: 3600 });
  t.after(() => tt.drop());
  const x = mysql2Harness().executor();
  const id = await enqueue(x, tt.spec, { body: { n: 1 } }, { deliverAt: Date.now() - 60_000 });

  const e = await explainMessage(x, tt.spec, id, { tabletHttp: vitess.httpUrl! });
  assert.equal(e.state, 'no-subscriber');
  assert.equal(e.facts.tablet?.merged, true, 'vtcombo merges its tablets');
  assert.match(e.summary, /due since .* ago\) on shard (-80|80-), but no subscriber is connected: the tablet at http:\/\/127\.0\.0\.1:\d+ counts 0 receivers/);
  assert.ok(e.facts.dueInMs! <= -59_000, 'due a minute ago');
  assert.equal(e.shard, await shardHolding(tt.keyspace, tt.table, id));

  const unknown = await explainMessage(x, tt.spec, id);
  assert.equal(unknown.state, 'due');
  assert.match(unknown.summary, /whether a subscriber is connected is unknown/);

  // A receiver connected: the tablet counts it (and takes the message at once, so the row's state moves on).
  const stream = await TableStream.open(tt.keyspace, tt.table);
  try {
    await stream.waitFor((s) => s.ids().includes(id), 20_000, 'the delivery');
    // vtcombo's merged gauge is whichever shard's manager wrote it last, and a
    // manager reopened by another test's DDL writes 0 until the stream
    // resubscribes: so the listing is polled until it counts the receiver.
    await waitUntil(async () => {
      const [info] = await listMessageTables(x, { keyspace: tt.keyspace, table: tt.table, tabletHttp: vitess.httpUrl! });
      return info!.counters!.clientCount! >= 1 && info!.counters!.sent! >= 1;
    }, 20_000, 'the listing to count the receiver and the send');
  } finally {
    await stream.close();
  }
});

/** The tablet's receiver count for a table (vtcombo: merged over its tablets). */
async function clientCount(table: string): Promise<number> {
  return ((await debugVars())['Messages'] as Record<string, number>)[`${table}.ClientCount`] ?? 0;
}

test('explain: due again after an unacked delivery (its lease and backoff ran out); due with a subscriber counted', async (t) => {
  const tt = await producerTable('ex_again', { ackWaitS: 1 });
  t.after(() => tt.drop());
  const x = mysql2Harness().executor();
  const stream = await TableStream.open(tt.keyspace, tt.table);
  let id = '';
  let connected: TabletCounters[] = [];
  try {
    id = await enqueue(x, tt.spec, { body: { n: 1 } });
    await stream.waitFor((s) => s.ids().includes(id), 20_000, 'the delivery');
    // The counters while a receiver is connected, kept for later (polled: vtcombo's
    // merged gauge is whichever shard's manager wrote it last, 0 until both subscribed).
    connected = await waitUntil(async () => {
      const read = await readTablets(vitess.httpUrl!);
      return (read[0]?.tables[tt.table]?.clientCount ?? 0) >= 1 ? read : undefined;
    }, 20_000, 'the tablet to count the receiver');
    // The tablet postpones a sent message after the send (epoch 1); closing the
    // stream before that can make the send fail, which leaves the row at epoch 0.
    await waitUntil(async () => ((await getMessages(x, tt.spec, id))[0]?.epoch ?? 0) >= 1, 20_000, 'the postpone of the sent message');
  } finally {
    await stream.close();
  }
  await waitUntil(async () => (await clientCount(tt.table)) === 0, 20_000, 'the tablet to drop the closed stream');
  // With a 1 s ack wait the open stream may have been sent the message more than once.
  const sentBefore = (await getMessages(x, tt.spec, id))[0]!.epoch;
  assert.ok(sentBefore >= 1);
  // Unacked: due again once the 1 s ack wait and the 0.5 s backoff have passed, with nobody to send it to.
  const again = await waitUntil(async () => {
    const e = await explainMessage(x, tt.spec, id, { tabletHttp: vitess.httpUrl! });
    return e.state === 'no-subscriber' ? e : undefined;
  }, 20_000, 'the message to be due again');
  assert.equal(again.facts.epoch, sentBefore);
  assert.match(again.summary, new RegExp(`it was sent ${sentBefore} times? before and not acked, and its ack wait and backoff have run out\\.$`));

  // With counters that show a receiver (read while one was connected), a due message just waits its turn.
  const waiting = await explainMessage(x, tt.spec, id, { tablets: connected });
  assert.equal(waiting.state, 'due');
  assert.match(waiting.summary, /waits to be sent \(\d+ subscribers? connected\)/);
});

function vtgateExecutor() {
  return mysql2Harness().executor();
}
