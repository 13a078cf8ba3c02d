/**
 * Leaving and closing a subscriber on the real Vitess: leaving the iterator
 * hands the message in hand back at once (epoch restored); `close({ timeout })`
 * bounds everything, and rows read but never admitted are handed back too; a
 * one-shard subscriber is not stalled by another shard's due rows; a transport
 * factory is renewed after a stall. (gRPC: over the MySQL protocol vtgate keeps
 * sending into a closed stream, README "Subscribe", so "comes back at once"
 * cannot be observed there.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Executor } from '../../src/core/executor';
import { randomId } from '../../src/core/ids';
import { ack, getMessages } from '../../src/core/operations';
import { nowNs } from '../../src/core/time';
import { hashKeyspaceId, inKeyRange, shardKeyRange } from '../../src/core/keyrange';
import { VtgateGrpcTransport } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import { stream } from '../../src/subscriber/message-stream';
import { subscribe } from '../../src/subscriber/subscriber';
import { insertMessages, poolExecutor, specTables, transportCases } from '../helpers/subscriber-fixtures';
import { TcpProxy } from '../helpers/tcp-proxy';
import { vitess, vtgatePool, waitUntil } from '../helpers/vitess';

const { table, cleanup } = specTables();

/**
 * The rows of `ids` as close() left them, read at once (no test timeout
 * involved): handed back means pending at its streamed epoch 0 (no attempt
 * used) and due now. The tablet may already have sent such a row again (to a
 * stream still being torn down): then it is at epoch 1 with a lease that
 * started after `closeStartNs` — which only a hand-back makes possible, since
 * the first delivery's lease ran from before it.
 */
async function handedBack(spec: Parameters<typeof stream>[0], ids: readonly string[], closeStartNs: bigint): Promise<void> {
  const now = nowNs();
  const ackWaitNs = BigInt(spec.options.ackWaitMs) * 1_000_000n;
  const rows = await getMessages(poolExecutor(), spec, [...ids]);
  assert.equal(rows.length, ids.length);
  for (const r of rows) {
    assert.equal(r.state, 'pending', r.id);
    const timeNext = BigInt(r.timeNextNs!);
    if (Number(r.epoch) === 0) assert.ok(timeNext <= now, `${r.id}: due now (time_next ${timeNext} <= ${now})`);
    else {
      assert.equal(Number(r.epoch), 1, `${r.id}: epoch restored (then sent once more at most)`);
      assert.ok(timeNext >= closeStartNs + ackWaitNs, `${r.id}: sent again after the hand-back (lease from ${timeNext - ackWaitNs} >= ${closeStartNs})`);
    }
  }
}

describe('leaving the iterator and closing', () => {
  test('break and throw inside for await: the message in hand is nacked with its epoch restored and the stream closes at once', { timeout: 120_000 }, async () => {
    // Ack wait 30 s: the test ends long before an unnacked message could come back.
    const { spec, qualified } = await table('life_exit', { ackWaitS: 30, keyspace: vitess.unsharded });
    for (const how of ['break', 'throw'] as const) {
      const [id] = await insertMessages(qualified, 1, 1);
      const s = stream(spec, { executor: poolExecutor(), address: vitess.grpcAddr });
      cleanup.push(() => s.close());
      let inHand: string | undefined;
      const loop = async () => {
        for await (const m of s) {
          inHand = String(m.id);
          if (how === 'break') break;
          throw new Error('the loop body failed');
        }
      };
      const closeStart = nowNs();
      if (how === 'break') await loop();
      else await assert.rejects(loop(), /the loop body failed/);
      assert.equal(inHand, id);
      // Counted as nacked when handed back; the row itself is checked just below.
      assert.deepEqual([s.stats().nacked, s.stats().inFlight], [1, 0], how);
      await handedBack(spec, [id!], closeStart);
      assert.equal(await ack(poolExecutor(), spec, id!), 1); // out of the next round's way
    }
  });

  test('rows read off a packet but not yet admitted (maxInFlight reached) are nacked on close with their epoch restored', { timeout: 120_000 }, async () => {
    const { spec, qualified } = await table('life_pending', { ackWaitS: 30, keyspace: vitess.unsharded });
    const ids = await insertMessages(qualified, 10, 10);
    const s = stream(spec, { executor: poolExecutor(), address: vitess.grpcAddr, maxInFlight: 3, concurrency: 3 });
    cleanup.push(() => s.close());
    await waitUntil(() => s.stats().received === 3, 15_000, 'three held, the rest of the packet waiting');
    const closeStart = nowNs();
    await s.close({ timeout: '5s' });
    assert.equal(s.stats().nackedOnClose, 10, '3 queued + 7 read but not admitted');
    await handedBack(spec, ids, closeStart);
  });

  test('close({ timeout }) returns within its bound while the nack of unstarted messages and an ack write hang', { timeout: 120_000 }, async () => {
    const { spec, qualified } = await table('life_bound', { ackWaitS: 30, keyspace: vitess.unsharded });
    const ids = await insertMessages(qualified, 4, 4);
    const real = poolExecutor();
    let hold = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const executor: Executor = {
      async query(sql, params) {
        if (hold && sql.startsWith('update')) await gate;
        return real.query(sql, params);
      },
    };
    const s = stream(spec, { executor, address: vitess.grpcAddr, maxInFlight: 4, concurrency: 4 });
    cleanup.push(() => s.close());
    const errors: string[] = [];
    s.on('error', (e) => errors.push((e as Error).message));
    await waitUntil(() => s.stats().received === 4, 15_000, 'four held');
    hold = true;
    const it = s[Symbol.asyncIterator]();
    const first = (await it.next()).value!;
    const acking = first.ack(); // its UPDATE hangs
    const closeStart = nowNs();
    await s.close({ timeout: 300 });
    assert.ok(errors.some((m) => /nack on close of 3 messages .* did not finish within 300 ms/.test(m)), errors.join(' | '));
    release();
    await acking;
    // The nack goes on in the background once released: wait for it, then check what it wrote.
    const others = ids.filter((id) => id !== String(first.id));
    await waitUntil(async () => (await getMessages(poolExecutor(), spec, others)).every((r) => Number(r.epoch) === 0 || BigInt(r.timeNextNs ?? 0) >= closeStart + 30_000_000_000n), 30_000, 'the background nack');
    await handedBack(spec, others, closeStart);
  });
});

/** `n` fresh ids that the hash vindex places on `shard`. */
function idsOn(shard: string, n: number): string[] {
  const range = shardKeyRange(shard);
  const out: string[] = [];
  while (out.length < n) {
    const id = randomId().toString();
    if (inKeyRange(hashKeyspaceId(id)!, range)) out.push(id);
  }
  return out;
}

async function insertIds(qualified: string, ids: readonly string[]): Promise<void> {
  await vtgatePool().query(`insert into ${qualified} (id, payload) values ${ids.map(() => '(?, ?)').join(', ')}`, ids.flatMap((id) => [id, '{}']));
}

for (const t of transportCases(cleanup)) {
  test(`${t.name}: a subscriber with shard '-80' receives that shard's messages only`, { timeout: 30_000 }, async () => {
    const { spec, qualified } = await table(`life_target_${t.name}`, { ackWaitS: 30 });
    const low = idsOn('-80', 5);
    const high = idsOn('80-', 5);
    await insertIds(qualified, [...low, ...high]);
    const seen = new Set<string>();
    const sub = subscribe(spec, (_m, ctx) => void seen.add(String(ctx.id)), { executor: poolExecutor(), ...t.source(), shard: '-80' });
    cleanup.push(() => sub.close());
    await waitUntil(() => low.every((id) => seen.has(id)), 20_000, 'the -80 messages');
    // A later message on -80 arrives after every earlier due one would have.
    const [marker] = idsOn('-80', 1);
    await insertIds(qualified, [marker!]);
    await waitUntil(() => seen.has(marker!), 20_000, 'the marker');
    await sub.close();
    assert.deepEqual(high.filter((id) => seen.has(id)), [], 'nothing from 80-');
  });
}

describe('stall watchdog and transports', () => {
  test('a subscriber on shard -80 is not stalled by due rows on 80-', { timeout: 30_000 }, async () => {
    const { spec, qualified } = await table('life_shard', { ackWaitS: 30, pollerIntervalS: 0.5 });
    const insertedAt = Date.now();
    await insertIds(qualified, idsOn('80-', 5));
    // Due for longer than the watchdog's threshold (2 poller intervals + 1 s) from here on.
    const dueSince = insertedAt + 2 * 500 + 1_000 + 200;
    const real = poolExecutor();
    let lateChecks = 0;
    const executor: Executor = {
      async query(sql, params) {
        if (/`time_next` < \?/.test(sql) && sql.startsWith('select') && Date.now() > dueSince) lateChecks++;
        return real.query(sql, params);
      },
    };
    const sub = subscribe(spec, () => undefined, { executor, address: vitess.grpcAddr, shard: '-80', stallTimeout: 400 });
    cleanup.push(() => sub.close());
    await waitUntil(() => lateChecks >= 4, 20_000, 'four watchdog checks while 80- has due rows');
    assert.equal(sub.stats().stalls, 0, 'not stalled by another shard');
    assert.equal(sub.stats().reconnects, 0);
    await sub.close();
  });

  test('a transport factory is called again for a new connection after a stall (a frozen gRPC channel is not reused)', { timeout: 60_000 }, async () => {
    const proxy = await TcpProxy.start(vitess.grpcAddr);
    cleanup.push(() => proxy.close());
    const { spec, qualified } = await table('life_factory', { ackWaitS: 5, pollerIntervalS: 0.5 });
    let made = 0;
    const events: string[] = [];
    const handled = new Set<string>();
    const sub = subscribe(spec, (_m, ctx) => void handled.add(String(ctx.id)), {
      executor: poolExecutor(),
      transport: () => {
        made++;
        const t = new VtgateGrpcTransport({ address: proxy.address, keepalive: '10m' });
        cleanup.push(async () => t.close());
        return t;
      },
      stallTimeout: '1.5s',
    });
    cleanup.push(() => sub.close());
    sub.on('stalled', () => events.push('stalled'));
    sub.on('reconnecting', (i) => events.push(i.error ? `transport error: ${(i.error as Error).message}` : 'resubscribe'));
    const [warm] = await insertMessages(qualified, 1, 1);
    await waitUntil(() => handled.has(warm!), 15_000, 'the first message through the proxy');
    proxy.freeze();
    // More than the frozen connection's windows take in (README "Flow control"),
    // so the tablet blocks and the rest stays due at once: the watchdog sees it
    // long before vtgate's own keepalive (≈ 20 s) drops the frozen connection.
    // What went into the void comes back after the 5 s ack wait.
    const ids = await insertMessages(qualified, 6_000, 500);
    await waitUntil(() => ids.every((id) => handled.has(id)), 45_000, `the messages after the stall (${events.join(', ')})`);
    await sub.close();
    assert.equal(events[0], 'stalled', events.join(' | '));
    assert.ok(made >= 2, `the factory made a new transport (${made})`);
  });
});
