/**
 * Subscriber resilience on the real Vitess, without disturbing it: attempt
 * limits and dead letters, "unrecoverable" and "retry later" errors, lease
 * extension, handler timeouts, and — through a TCP proxy of the test's own —
 * reconnecting after a cut connection, each over both transports (vtgate gRPC
 * and MySQL protocol); the stall watchdog on a frozen gRPC connection; the
 * settler's wait for a late postpone and its count of settles that missed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RetryLaterError, UnrecoverableError } from '../../src/core/errors';
import { randomId } from '../../src/core/ids';
import { ack, listFailed, retry } from '../../src/core/operations';
import { msToNs, nowNs } from '../../src/core/time';
import { Settler } from '../../src/subscriber/settler';
import { subscribe } from '../../src/subscriber/subscriber';
import { countAcked, specTables, insertMessages, poolExecutor, transportCases } from '../helpers/subscriber-fixtures';
import { TcpProxy } from '../helpers/tcp-proxy';
import { vitess, vtgatePool, waitUntil } from '../helpers/vitess';

const { table, cleanup } = specTables();

const fastRetry = { base: 50, max: 200 };

for (const t of transportCases(cleanup)) {
  describe(`resilience over ${t.name}`, () => {

    test(`${t.name}: a throwing handler is retried with backoff and failed after maxAttempts, called exactly that often; listFailed has its last error; retry revives it`, async () => {
      const { spec, qualified } = await table('res_attempts', { ackWaitS: 30 });
      const [id] = await insertMessages(qualified, 1, 1);
      let calls = 0;
      let heal = false;
      const epochs: number[] = [];
      const sub = subscribe(spec, (_m, ctx) => {
        calls++;
        epochs.push(ctx.epoch);
        if (!heal) throw new Error(`boom ${calls}`);
      }, { executor: poolExecutor(), ...t.source(), maxAttempts: 3, retryBackoff: fastRetry });
      cleanup.push(() => sub.close());
      await waitUntil(() => sub.stats().failed === 1, 20_000, 'the message to be failed');
      assert.equal(calls, 3);
      assert.deepEqual(epochs, [0, 1, 2]);
      const page = await listFailed(poolExecutor(), spec);
      assert.deepEqual(page.messages.map((m) => [m.id, m.reason]), [[id, 'attempt 3 of 3 failed: Error: boom 3']]);

      heal = true;
      assert.equal(await retry(poolExecutor(), spec, id!), 1);
      await waitUntil(() => sub.stats().acked === 1, 20_000, 'the revived message to be handled');
      assert.equal(calls, 4);
      assert.equal(epochs[3], 0, 'retry resets the epoch: attempts count afresh');
      await sub.close();
      assert.equal(await countAcked(qualified), 1);
    });

    test(`${t.name}: UnrecoverableError fails at once; RetryLaterError nacks with its delay`, async () => {
      const { spec, qualified } = await table('res_errors', { ackWaitS: 30 });
      const [poison, later] = await insertMessages(qualified, 2, 2);
      const calls = new Map<string, number>();
      const sub = subscribe(spec, (_m, ctx) => {
        const n = (calls.get(ctx.id as string) ?? 0) + 1;
        calls.set(ctx.id as string, n);
        if (ctx.id === poison) throw new UnrecoverableError('customer deleted');
        if (n === 1) throw new RetryLaterError('rate limited', 200);
      }, { executor: poolExecutor(), ...t.source(), maxAttempts: 10 });
      cleanup.push(() => sub.close());
      await waitUntil(() => sub.stats().failed === 1 && sub.stats().acked === 1, 60_000, 'one failed, one acked');
      await sub.close();
      assert.equal(calls.get(poison), 1);
      assert.equal(calls.get(later), 2);
      // Both settled by our statements (not by the tablet's schedule after a miss).
      assert.deepEqual([sub.stats().nacked, sub.stats().settleMisses], [1, 0]);
      const page = await listFailed(poolExecutor(), spec);
      assert.deepEqual(page.messages.map((m) => [m.id, m.reason]), [[poison, 'UnrecoverableError: customer deleted']]);
    });

    test(`${t.name}: a handler that outlives the ack wait is delivered twice; with ctx.extend it is delivered once`, async () => {
      for (const extend of [false, true]) {
        const { spec, qualified } = await table(extend ? 'res_extend' : 'res_noextend', { ackWaitS: 1, minBackoffS: 0.5 });
        const [id] = await insertMessages(qualified, 1, 1);
        const epochs: number[] = [];
        const sub = subscribe(spec, async (_m, ctx) => {
          epochs.push(ctx.epoch);
          if (ctx.epoch > 0) return; // the duplicate finishes at once
          if (extend) {
            assert.equal(await ctx.extend({ by: '10s' }), true);
            await new Promise((r) => setTimeout(r, 4_000)); // 4 ack waits
          } else {
            await waitUntil(() => epochs.length > 1, 15_000, 'the tablet to send it again');
          }
        }, { executor: poolExecutor(), ...t.source(), concurrency: 2, autoExtend: false }); // leases by hand here
        cleanup.push(() => sub.close());
        await waitUntil(async () => (await countAcked(qualified)) === 1 && sub.stats().running === 0, 20_000, `${id} acked`);
        await sub.close();
        if (extend) assert.deepEqual(epochs, [0], 'extended: delivered once');
        else assert.deepEqual(epochs, [0, 1], 'not extended: the tablet sent it again while the handler ran');
        assert.equal(sub.stats().redelivered, extend ? 0 : 1);
      }
    });

    test(`${t.name}: handlerTimeout aborts the handler's signal and nacks it; the next delivery succeeds`, async () => {
      const { spec, qualified } = await table('res_timeout', { ackWaitS: 30 });
      await insertMessages(qualified, 1, 1);
      const seen: Array<[number, boolean]> = [];
      const sub = subscribe(spec, async (_m, ctx) => {
        if (ctx.epoch === 0) {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          seen.push([ctx.epoch, ctx.signal.aborted]);
          return; // resolving late must not ack: it was nacked at the timeout
        }
        seen.push([ctx.epoch, ctx.signal.aborted]);
      }, { executor: poolExecutor(), ...t.source(), handlerTimeout: 300, retryBackoff: fastRetry });
      cleanup.push(() => sub.close());
      await waitUntil(() => sub.stats().acked === 1, 20_000, 'acked after the timeout');
      await sub.close();
      assert.deepEqual(seen, [[0, true], [1, false]]);
      assert.equal(sub.stats().timeouts, 1);
      assert.equal(sub.stats().nacked, 1);
    });

    test(`${t.name}: a cut connection: the subscriber reconnects by itself and a per-id ledger over 3,000 messages shows none lost`, async () => {
      const proxy = await TcpProxy.start(t.upstream);
      cleanup.push(() => proxy.close());
      const { spec, qualified } = await table('res_reconnect', { ackWaitS: 5 });
      const ids = await insertMessages(qualified, 3_000, 500);
      const ledger = new Map<string, number>();
      const events: string[] = [];
      const sub = subscribe(spec, async (_m, ctx) => {
        ledger.set(ctx.id as string, (ledger.get(ctx.id as string) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1));
      }, { executor: poolExecutor(), ...t.source(proxy.address), maxInFlight: 100, concurrency: 10 });
      cleanup.push(() => sub.close());
      sub.on('reconnecting', (i) => events.push(`reconnecting ${i.attempt} ${i.error ? (i.error as Error).name : ''}`));
      sub.on('reconnected', () => events.push('reconnected'));
      await waitUntil(() => ledger.size >= 500, 30_000, '500 handled');
      proxy.cut();
      await waitUntil(async () => (await countAcked(qualified)) === ids.length, 60_000, 'all acked after the cut');
      // What was read before the cut can carry the subscriber through it (the MySQL
      // transport reads ahead): one more message proves the reopened stream delivers.
      const [after] = await insertMessages(qualified, 1, 1);
      await waitUntil(() => ledger.has(after!) && events.includes('reconnected'), 60_000, `a message on the reopened stream (${events.join(', ')})`);
      await sub.close();
      const lost = ids.filter((id) => !ledger.has(id)).length;
      const duplicates = [...ledger.values()].reduce((s, n) => s + n - 1, 0);
      console.log(`${t.name} reconnect: ${events.join(', ')}; lost ${lost}, duplicates ${duplicates}, reconnects ${sub.stats().reconnects}`);
      assert.equal(lost, 0);
      assert.ok(sub.stats().reconnects >= 1);
      assert.ok(events.includes('reconnected'));
      assert.ok(proxy.connections >= 2, 'a new connection');
    });
  });
}

test('the stall watchdog: a frozen connection with due messages is reported as stalled before any transport error and healed on a new channel; a full subscriber never trips it', async () => {
  const proxy = await TcpProxy.start(vitess.grpcAddr);
  cleanup.push(() => proxy.close());
  const { spec, qualified } = await table('res_stall', { ackWaitS: 5, pollerIntervalS: 0.5 });
  const events: string[] = [];
  const handled = new Set<string>();
  const sub = subscribe(spec, (_m, ctx) => void handled.add(ctx.id as string), {
    executor: poolExecutor(),
    address: proxy.address,
    stallTimeout: 1_500,
    grpc: { keepalive: '10m' }, // the transport must not notice first
  });
  cleanup.push(() => sub.close());
  sub.on('stalled', () => events.push('stalled'));
  sub.on('reconnecting', (i) => events.push(i.error ? 'transport error' : 'resubscribe'));
  sub.on('error', (e) => events.push(`error ${(e as Error).message}`));
  const [warm] = await insertMessages(qualified, 1, 1);
  await waitUntil(() => handled.has(warm!), 15_000, 'the first message through the proxy');
  const connectionsBefore = proxy.connections;
  proxy.freeze();
  // More than the frozen connection's windows take in (README "Flow control"),
  // so the tablet blocks and the rest stays due; what went into the void comes
  // back after the 5 s ack wait.
  const ids = await insertMessages(qualified, 6_000, 500);
  await waitUntil(() => ids.every((id) => handled.has(id)), 60_000, `the messages after the stall (${events.join(', ')})`);
  await sub.close();
  console.log(`stall: ${events.join(', ')}; connections ${connectionsBefore} → ${proxy.connections}`);
  assert.equal(events[0], 'stalled');
  assert.ok(!events.includes('transport error'));
  assert.ok(proxy.connections > connectionsBefore, 'resubscribed on a new channel');
  // More than one stall is possible: vtgate only learns of the frozen stream when
  // that connection closes, and may route more messages into it meanwhile.
  assert.ok(sub.stats().stalls >= 1);

  // Full (maxInFlight reached, handlers blocked) with due messages waiting: not a stall.
  const { spec: spec2, qualified: q2 } = await table('res_full', { ackWaitS: 30, pollerIntervalS: 0.5 });
  await insertMessages(q2, 10, 10);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const full = subscribe(spec2, () => gate, { executor: poolExecutor(), address: vitess.grpcAddr, maxInFlight: 2, concurrency: 2, stallTimeout: '500ms' });
  cleanup.push(() => full.close());
  const stalls: unknown[] = [];
  full.on('stalled', (i) => stalls.push(i));
  await waitUntil(() => full.stats().running === 2, 15_000, 'the full subscriber');
  // Counted from here: while a new table's stream is being set up, silence with
  // due rows may already be reported (and resubscribed); the claim is about a full one.
  stalls.length = 0;
  // Wait past several watchdog limits and the due threshold (2 poller intervals + 1 s).
  const until = Date.now() + 3_500;
  await waitUntil(() => Date.now() > until || stalls.length > 0, 10_000, 'time to pass');
  assert.equal(stalls.length, 0, 'a subscriber paused by maxInFlight is not stalled');
  release();
  await waitUntil(async () => (await countAcked(q2)) === 10, 30_000, 'all acked');
  await full.close();
});

test('a nack waits for a postpone that lands late (up to the ack wait, not a fixed 2 s)', async () => {
  const { spec, qualified } = await table('res_postpone', { ackWaitS: 10 });
  // Due in an hour, so the tablet leaves it alone: the test plays the tablet's
  // postpone (epoch 0 → 1) itself, 2.5 s after the nack started.
  const id = randomId().toString();
  await vtgatePool().query(`insert into ${qualified} (id, time_next, payload) values (?, ?, ?)`, [id, (nowNs() + msToNs(3_600_000)).toString(), '{}']);
  const settler = new Settler(spec, poolExecutor(), { ackBatchSize: 10, ackIntervalMs: 0 });
  const startedAt = Date.now();
  const nack = settler.nack([{ id, epoch: 0 }]);
  await waitUntil(() => Date.now() - startedAt >= 2_500, 10_000, 'the late postpone');
  await vtgatePool().query(`update ${qualified} set epoch = 1 where id = ? and epoch = 0`, [id]);
  assert.equal(await nack, 1, 'the nack took effect once the postpone landed');
  const [rows] = await vtgatePool().query(`select epoch, time_next from ${qualified} where id = ?`, [id]);
  const row = (rows as Array<{ epoch: string; time_next: string }>)[0]!;
  assert.equal(row.epoch, '1');
  assert.ok(BigInt(row.time_next) <= nowNs(), 'due now');
});

test('a nack that matches no row (acked meanwhile) returns at once and is counted as a settle miss, with an error event', async () => {
  const { spec, qualified } = await table('res_miss', { ackWaitS: 30 });
  const [id] = await insertMessages(qualified, 1, 1);
  const errors: unknown[] = [];
  const sub = subscribe(spec, async (_m, ctx) => {
    assert.equal(await ack(poolExecutor(), spec, ctx.id), 1); // settled elsewhere …
    throw new Error('… and then the handler fails');
  }, { executor: poolExecutor(), address: vitess.grpcAddr, retryBackoff: fastRetry });
  cleanup.push(() => sub.close());
  sub.on('error', (e) => errors.push(e));
  // Well before the 30 s ack wait: the settler saw the row acked and stopped waiting.
  await waitUntil(() => sub.stats().settleMisses === 1, 10_000, 'the miss');
  await sub.close();
  const stats = sub.stats();
  assert.deepEqual([stats.nacked, stats.acked, stats.settleErrors, stats.handlerErrors], [0, 0, 0, 1]);
  assert.ok(errors.some((e) => e instanceof Error && e.message.includes(`nack of ${spec.table} id ${id} (epoch 0) changed no row`)), 'an error event names the miss');
  assert.equal(await countAcked(qualified), 1);
});
