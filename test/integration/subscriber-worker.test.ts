/**
 * The subscriber's lifecycle as BullMQ `Worker` users expect it, on the real
 * Vitess: `autorun: false` + `run()`, `waitUntilReady()` (and its typed
 * `ConnectError` on a dead address), `pause()` / `resume()`, events that carry
 * the message, and leases renewed while a handler runs (`autoExtend`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectError, RetryLaterError, StreamError, UnrecoverableError } from '../../src/core/errors';
import { stream } from '../../src/subscriber/message-stream';
import { subscribe } from '../../src/subscriber/subscriber';
import { insertMessages, poolExecutor, sentOf, specTables, transportCases } from '../helpers/subscriber-fixtures';
import { debugVars, vitess, waitUntil } from '../helpers/vitess';

const { table, cleanup } = specTables();

type Job = { id: string; epoch: number; payload: { i: number; kind?: string } };

/** Resolves after `ms`, or at once when `signal` aborts (a handler's work). */
function work(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

describe('subscriber lifecycle (BullMQ Worker style)', () => {
  test('autorun: false reads nothing until run(); waitUntilReady resolves once the 2-shard stream is open', { timeout: 40_000 }, async () => {
    const { spec, qualified } = await table('wk_autorun', { ackWaitS: 30 });
    const handledByA: string[] = [];
    const a = subscribe<Job>(spec, (m) => void handledByA.push(m.id), { executor: poolExecutor(), address: vitess.grpcAddr, autorun: false });
    cleanup.push(() => a.close());
    assert.equal(a.isRunning, false);
    // The later event: another subscriber takes every message while A has no stream.
    const b = subscribe<Job>(spec, () => undefined, { executor: poolExecutor(), address: vitess.grpcAddr });
    cleanup.push(() => b.close());
    await b.waitUntilReady();
    const first = await insertMessages(qualified, 4, 4);
    await waitUntil(() => b.stats().acked === 4, 20_000, 'B to handle all four');
    assert.deepEqual([a.stats().received, handledByA.length, a.fields.length], [0, 0, 0], 'A read nothing before run()');
    await b.close();

    a.run();
    assert.equal(a.run(), a, 'run() is idempotent');
    await a.waitUntilReady();
    assert.deepEqual(a.fields.map((f) => f.name), ['id', 'epoch', 'payload'], 'ready: the fields packet came');
    const later = await insertMessages(qualified, 6, 6);
    await waitUntil(() => a.stats().acked === 6, 20_000, 'A to handle the later six');
    assert.deepEqual(handledByA.sort(), [...later].sort());
    assert.ok(!handledByA.some((id) => first.includes(id)));
    await a.close();
    await assert.rejects(a.waitUntilReady(), /is closed: its stream is not open/, 'closed: not ready');
    assert.throws(() => subscribe(spec, () => undefined, { executor: poolExecutor(), address: vitess.grpcAddr, autorun: 'no' as unknown as boolean }), /option 'autorun' must be true or false/);
  });

  test('the iterator form with autorun: false starts when iterated; active carries the item', { timeout: 30_000 }, async () => {
    const { spec, qualified } = await table('wk_iter', { ackWaitS: 30, keyspace: vitess.unsharded });
    const s = stream<Job>(spec, { executor: poolExecutor(), address: vitess.grpcAddr, autorun: false });
    cleanup.push(() => s.close());
    const active: string[] = [];
    s.on('active', (m, ctx) => active.push(`${m.id} ${ctx.attempt}`));
    assert.equal(s.isRunning, false);
    const [id] = await insertMessages(qualified, 1, 1);
    for await (const m of s) {
      await m.ack();
      break;
    }
    assert.deepEqual(active, [`${id} 1`]);
    assert.equal(s.stats().acked, 1);
  });

  test('waitUntilReady rejects with a ConnectError naming the address after connectAttempts failed opens; the subscriber keeps trying until closed', { timeout: 30_000 }, async () => {
    const { spec } = await table('wk_dead', { ackWaitS: 30 });
    const dead = '127.0.0.1:1';
    const sub = subscribe(spec, () => undefined, { executor: poolExecutor(), address: dead, connectAttempts: 3, reconnect: { base: 10, max: 20 } });
    cleanup.push(() => sub.close());
    const err = await sub.waitUntilReady().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConnectError, `a ConnectError, got ${String(err)}`);
    assert.equal(err.address, dead);
    assert.equal(err.attempts, 3);
    assert.equal(err.table, spec.table);
    assert.ok(err.cause instanceof StreamError && err.cause.retryable, 'the last cause: a retryable StreamError');
    assert.match(err.message, /127\.0\.0\.1:1/);
    // Kept, as BullMQ keeps its worker: it goes on reconnecting; a later wait fails at once.
    assert.equal(sub.isRunning, true);
    await assert.rejects(sub.waitUntilReady(), ConnectError);
    await waitUntil(() => sub.stats().reconnects >= 4, 10_000, 'reconnecting to go on');
    await sub.close();
    assert.throws(() => sub.run(), /closed/);
    assert.throws(() => subscribe(spec, () => undefined, { executor: poolExecutor(), address: dead, connectAttempts: 0 }), /option 'connectAttempts' must be an integer >= 1/);
  });

  test('pause() stops handlers and reading (the messages reach the transport, none is handled); resume() goes on', { timeout: 40_000 }, async () => {
    const { spec, qualified } = await table('wk_pause', { ackWaitS: 30, keyspace: vitess.unsharded });
    const handled: string[] = [];
    let handledWhilePaused = 0;
    const sub = subscribe<Job>(spec, (m) => {
      if (sub.isPaused) handledWhilePaused++;
      handled.push(m.id);
    }, { executor: poolExecutor(), address: vitess.grpcAddr });
    cleanup.push(() => sub.close());
    const events: string[] = [];
    sub.on('paused', () => events.push('paused')).on('resumed', () => events.push('resumed'));
    await insertMessages(qualified, 1, 1);
    await waitUntil(() => sub.stats().acked === 1, 20_000, 'the first message');
    await sub.pause();
    const sentBefore = sentOf(await debugVars(), spec.table);
    const during = await insertMessages(qualified, 3, 3);
    // The later event: the tablet sent all three into this (paused) subscriber's stream.
    await waitUntil(async () => sentOf(await debugVars(), spec.table) >= sentBefore + 3, 20_000, 'the tablet to send the three');
    assert.deepEqual([handled.length, sub.stats().received, sub.stats().running], [1, 1, 0], 'paused: nothing read, nothing handled');
    sub.resume();
    await waitUntil(() => sub.stats().acked === 4, 20_000, 'the three after resume');
    assert.deepEqual(handled.slice(1).sort(), [...during].sort());
    assert.equal(handledWhilePaused, 0);
    assert.deepEqual(events, ['paused', 'resumed']);
  });

  test('events carry the message: active, completed, retrying(message, error, delay), deadLettered(message, error); failed(id, reason) still comes', { timeout: 40_000 }, async () => {
    const { spec, qualified } = await table('wk_events', { ackWaitS: 30, keyspace: vitess.unsharded });
    const sub = subscribe<Job>(spec, (m) => {
      if (m.payload.kind === 'dead') throw new UnrecoverableError('never works');
      if (m.payload.kind === 'retry' && m.epoch === 0) throw new RetryLaterError('not yet', 0);
    }, { executor: poolExecutor(), address: vitess.grpcAddr });
    cleanup.push(() => sub.close());
    const log: string[] = [];
    sub.on('active', (m, ctx) => {
      assert.equal(m.id, ctx.id);
      log.push(`active ${m.payload.kind} ${ctx.attempt}`);
    });
    sub.on('completed', (m, ctx) => log.push(`completed ${m.payload.kind} ${ctx.settled}`));
    sub.on('retrying', (m, err, delayMs) => log.push(`retrying ${m.payload.kind} ${(err as Error).name} ${delayMs}`));
    sub.on('deadLettered', (m, err, ctx) => log.push(`deadLettered ${m.payload.kind} ${(err as Error).name} ${ctx.attempt}`));
    sub.on('failed', (id, reason) => log.push(`failed ${typeof id} ${reason}`));
    const kinds = ['ok', 'retry', 'dead'];
    await insertMessages(qualified, 3, 3, (i) => ({ i, kind: kinds[i] }));
    await waitUntil(() => sub.stats().acked === 2 && sub.stats().failed === 1, 20_000, 'two acked, one dead-lettered');
    assert.deepEqual(log.sort(), [
      'active dead 1', 'active ok 1', 'active retry 1', 'active retry 2',
      'completed ok acked', 'completed retry acked',
      'deadLettered dead UnrecoverableError 1',
      'failed string UnrecoverableError: never works',
      'retrying retry RetryLaterError 0',
    ]);
  });
});

describe('readiness over both transports', () => {
  for (const t of transportCases(cleanup)) {
    test(`${t.name}: waitUntilReady resolves with the fields of a 2-shard stream; a dead endpoint rejects with a ConnectError`, { timeout: 30_000 }, async () => {
      const { spec } = await table(`wk_ready_${t.name}`, { ackWaitS: 30 });
      const sub = subscribe(spec, () => undefined, { executor: poolExecutor(), ...t.source() });
      cleanup.push(() => sub.close());
      await sub.waitUntilReady();
      assert.deepEqual(sub.fields.map((f) => f.name), ['id', 'epoch', 'payload']);
      await sub.close();
      // Port 1 on localhost: refused at once.
      const dead = subscribe(spec, () => undefined, { executor: poolExecutor(), ...t.source('127.0.0.1:1'), connectAttempts: 2, reconnect: { base: 10, max: 20 } });
      cleanup.push(() => dead.close());
      const err = await dead.waitUntilReady().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ConnectError, `a ConnectError, got ${String(err)}`);
      assert.equal(err.attempts, 2);
      assert.equal(err.address, t.name === 'grpc' ? '127.0.0.1:1' : '(transport)');
      assert.ok(err.cause instanceof StreamError && err.cause.retryable, `the cause: a retryable StreamError, got ${String(err.cause)}`);
      await dead.close();
    });
  }
});

describe('autoExtend', () => {
  test('a handler running 3x the ack wait: delivered once with autoExtend (leases renewed), sent again while it runs without it', { timeout: 60_000 }, async () => {
    for (const autoExtend of [true, false]) {
      const { spec, qualified } = await table('wk_extend', { ackWaitS: 1, keyspace: vitess.unsharded });
      const starts = new Map<number, number>();
      let copyArrived!: () => void;
      const copy = new Promise<void>((resolve) => (copyArrived = resolve));
      const sub = subscribe<Job>(spec, async (m, ctx) => {
        const n = (starts.get(m.payload.i) ?? 0) + 1;
        starts.set(m.payload.i, n);
        if (m.payload.i !== 0) return;
        if (n > 1) copyArrived();
        // 3x the ack wait; without autoExtend, on until the copy came (the tablet's resend time varies under load).
        else await (autoExtend ? work(3 * spec.options.ackWaitMs, ctx.signal) : Promise.race([copy, work(20_000, ctx.signal)]));
      }, { executor: poolExecutor(), address: vitess.grpcAddr, autoExtend, closeTimeout: '5s' });
      cleanup.push(() => sub.close());
      await sub.waitUntilReady();
      await insertMessages(qualified, 1, 1, () => ({ i: 0 }));
      if (autoExtend) {
        await waitUntil(() => sub.stats().acked === 1, 20_000, 'the long handler to finish');
        // The later event: a marker behind it on the same (unsharded) stream.
        await insertMessages(qualified, 1, 1, () => ({ i: 1 }));
        await waitUntil(() => starts.get(1) === 1, 20_000, 'the marker');
        assert.equal(starts.get(0), 1, 'delivered once');
        assert.ok(sub.stats().extensions >= 2, `leases renewed (${sub.stats().extensions})`);
        assert.equal(sub.stats().duplicates, 0);
      } else {
        await waitUntil(() => (starts.get(0) ?? 0) >= 2, 20_000, 'the tablet to send it again while the first handler runs');
        assert.equal(sub.stats().extensions, 0);
      }
      await sub.close();
    }
  });
});
