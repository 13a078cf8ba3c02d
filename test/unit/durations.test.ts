/**
 * One way to say a duration: every delay, lease, timeout and backoff takes
 * milliseconds or a string like '30s' (core/time toMs), under one name per
 * concept; the former `…Ms` names are refused with a hint naming the new one.
 * Each call site is pinned here on what it sends or resolves, before any SQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError, RetryLaterError } from '../../src/core/errors';
import { enqueue, extend, fail, nack } from '../../src/core/operations';
import type { MessageTableSpec } from '../../src/core/spec';
import { cliDurationMs } from '../../src/cli/duration';
import { msToNs, nowNs, toMs } from '../../src/core/time';
import { Queue } from '../../src/queue';
import { backoffDelayMs } from '../../src/subscriber/backoff';
import { Delivery, type DeliveryOwner, type SettleDetail } from '../../src/subscriber/delivery';
import { vtgateChannelOptions } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import { resolveSubscriberOptions } from '../../src/subscriber/options';
import { subscribe } from '../../src/subscriber/subscriber';
import { recorder } from '../helpers/recorder';

const spec: MessageTableSpec = {
  table: 't',
  keyspace: 'ks',
  payload: [{ name: 'body', property: 'body', sqlType: 'json', nullable: true }],
  streamed: ['id', 'epoch', 'body'],
  options: { ackWaitMs: 1000, purgeAfterMs: 1000, pollerIntervalMs: 1000, batchSize: 1, cacheSize: 1 },
};


/**
 * Asserts that `ns` (decimal) is `ms` after a moment between `before` and now,
 * give or take the millisecond (nowNs's sub-millisecond digits are not monotonic).
 */
function assertDueIn(ns: unknown, ms: number, before: bigint): void {
  const due = BigInt(ns as string);
  assert.ok(due >= before + msToNs(ms - 1) && due <= nowNs() + msToNs(ms + 1), `${String(ns)} is not ${ms} ms from now`);
}

const option = (name: string, rule?: RegExp) => (err: unknown): boolean =>
  err instanceof InvalidOptionError && err.option === name && (rule === undefined || rule.test(err.message));

const renamedTo = (old: string, now: string) => option(old, new RegExp(`was renamed '${now}' \\(milliseconds or a string like '30s'\\)`));

test('durations: toMs reads milliseconds and unit strings, and refuses anything else', () => {
  assert.deepEqual([toMs(0), toMs(1_500), toMs('250ms'), toMs('30s'), toMs('1.5s'), toMs('5m'), toMs('2h'), toMs('1d')], [0, 1_500, 250, 30_000, 1_500, 300_000, 7_200_000, 86_400_000]);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '30 s', '30', '1w', '-1s', 's', null, {}]) {
    assert.throws(() => toMs(bad as never, 'x'), option('x'), String(bad));
  }
});

test('durations: enqueue delay, nack delay, extend by — milliseconds or a string, as the due time sent', async () => {
  const ex = recorder();
  const before = nowNs();
  await enqueue(ex, spec, { body: 1 }, { delay: '30s' });
  await enqueue(ex, spec, { body: 1 }, { delay: 30_000 });
  await nack(ex, spec, '1', { delay: '2s' });
  await nack(ex, spec, '1', { delay: 2_000 });
  await extend(ex, spec, '1', { by: '5m' });
  await extend(ex, spec, '1', { by: 300_000 });
  const [e1, e2, n1, n2, x1, x2] = ex.calls;
  assertDueIn(e1!.params[2], 30_000, before); // id, priority, time_next, …
  assertDueIn(e2!.params[2], 30_000, before);
  assertDueIn(n1!.params[0], 2_000, before);
  assertDueIn(n2!.params[0], 2_000, before);
  assertDueIn(x1!.params[0], 300_000, before);
  assertDueIn(x2!.params[0], 300_000, before);
});

test('durations: bad values and the old names are refused before any SQL, naming the option', async () => {
  const ex = recorder();
  await assert.rejects(nack(ex, spec, '1', { delay: '3 seconds' as never }), option('delay'));
  await assert.rejects(nack(ex, spec, '1', { delay: -5 }), option('delay'));
  await assert.rejects(nack(ex, spec, '1', { delayMs: 5 } as never), renamedTo('delayMs', 'delay'));
  await assert.rejects(nack(ex, spec, '1', { raceWait: '1 s' as never }), option('raceWait'));
  await assert.rejects(fail(ex, spec, '1', { raceWaitMs: 5 } as never), renamedTo('raceWaitMs', 'raceWait'));
  await assert.rejects(extend(ex, spec, '1', { by: 0 }), option('by', /above 0/));
  await assert.rejects(extend(ex, spec, '1', { by: '-1s' as never }), option('by'));
  await assert.rejects(extend(ex, spec, '1', 5_000 as never), option('options'));
  await assert.rejects(new Queue('q', ['body']).close({ timeoutMs: 5 } as never), renamedTo('timeoutMs', 'timeout'));
  assert.deepEqual(ex.calls, []);
  // raceWait as a string is read too (0 = no wait).
  await nack(ex, spec, '1', { raceWait: '0ms' });
  assert.equal(ex.calls.length, 1);
});

test('durations: RetryLaterError takes a Duration and keeps it in ms', () => {
  assert.equal(new RetryLaterError('later', '2s').delayMs, 2_000);
  assert.equal(new RetryLaterError('later', 750).delayMs, 750);
  assert.throws(() => new RetryLaterError('later', '2 s' as never), option('delay'));
});

test('durations: subscriber options resolve to ms; bad values and the old …Ms names are refused with a hint', () => {
  const ok = { executor: recorder(), address: '127.0.0.1:1' };
  const r = resolveSubscriberOptions(spec, { ...ok, handlerTimeout: '2s', closeTimeout: '10s', stallTimeout: '1m', ackInterval: '5ms' }, 'subscribe');
  assert.deepEqual([r.handlerTimeoutMs, r.closeTimeoutMs, r.stallTimeoutMs, r.ackIntervalMs], [2_000, 10_000, 60_000, 5]);
  const d = resolveSubscriberOptions(spec, ok, 'subscribe');
  assert.deepEqual([d.handlerTimeoutMs, d.closeTimeoutMs, d.stallTimeoutMs, d.ackIntervalMs], [undefined, 30_000, 60_000, 0]);
  for (const [name, bad] of [['handlerTimeout', '2 s'], ['closeTimeout', -1], ['stallTimeout', 'soon'], ['ackInterval', Number.NaN]] as const) {
    assert.throws(() => subscribe(spec, () => undefined, { ...ok, [name]: bad } as never), option(name), name);
  }
  for (const [old, now] of [['handlerTimeoutMs', 'handlerTimeout'], ['closeTimeoutMs', 'closeTimeout'], ['stallTimeoutMs', 'stallTimeout'], ['ackIntervalMs', 'ackInterval']] as const) {
    assert.throws(() => subscribe(spec, () => undefined, { ...ok, [old]: 1_000 } as never), renamedTo(old, now), old);
  }
  assert.throws(() => subscribe(spec, () => undefined, { ...ok, retryBackoff: { baseMs: 1, maxMs: 2 } } as never), renamedTo('baseMs', 'base'));
  assert.throws(() => subscribe(spec, () => undefined, { ...ok, reconnect: { base: '1s', max: '1 m' } as never }), option('reconnect.max'));
  assert.equal(backoffDelayMs(2, { base: '1s', max: '1m', jitter: 0 }), 4_000);
  assert.equal(vtgateChannelOptions({ keepalive: '15s', keepaliveTimeout: '5s' })['grpc.keepalive_time_ms'], 15_000);
  assert.throws(() => vtgateChannelOptions({ keepaliveTimeout: 0 }), option('keepaliveTimeout'));
});

test('durations: ctx.nack takes the NackOptions of nack(), ctx.extend the ExtendOptions of extend(); refusals leave the delivery unsettled', async () => {
  const settles: Array<{ how: string; detail: SettleDetail | undefined }> = [];
  const leases: Array<{ timeNextNs: string; waitMs: number | undefined }> = [];
  const owner: DeliveryOwner<object> = {
    settle: async (_d, how, detail) => void settles.push({ how, detail }),
    extendLease: async (_d, timeNextNs, waitMs) => (leases.push({ timeNextNs, waitMs }), true),
    noteSettledElsewhere: () => undefined,
  };
  const make = () => new Delivery<object>(owner, '1', '1', 0, undefined, {}, Date.now(), true);
  const before = nowNs();

  const a = make();
  await assert.rejects(a.nack({ delayMs: 2_000 } as never), renamedTo('delayMs', 'delay'));
  await assert.rejects(a.nack({ delay: '2 s' as never }), option('delay'));
  await assert.rejects(a.nack({ delay: '1s', deliverAt: 5 }), option('deliverAt'));
  assert.equal(a.isSettling, false);
  await a.nack({ delay: '2s', raceWait: '3s' });
  assertDueIn(settles[0]!.detail!.timeNextNs, 2_000, before);
  assert.equal(settles[0]!.detail!.waitMs, 3_000);

  await make().nack();
  assertDueIn(settles[1]!.detail!.timeNextNs, 0, before);
  assert.equal(settles[1]!.detail!.waitMs, undefined, "the subscriber's race wait");

  const b = make();
  await assert.rejects(b.extend(30_000 as never), option('options', /ctx\.extend\(\{ by/));
  await assert.rejects(b.extend({ by: 0 }), option('by'));
  await assert.rejects(b.extend({ ms: 5 } as never), option('ms'));
  assert.equal(await b.extend({ by: '30s' }), true);
  assert.equal(await b.extend({ by: 45_000, raceWait: 100 }), true);
  assertDueIn(leases[0]!.timeNextNs, 30_000, before);
  assertDueIn(leases[1]!.timeNextNs, 45_000, before);
  assert.deepEqual(leases.map((l) => l.waitMs), [undefined, 100]);
});

test('durations: the CLI reads a bare number in the option\'s unit, anything else as toMs does', () => {
  assert.equal(cliDurationMs('500', 'ms', 'olderThan', 'purge-failed'), 500);
  assert.equal(cliDurationMs('7d', 'ms', 'olderThan', 'purge-failed'), 7 * 86_400_000);
  assert.equal(cliDurationMs('0.2', 's', 'watch', 'stats'), 200);
  assert.equal(cliDurationMs('2m', 's', 'watch', 'stats'), 120_000);
  assert.throws(() => cliDurationMs('5 days', 's', 'watch', 'stats'), (e: unknown) => e instanceof InvalidOptionError && /stats/.test(e.message) && /watch/.test(e.message));
  assert.throws(() => cliDurationMs('-1', 'ms', 'olderThan', 'purge-failed'), InvalidOptionError);
});
