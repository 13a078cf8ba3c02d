/**
 * Inspecting a queue on the real 2-shard Vitess: `counts()` sees each state
 * (due, scheduled, in flight — sent, its lease running —, failed, acked) per
 * table and per shard, checked against each shard's own database
 * (count-by-shard); `purgeFailed` deletes old dead letters only; `get`
 * returns a message's payload and state.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { InvalidOptionError } from '../../src/core/errors';
import type { Executor } from '../../src/core/executor';
import type { MessageTableSpec } from '../../src/core/spec';
import { ack, enqueue, enqueueMany, fail, getMessages } from '../../src/core/operations';
import { counts, get, purgeFailed, type QueueCounts, type ShardConnection } from '../../src/core/queue-admin';
import { COUNTS_INDEX_COLUMNS, countsIndexOf } from '../../src/core/sql/counts';
import { getMessageTableSpec } from '../../src/typeorm/registry';
import { messageRepository } from '../../src/typeorm/repository';
import { countByShard } from '../helpers/count-by-shard';
import { customerShardedTable, mysql2Harness, producerDefinition, producerEntity, createFromSpec, producerTable, typeormDataSource } from '../helpers/producer-harness';
import { closePool, uniqueName, vitess, vtgatePool, waitUntil } from '../helpers/vitess';

test.after(() => closePool());

/** A connection of its own from the shared pool, destroyed afterwards (its session targets a shard). */
async function openConnection(): Promise<ShardConnection> {
  const conn = await vtgatePool().getConnection();
  return { executor: fromMysql2(conn), close: () => conn.destroy() };
}

const DAY_NS = 86_400_000_000_000n;

interface Built {
  x: Executor;
  due: string[];
  pastDue: string;
  scheduled: string[];
  inFlight: string;
  failed: string[];
  legacyFailed: string;
  acked: string[];
}

/**
 * One message in flight — the row a delivery leaves: epoch 1, `time_next` an
 * ack wait ahead (as the tablet's postpone writes it; streaming one here left
 * the closed stream registered as a receiver for a while, which then took the
 * due messages enqueued next) — then the other states.
 */
async function buildStates(keyspace: string, table: string, spec: MessageTableSpec): Promise<Built> {
  const x = mysql2Harness().executor();
  const inFlight = await enqueue(x, spec, { body: { state: 'in-flight' } }, { delay: '1h' });
  await x.query(`update \`${keyspace}\`.\`${table}\` set epoch = 1 where id = ?`, [inFlight]);

  const due = await enqueueMany(x, spec, [1, 2, 3].map((n) => ({ payload: { body: { state: 'due', n } } })));
  const pastDue = await enqueue(x, spec, { body: { state: 'due' }, note: 'past' }, { deliverAt: Date.now() - 60_000 });
  const scheduled = await enqueueMany(x, spec, [1, 2].map((n) => ({ payload: { body: { state: 'scheduled', n } }, delay: '1h' as const })));
  const failed = await enqueueMany(x, spec, [1, 2, 3].map((n) => ({ payload: { body: { state: 'failed', n } } })));
  assert.equal(await fail(x, spec, failed, { reason: 'poison' }), 3);
  // Failed before failed_at existed: no known age.
  const legacyFailed = failed[2]!;
  await x.query(`update \`${keyspace}\`.\`${table}\` set failed_at = null where id = ?`, [legacyFailed]);
  const acked = await enqueueMany(x, spec, [1, 2].map((n) => ({ payload: { body: { state: 'acked', n } } })));
  assert.equal(await ack(x, spec, acked), 2);
  return { x, due: [...due, pastDue], pastDue, scheduled, inFlight, failed, legacyFailed, acked };
}

test('counts: each state per table and per shard, as the shards hold them; the oldest due age from time_next or enqueued_at', async (t) => {
  const tt = await producerTable('qa_counts', { ackWaitS: 3600 });
  t.after(() => tt.drop());
  const b = await buildStates(tt.keyspace, tt.table, tt.spec);
  const sets = { due: b.due, scheduled: b.scheduled, inFlight: [b.inFlight], failed: b.failed, acked: b.acked } as const;

  const totals = await counts(b.x, tt.spec);
  assert.deepEqual({ ...totals, oldestDueAgeMs: undefined }, { due: 4, scheduled: 2, inFlight: 1, failed: 3, acked: 2, oldestDueAgeMs: undefined });
  // deliverAt a minute ago: due since then, whatever the other rows' enqueued_at.
  assert.ok(totals.oldestDueAgeMs !== null && totals.oldestDueAgeMs >= 59_000 && totals.oldestDueAgeMs < 600_000, `oldest due age ${totals.oldestDueAgeMs} ms`);
  assert.equal(totals.shards, undefined, 'no per-shard figures without openConnection');

  const perShard = await counts(b.x, tt.spec, { openConnection });
  assert.ok(perShard.shards, 'per-shard figures');
  assert.deepEqual(Object.keys(perShard.shards).sort(), ['-80', '80-']);
  // Where each message lives, from the shards' own databases.
  const expected: Record<string, Record<string, number>> = {};
  for (const [state, ids] of Object.entries(sets)) {
    const byShard = await countByShard(tt.keyspace, tt.table, `id in (${ids.map(() => '?').join(', ')})`, [...ids]);
    for (const [shard, n] of Object.entries(byShard)) (expected[shard] ??= {})[state] = n;
  }
  for (const [shard, c] of Object.entries(perShard.shards)) {
    assert.deepEqual({ due: c.due, scheduled: c.scheduled, inFlight: c.inFlight, failed: c.failed, acked: c.acked }, expected[shard], `shard ${shard}`);
  }
  const [pastShard] = Object.entries(await countByShard(tt.keyspace, tt.table, 'id = ?', [b.pastDue])).find(([, n]) => n === 1)!;
  assert.ok(perShard.shards[pastShard]!.oldestDueAgeMs! >= 59_000, 'the shard holding the minute-old message reports its age');
  for (const [shard, c] of Object.entries(perShard.shards)) {
    if (shard !== pastShard && c.due > 0) assert.ok(c.oldestDueAgeMs !== null && c.oldestDueAgeMs < 59_000, `shard ${shard}: due since enqueued (${c.oldestDueAgeMs} ms)`);
  }
  assert.deepEqual({ ...perShard, shards: undefined, oldestDueAgeMs: undefined }, { ...totals, shards: undefined, oldestDueAgeMs: undefined }, 'per-shard sums = the scatter totals');
  assert.equal(perShard.oldestDueAgeMs, Math.max(...Object.values(perShard.shards).map((c) => c.oldestDueAgeMs ?? 0)));

  // An empty table counts zeros and no age (SUM over no rows is NULL).
  const empty = await producerTable('qa_empty');
  t.after(() => empty.drop());
  assert.deepEqual(await counts(b.x, empty.spec, { openConnection }), {
    due: 0, scheduled: 0, inFlight: 0, failed: 0, acked: 0, oldestDueAgeMs: null,
    shards: { '-80': { due: 0, scheduled: 0, inFlight: 0, failed: 0, acked: 0, oldestDueAgeMs: null }, '80-': { due: 0, scheduled: 0, inFlight: 0, failed: 0, acked: 0, oldestDueAgeMs: null } },
  });
});

test('counts on a table declaring the counts index: the same figures from index ranges as from the single pass', async (t) => {
  const plain = producerDefinition(uniqueName('qa_counts_ix'), { ackWaitS: 3600 });
  const indexed: MessageTableSpec = { ...plain, indexes: [{ name: 'counts_idx', columns: COUNTS_INDEX_COLUMNS, unique: false }] };
  assert.ok(countsIndexOf(indexed) && !countsIndexOf(plain));
  const tt = await createFromSpec(indexed);
  t.after(() => tt.drop());
  const b = await buildStates(tt.keyspace, tt.table, indexed);

  const ranges = await counts(b.x, indexed, { openConnection });
  const pass = await counts(b.x, plain, { openConnection });
  const noAge = <C extends QueueCounts>(c: C): C => ({ ...c, oldestDueAgeMs: 0 });
  assert.deepEqual({ ...noAge(ranges), shards: undefined }, { ...noAge(pass), shards: undefined }, 'table totals');
  assert.deepEqual({ ...noAge(ranges), shards: undefined }, { due: 4, scheduled: 2, inFlight: 1, failed: 3, acked: 2, oldestDueAgeMs: 0, shards: undefined });
  for (const shard of ['-80', '80-']) assert.deepEqual(noAge(ranges.shards![shard]!), noAge(pass.shards![shard]!), `shard ${shard}`);
  // Ages: the minute-old message on both ways, measured a moment apart.
  for (const c of [ranges, pass, await counts(b.x, indexed)]) {
    assert.ok(c.oldestDueAgeMs !== null && c.oldestDueAgeMs >= 59_000 && c.oldestDueAgeMs < 600_000, `oldest due age ${c.oldestDueAgeMs} ms`);
  }
  assert.ok(Math.abs(ranges.oldestDueAgeMs! - pass.oldestDueAgeMs!) < 60_000);
  for (const shard of ['-80', '80-']) {
    assert.equal(ranges.shards![shard]!.oldestDueAgeMs === null, pass.shards![shard]!.oldestDueAgeMs === null, `shard ${shard}: an age on both ways or neither`);
  }

  // An empty table: zeros and no age.
  const empty = await createFromSpec({ ...producerDefinition(uniqueName('qa_empty_ix')), indexes: indexed.indexes });
  t.after(() => empty.drop());
  const zero = { due: 0, scheduled: 0, inFlight: 0, failed: 0, acked: 0, oldestDueAgeMs: null };
  assert.deepEqual(await counts(b.x, empty.spec, { openConnection }), { ...zero, shards: { '-80': zero, '80-': zero } });
});

test('purgeFailed deletes failed messages older than the cutoff; unknown age only when asked; nothing else', async (t) => {
  const tt = await producerTable('qa_purge', { ackWaitS: 3600 });
  t.after(() => tt.drop());
  const b = await buildStates(tt.keyspace, tt.table, tt.spec);
  const [old, recent] = b.failed as [string, string];
  await b.x.query(`update ${tt.qualified} set failed_at = failed_at - ? where id = ?`, [(10n * DAY_NS).toString(), old]);
  const before = await counts(b.x, tt.spec);

  assert.equal(await purgeFailed(b.x, tt.spec, { olderThan: '7d' }), 1, 'only the one failed ten days ago');
  assert.deepEqual((await getMessages(b.x, tt.spec, b.failed)).map((m) => m.id).sort(), [recent, b.legacyFailed].sort());
  assert.equal(await purgeFailed(b.x, tt.spec, { olderThan: '7d', includeUnknownAge: true }), 1, 'the one without failed_at');
  assert.deepEqual((await getMessages(b.x, tt.spec, b.failed)).map((m) => m.id), [recent]);
  assert.equal(await purgeFailed(b.x, tt.spec, { olderThan: '1h' }), 0, 'failed a moment ago');
  await waitUntil(async () => (await purgeFailed(b.x, tt.spec, { olderThan: 0 })) === 1, 5_000, 'the recent one to be older than 0 ms');

  const after = await counts(b.x, tt.spec);
  assert.deepEqual({ ...after, oldestDueAgeMs: 0 }, { ...before, failed: 0, oldestDueAgeMs: 0 }, 'due, scheduled, in-flight and acked messages untouched');
});

test('get: one message with its payload and state; null for an unknown id; refuses ambiguity on a table sharded by a business column', async (t) => {
  const tt = await producerTable('qa_get', { ackWaitS: 3600 });
  t.after(() => tt.drop());
  const b = await buildStates(tt.keyspace, tt.table, tt.spec);

  const due = await get(b.x, tt.spec, b.pastDue);
  assert.ok(due);
  assert.equal(due.id, b.pastDue);
  assert.equal(due.state, 'due');
  assert.deepEqual(due.payload, { body: { state: 'due' }, note: 'past' });
  assert.equal(due.epoch, 0);
  assert.ok(due.enqueuedAtNs && due.failedAtNs === null && due.timeAckedNs === null);
  assert.equal((await get(b.x, tt.spec, b.due[0]!))!.timeNextNs, '0');
  assert.equal((await get(b.x, tt.spec, b.scheduled[0]!))!.state, 'scheduled');
  const inFlight = await get(b.x, tt.spec, BigInt(b.inFlight));
  assert.deepEqual([inFlight!.state, inFlight!.epoch, inFlight!.payload], ['in-flight', 1, { body: { state: 'in-flight' }, note: null }]);
  const failed = await get(b.x, tt.spec, b.failed[0]!);
  assert.deepEqual([failed!.state, failed!.reason, failed!.timeNextNs], ['failed', 'poison', '9223372036854775807']);
  assert.ok(failed!.failedAtNs);
  const acked = await get(b.x, tt.spec, b.acked[0]!);
  assert.equal(acked!.state, 'acked');
  assert.ok(acked!.timeAckedNs && acked!.timeNextNs === null);
  assert.equal(await get(b.x, tt.spec, '9223372036854775806'), null);

  // Ids are unique per shard on a table sharded by customer: one id on two shards.
  const ct = await customerShardedTable('qa_get_cust');
  t.after(() => ct.drop());
  const id = '4242';
  await enqueue(b.x, ct.spec, { customerId: '1', payload: { c: 1 } }, { id });
  let other: string | undefined;
  for (let c = 2; c < 40 && !other; c++) {
    await enqueue(b.x, ct.spec, { customerId: String(c), payload: { c } }, { id }).catch(() => undefined); // the same shard refuses it
    const rows = await countByShard(ct.keyspace, ct.table, 'id = ?', [id]);
    if (Object.values(rows).every((n) => n === 1)) other = String(c);
  }
  assert.ok(other, 'a customer on the other shard');
  await assert.rejects(get(b.x, ct.spec, id), (e: unknown) => e instanceof InvalidOptionError && /matches 2 messages/.test(e.message));
  const one = await get(b.x, ct.spec, { id, vindexValue: other });
  assert.deepEqual([one!.payload.customerId, one!.state], [other, 'due']);
});

test('counts, purgeFailed and get on a TypeORM repository', async (t) => {
  const table = uniqueName('qa_orm');
  const Entity = producerEntity(table);
  const tt = await createFromSpec(getMessageTableSpec(Entity));
  t.after(() => tt.drop());
  const ds = await typeormDataSource([Entity]);
  t.after(() => ds.destroy());
  const repo = messageRepository(ds, Entity as new () => { body: unknown; note: string | null });
  const [a, f] = await repo.enqueueMany([{ payload: { body: { n: 1 }, note: 'a' } }, { payload: { body: { n: 2 }, note: null } }]);
  await repo.fail(f!, { reason: 'bad' });
  const c = await repo.counts({ openConnection });
  assert.deepEqual([c.due, c.failed, c.scheduled, c.inFlight, c.acked], [1, 1, 0, 0, 0]);
  assert.equal(Object.values(c.shards!).reduce((n, s) => n + s.due + s.failed, 0), 2);
  assert.deepEqual([(await repo.get(a!))!.state, (await repo.get(a!))!.payload], ['due', { body: { n: 1 }, note: 'a' }]);
  await waitUntil(async () => (await repo.purgeFailed({ olderThan: 0 })) === 1, 5_000, 'the failed message to be purged');
  assert.equal(await repo.get(f!), null);
  assert.equal(vitess.sharded, tt.keyspace);
});
