/**
 * The subscriber under misuse, on the real Vitess: listeners that throw, delays
 * that are not delays, and a transport wrapper with a bug. Each is a typed error
 * where it is made, never a crash, a lost message or an endless reconnect loop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidOptionError, RetryLaterError, StreamError } from '../../src/core/errors';
import { subscribe } from '../../src/subscriber/subscriber';
import { VtgateGrpcTransport } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import type { StreamTransport } from '../../src/subscriber/transport';
import { countAcked, insertMessages, poolExecutor, specTables } from '../helpers/subscriber-fixtures';
import { msToNs, nowNs } from '../../src/core/time';
import { vitess, vtgatePool, waitUntil } from '../helpers/vitess';

const { table, cleanup } = specTables();

// Unhandled rejections and warnings during this file: a listener's bug must be neither a crash nor silent.
const unhandled: unknown[] = [];
const warnings: Error[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const onWarning = (w: Error) => warnings.push(w);
before(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('warning', onWarning);
});
after(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('warning', onWarning);
});

describe('subscriber misuse', () => {
  test('listeners that throw (or reject) reach the error listeners; the stream goes on, nothing is unhandled', async () => {
    const { spec, qualified } = await table('mis_listen', { ackWaitS: 30 });
    await insertMessages(qualified, 3, 3);
    const sub = subscribe(spec, () => undefined, { executor: poolExecutor(), address: vitess.grpcAddr });
    cleanup.push(() => sub.close());
    const errors: unknown[] = [];
    sub.on('error', (e) => errors.push(e));
    sub.on('drained', () => {
      throw new Error('drained listener bug');
    });
    sub.on('acked', (async () => {
      throw new Error('async acked listener bug');
    }) as () => void);
    await waitUntil(() => sub.stats().acked === 3, 20_000, 'three acks');
    await waitUntil(() => errors.filter((e) => /async acked listener bug/.test(String((e as Error).message))).length === 3, 10_000, 'one error per rejecting acked listener call');
    assert.ok(errors.some((e) => /listener of 'drained' threw: drained listener bug/.test((e as Error).message)));
    await insertMessages(qualified, 2, 2);
    await waitUntil(() => sub.stats().acked === 5, 20_000, 'the stream to go on');
    assert.equal(sub.stats().reconnects, 0, 'a listener bug never forces a reconnect');
    await sub.close();
    assert.equal(await countAcked(qualified), 5);
    assert.deepEqual(unhandled, []);
  });

  test('an error listener that throws becomes a process warning, not a crash', async () => {
    const { spec, qualified } = await table('mis_errlisten', { ackWaitS: 30 });
    await insertMessages(qualified, 1, 1);
    const before = warnings.length;
    const sub = subscribe(spec, () => {
      throw new Error('handler failed once');
    }, { executor: poolExecutor(), address: vitess.grpcAddr, maxAttempts: 1 });
    cleanup.push(() => sub.close());
    sub.on('error', () => {
      throw new Error('error listener bug');
    });
    await waitUntil(() => sub.stats().failed === 1, 20_000, 'the message to be failed');
    await waitUntil(() => warnings.slice(before).some((w) => /listener of 'error' threw: error listener bug/.test(w.message)), 10_000, 'the warning');
    await sub.close();
    assert.deepEqual(unhandled, []);
  });

  test('delays are checked where they are given: RetryLaterError and ctx.nack refuse NaN and negatives; the message is not lost', async () => {
    assert.throws(() => new RetryLaterError('later', Number.NaN), InvalidOptionError);
    assert.throws(() => new RetryLaterError('later', -1), InvalidOptionError);
    assert.throws(() => new RetryLaterError('later', Number.POSITIVE_INFINITY), InvalidOptionError);
    assert.throws(() => new RetryLaterError('later', '2 s' as never), InvalidOptionError);
    assert.equal(new RetryLaterError('later', 0).delayMs, 0);
    assert.equal(new RetryLaterError('later', '2s').delayMs, 2_000);

    const { spec, qualified } = await table('mis_delay', { ackWaitS: 30 });
    await insertMessages(qualified, 1, 1);
    const refused: unknown[] = [];
    const sub = subscribe(spec, async (_m, ctx) => {
      await ctx.nack({ delay: -1 }).catch((e: unknown) => refused.push(e));
      await ctx.nack({ delay: Number.NaN }).catch((e: unknown) => refused.push(e));
      await ctx.nack({ delay: '5 minutes' as never }).catch((e: unknown) => refused.push(e));
      assert.equal(ctx.settled, undefined, 'a refused nack leaves the delivery unsettled');
      await ctx.ack();
    }, { executor: poolExecutor(), address: vitess.grpcAddr });
    cleanup.push(() => sub.close());
    await waitUntil(() => sub.stats().acked === 1, 20_000, 'the ack');
    await sub.close();
    assert.equal(refused.length, 3);
    for (const e of refused) assert.ok(e instanceof InvalidOptionError && e.option === 'delay', String(e));
    assert.deepEqual([sub.stats().nacked, sub.stats().settleErrors], [0, 0]);
    assert.equal(await countAcked(qualified), 1);
  });

  test("ctx.nack({ delay: '2s' }) is honoured: the row's time_next reads 2 s after the nack, epoch kept; the message comes back and is acked", async () => {
    const { spec, qualified } = await table('mis_nackdelay', { ackWaitS: 30 });
    const [id] = await insertMessages(qualified, 1, 1);
    let written: { epoch: string; time_next: string; from: bigint; to: bigint } | undefined;
    const sub = subscribe(spec, async (_m, ctx) => {
      if (ctx.epoch > 0 || written) return; // the nacked message, back: acked
      const from = nowNs();
      await ctx.nack({ delay: '2s' });
      const to = nowNs();
      // Read before the tablet sends it again (its postpone would move time_next).
      const [rows] = await vtgatePool().query(`select epoch, time_next from ${qualified} where id = ?`, [id]);
      written = { ...(rows as Array<{ epoch: string; time_next: string }>)[0]!, from, to };
    }, { executor: poolExecutor(), address: vitess.grpcAddr });
    cleanup.push(() => sub.close());
    await waitUntil(() => sub.stats().acked === 1, 60_000, 'the nacked message back and acked');
    await sub.close();
    assert.ok(written);
    assert.equal(written.epoch, '1', 'the nack keeps the epoch of the postpone (one delivery)');
    // nowNs's sub-millisecond digits are not monotonic: a millisecond of slack on each side.
    const due = BigInt(written.time_next);
    assert.ok(due >= written.from + msToNs(2_000 - 1) && due <= written.to + msToNs(2_000 + 1), `time_next ${due} is 2 s after the nack (${written.from}..${written.to})`);
    assert.deepEqual([sub.stats().nacked, sub.stats().acked, await countAcked(qualified)], [1, 1, 1]);
  });

  test('a transport wrapper that throws a plain error ends the subscriber with a non-retryable StreamError instead of reconnecting forever', async () => {
    const { spec, qualified } = await table('mis_wrapper', { ackWaitS: 30 });
    await insertMessages(qualified, 1, 1);
    const real = new VtgateGrpcTransport({ address: vitess.grpcAddr });
    cleanup.push(async () => real.close());
    let opened = 0;
    const buggy: StreamTransport = {
      stream(request) {
        opened++;
        const call = real.stream(request);
        return {
          cancel: () => call.cancel(),
          async *[Symbol.asyncIterator]() {
            for await (const packet of call) {
              yield packet;
              if (packet.rows) throw new TypeError("Cannot read properties of undefined (reading 'lengths')");
            }
          },
        };
      },
      close: () => real.close(),
    };
    const streamErrors: unknown[] = [];
    const sub = subscribe(spec, () => undefined, { executor: poolExecutor(), transport: buggy });
    cleanup.push(() => sub.close());
    sub.on('streamError', (e) => streamErrors.push(e));
    const closed = new Promise<void>((resolve) => sub.once('closed', () => resolve()));
    await closed;
    assert.equal(opened, 1, 'not reopened');
    assert.equal(sub.stats().reconnects, 0);
    assert.equal(streamErrors.length, 1);
    const e = streamErrors[0] as StreamError;
    assert.ok(e instanceof StreamError);
    assert.deepEqual([e.code, e.retryable], ['CLIENT', false]);
    assert.ok(e.cause instanceof TypeError);
  });
});
