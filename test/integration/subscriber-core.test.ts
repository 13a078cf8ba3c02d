/**
 * The core subscriber on the real 2-shard Vitess, with a hand-made spec and raw
 * tables: a 10,000-message ledger under a bounded maxInFlight, close() during a
 * burst, two subscribers splitting the work, the iterator form.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineMessageTable } from '../../src/core/define';
import { StreamError } from '../../src/core/errors';
import type { SqlParam } from '../../src/core/executor';
import { randomId } from '../../src/core/ids';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { transportBufferBound } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import type { MessageContext } from '../../src/subscriber/message';
import { stream, subscribe } from '../../src/subscriber/subscriber';
import { TableStream } from '../helpers/stream-table';
import { countAcked, specTables, insertMessages, poolExecutor, sentOf } from '../helpers/subscriber-fixtures';
import { debugVars, uniqueName, vitess, vtgatePool, waitUntil } from '../helpers/vitess';

const { table, cleanup } = specTables();

test('10,000 messages enqueued in batches: each handled and acked, none lost; held never above maxInFlight; tablet sent-but-unacked bounded', async () => {
  const batchSize = 100;
  const maxInFlight = 200;
  const { spec, qualified } = await table('sub_ledger', { ackWaitS: 30, batchSize });
  const ids = await insertMessages(qualified, 10_000, 500);
  const ledger = new Map<string, number>(ids.map((id) => [id, 0]));
  let maxHeld = 0;
  let overflow = 0;
  const sub = subscribe(spec, async (message: Record<string, unknown>, ctx: MessageContext) => {
    const held = sub.stats().inFlight;
    maxHeld = Math.max(maxHeld, held);
    if (held > maxInFlight) overflow++;
    assert.equal(typeof ctx.id, 'string');
    assert.equal(message.id, ctx.id);
    ledger.set(ctx.id as string, (ledger.get(ctx.id as string) ?? 0) + 1);
    await new Promise((r) => setImmediate(r));
  }, { executor: poolExecutor(), address: vitess.grpcAddr, maxInFlight, concurrency: 20 });
  cleanup.push(() => sub.close());

  // While it drains, sample the tablet's sent count against the acked rows.
  let maxUnacked = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const [vars, acked] = await Promise.all([debugVars(), countAcked(qualified)]);
      maxUnacked = Math.max(maxUnacked, sentOf(vars, spec.table) - acked);
      if (process.env.SUB_TRACE) console.log(`sent ${sentOf(vars, spec.table)} acked-rows ${acked} held ${sub.stats().inFlight} acked-stat ${sub.stats().acked} received ${sub.stats().received}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await waitUntil(() => sub.stats().acked >= ids.length, 120_000, 'all 10,000 acked');
  done = true;
  await sampler;
  await sub.close();

  const lost = [...ledger.values()].filter((n) => n === 0).length;
  const duplicates = [...ledger.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
  // The documented transport bound (README "Flow control"); rows here are ~35 B
  // on the wire (19-digit id, epoch, `{"i": n}`, lengths).
  const transportBound = transportBufferBound(batchSize, 35);
  console.log(`ledger: 10000 messages, lost ${lost}, duplicates ${duplicates}; max held ${maxHeld}/${maxInFlight}; max sent-but-unacked ${maxUnacked} (bound ${maxInFlight + transportBound})`);
  assert.equal(lost, 0);
  assert.equal(overflow, 0, `held exceeded maxInFlight (max ${maxHeld})`);
  assert.equal(await countAcked(qualified), ids.length);
  assert.ok(maxUnacked <= maxInFlight + transportBound, `tablet sent-but-unacked ${maxUnacked} > ${maxInFlight} + ${transportBound}`);
  const stats = sub.stats();
  assert.equal(stats.inFlight, 0);
  assert.equal(stats.received, ids.length + duplicates);
});

test('close() during a burst loses nothing: unstarted messages come back at once, never-received ones on the tablet schedule', async () => {
  // A long ack wait keeps "back at once" and "back on the tablet's schedule" far
  // apart even when a loaded machine (CI runs test files in parallel) is slow.
  const ackWaitS = 15;
  const { spec, qualified } = await table('sub_close', { ackWaitS, batchSize: 50, minBackoffS: 1 });
  const ids = await insertMessages(qualified, 1_000, 500);
  const received = new Set<string>();
  const handled = new Set<string>();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const sub = subscribe(spec, async (_m, ctx) => {
    handled.add(ctx.id as string);
    await gate; // handlers block until close() has started
  }, { executor: poolExecutor(), address: vitess.grpcAddr, maxInFlight: 40, concurrency: 5 });
  sub.on('message', (ctx) => received.add(ctx.id as string));
  await waitUntil(() => sub.stats().inFlight === 40 && sub.stats().running === 5, 15_000, 'the subscriber to fill up');

  const closing = sub.close({ timeoutMs: 10_000 });
  const closedAt = Date.now();
  release();
  await closing;
  assert.equal(sub.stats().acked, handled.size, 'every started handler finished and was acked');
  const unstarted = [...received].filter((id) => !handled.has(id));
  assert.equal(unstarted.length, 35);
  assert.equal(sub.stats().nackedOnClose, 35);
  const neverReceived = ids.filter((id) => !received.has(id));

  // A fresh reader: the nacked ones are due now, the rest follow their ack wait.
  const observer = await TableStream.open(spec.keyspace!, spec.table);
  cleanup.push(() => observer.close());
  await observer.waitFor((s) => unstarted.every((id) => s.counts().has(id)), (ackWaitS * 1000) / 2, 'the unstarted messages to come back well before the ack wait');
  const backAfterMs = Date.now() - closedAt;
  // The tablet sent more than the subscriber took (transport buffers); those were
  // never received, so nobody nacked them: they are not back yet.
  const sentUnreceived = neverReceived.filter((id) => observer.counts().has(id) && observer.deliveries.find((d) => d.row.id === id)!.row.epoch !== '0');
  assert.equal(sentUnreceived.length, 0, 'no sent-but-unreceived message came back as early as the nacked ones');
  // Nacked on close with the epoch restored: no handler saw them, so no attempt is used up.
  for (const d of observer.deliveries.filter((d) => unstarted.includes(d.row.id as string))) assert.equal(d.row.epoch, '0');
  // Everything not acked arrives in the end: nothing lost.
  await observer.waitFor((s) => neverReceived.every((id) => s.counts().has(id)), (ackWaitS * 4 + 10) * 1000, 'the never-received messages');
  const late = observer.deliveries.filter((d) => neverReceived.includes(d.row.id as string) && d.row.epoch !== '0');
  console.log(`close: ${handled.size} acked, ${unstarted.length} nacked on close (back after ${backAfterMs} ms), ${neverReceived.length} never received (${late.length} of them sent before, back on the tablet's schedule)`);
  assert.equal(observer.counts().size + handled.size, ids.length);
});

test('two subscribers on one table split the work; every message acked once overall', async () => {
  const { spec, qualified } = await table('sub_split', { ackWaitS: 30 });
  const ids = await insertMessages(qualified, 2_000, 500);
  const seen = [new Map<string, number>(), new Map<string, number>()];
  const subs = [0, 1].map((n) => subscribe(spec, async (_m, ctx) => {
    seen[n]!.set(ctx.id as string, (seen[n]!.get(ctx.id as string) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 1));
  }, { executor: poolExecutor(), address: vitess.grpcAddr, maxInFlight: 100 }));
  for (const s of subs) cleanup.push(() => s.close());
  await waitUntil(() => subs[0]!.stats().acked + subs[1]!.stats().acked >= ids.length, 60_000, 'all acked');
  await Promise.all(subs.map((s) => s.close()));
  console.log(`split: ${seen[0]!.size} / ${seen[1]!.size}`);
  assert.ok(seen[0]!.size > 0 && seen[1]!.size > 0, 'both subscribers got messages');
  const union = new Set([...seen[0]!.keys(), ...seen[1]!.keys()]);
  assert.equal(union.size, ids.length);
  assert.equal(await countAcked(qualified), ids.length);
});

test('iterator form: explicit ack / nack / fail; a nack comes back at once with epoch 1; abort ends the loop', async () => {
  const { spec, qualified } = await table('sub_iter', { ackWaitS: 30 });
  const [toAck, toNack, toFail] = await insertMessages(qualified, 3, 3, (i) => ({ role: ['ack', 'nack', 'fail'][i] }));
  const ac = new AbortController();
  const epochs: Array<[string, number]> = [];
  const messages = stream(spec, { executor: poolExecutor(), address: vitess.grpcAddr, signal: ac.signal });
  for await (const m of messages) {
    epochs.push([m.id as string, m.epoch]);
    if (m.id === toAck) await m.ack();
    else if (m.id === toFail) await m.fail('bad payload');
    else if (m.epoch === 0) await m.nack();
    else {
      await m.ack();
      ac.abort();
    }
    assert.equal((m.message as { payload: { role: string } }).payload.role, m.id === toAck ? 'ack' : m.id === toNack ? 'nack' : 'fail');
  }
  // With a 30 s ack wait, the second delivery can only be the nack's doing.
  assert.deepEqual(epochs.filter(([id]) => id === toNack).map(([, e]) => e), [0, 1]);
  const stats = messages.stats();
  assert.equal(stats.acked, 2);
  assert.equal(stats.nacked, 1);
  assert.equal(stats.failed, 1);
  assert.equal(stats.redelivered, 1);
  const [rows] = await vtgatePool().query(`select id, time_next, failure_reason from ${qualified} where id = ?`, [toFail]);
  assert.deepEqual((rows as Array<{ failure_reason: string; time_next: string }>).map((r) => [r.failure_reason, r.time_next]), [['bad payload', '9223372036854775807']]);
});

test('a table sharded by a business column: acks carry the vindex column and every message is acked', async () => {
  const spec = defineMessageTable({
    table: uniqueName('sub_bizvindex'),
    keyspace: vitess.sharded,
    columns: { customerId: { name: 'customer_id', type: 'bigint' }, payload: { type: 'json', nullable: true } },
    vindex: { column: 'customer_id', type: 'hash' },
    ackWait: '30s',
    pollerInterval: '500ms',
  });
  for (const sql of buildSchemaSql(spec)) await vtgatePool().query(sql);
  cleanup.push(async () => {
    for (const sql of buildDropSchemaSql(spec)) await vtgatePool().query(sql).catch(() => undefined);
  });
  assert.deepEqual(spec.streamed.slice(0, 3), ['id', 'epoch', 'customer_id']);
  const qualified = `\`${spec.keyspace}\`.\`${spec.table}\``;
  const rows: unknown[] = [];
  const ids: string[] = [];
  for (let i = 0; i < 300; i++) {
    const id = randomId().toString();
    ids.push(id);
    rows.push(id, String(1_000 + (i % 7)), JSON.stringify({ i }));
  }
  await vtgatePool().query(`insert into ${qualified} (id, customer_id, payload) values ${new Array(300).fill('(?, ?, ?)').join(', ')}`, rows);
  const statements: string[] = [];
  const base = poolExecutor();
  const executor = { query: (sql: string, params: readonly SqlParam[]) => (statements.push(sql), base.query(sql, params)) };
  const seen = new Set<string>();
  const sub = subscribe(spec, (m: Record<string, unknown>) => {
    assert.equal(typeof m.customerId, 'string');
    seen.add(m.id as string);
  }, { executor, address: vitess.grpcAddr });
  cleanup.push(() => sub.close());
  await waitUntil(() => sub.stats().acked >= ids.length, 30_000, 'all acked');
  await sub.close();
  assert.equal(seen.size, ids.length);
  assert.equal(await countAcked(qualified), ids.length);
  assert.ok(statements.length > 0 && statements.every((s) => s.includes('`customer_id` in (')), 'every ack names the vindex column');
});

test('messages whose ack wait passed before their handler started are counted and flagged, not handled as fresh', async () => {
  const { spec, qualified } = await table('sub_expired', { ackWaitS: 1 });
  const ids = await insertMessages(qualified, 12, 12);
  const flagged: string[] = [];
  const sub = subscribe(spec, async (_m, ctx) => {
    if (ctx.expiredBeforeStart) flagged.push(ctx.id as string);
    await new Promise((r) => setTimeout(r, 400)); // one at a time: the 4th starts > 1 s after receipt
  }, { executor: poolExecutor(), address: vitess.grpcAddr, maxInFlight: 12, concurrency: 1 });
  cleanup.push(() => sub.close());
  await waitUntil(async () => (await countAcked(qualified)) === ids.length, 30_000, 'all acked');
  await sub.close();
  const s = sub.stats();
  assert.ok(s.expiredBeforeStart > 0, 'some started after their ack wait');
  assert.equal(s.expiredBeforeStart, flagged.length);
});

test('a stream that can never work (unknown table) ends the subscriber with a StreamError, retryable false', async () => {
  const spec = { ...(await table('sub_gone')).spec, table: uniqueName('nosuch') };
  const sub = subscribe(spec, () => undefined, { executor: poolExecutor(), address: vitess.grpcAddr });
  const streamErrors: unknown[] = [];
  sub.on('streamError', (e) => streamErrors.push(e));
  const closed = new Promise<void>((resolve) => sub.once('closed', resolve));
  await assert.rejects(sub.wait(), (err: unknown) => err instanceof StreamError && err.retryable === false && err.code === 'NOT_FOUND');
  await closed;
  assert.equal(streamErrors.length, 1);
});
