import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError, StreamError } from '../../src/core/errors';
import { checkIdentifier, quoteTable } from '../../src/core/identifiers';
import { normalizeId, randomId } from '../../src/core/ids';
import { msToNs, toMs } from '../../src/core/time';
import { toStreamError } from '../../src/subscriber/grpc/stream-error';
import { MIN_KEEPALIVE_MS, vtgateChannelOptions } from '../../src/subscriber/grpc/vtgate-grpc-transport';

test('identifiers are validated and quoted; anything else is refused', () => {
  assert.equal(quoteTable('jobs', 'commerce'), '`commerce`.`jobs`');
  assert.equal(quoteTable('my_table', 'ks-1'), '`ks-1`.`my_table`');
  for (const bad of ['a`b', 'x; drop table y', '', '1abc', 'a b', 'a'.repeat(65)]) {
    assert.throws(() => checkIdentifier(bad), InvalidOptionError, bad);
  }
});

test('ids: random ids are positive 63-bit bigints; ids normalise to exact decimal strings', () => {
  // Across several refills of the entropy buffer (256 ids each): in range and never repeated.
  const seen = new Set<bigint>();
  for (let i = 0; i < 2000; i++) {
    const id = randomId();
    assert.ok(id > 0n && id < 2n ** 63n);
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
  assert.equal(normalizeId(9007199254740993n), '9007199254740993');
  assert.equal(normalizeId('9223372036854775807'), '9223372036854775807');
  for (const bad of ['0', '-1', '9223372036854775808', '1e3', '12 ', "1' or 1=1", 5 as unknown as string]) {
    assert.throws(() => normalizeId(bad), InvalidOptionError, String(bad));
  }
});

test('durations: ms numbers or readable strings; ns as bigint', () => {
  assert.equal(toMs('30s'), 30_000);
  assert.equal(toMs('1d'), 86_400_000);
  assert.equal(toMs('250ms'), 250);
  assert.equal(toMs(1500), 1500);
  assert.throws(() => toMs('30 s'), InvalidOptionError);
  assert.throws(() => toMs(-1), InvalidOptionError);
  assert.equal(msToNs(1500), 1_500_000_000n);
  assert.equal(msToNs(0.5), 500_000n);
});

test('gRPC keepalive never pings faster than vtgate allows (10 s)', () => {
  assert.equal(MIN_KEEPALIVE_MS, 10_000);
  assert.equal(vtgateChannelOptions()['grpc.keepalive_time_ms'], 30_000);
  assert.equal(vtgateChannelOptions({ keepalive: '10s' })['grpc.keepalive_time_ms'], 10_000);
  assert.throws(() => vtgateChannelOptions({ keepalive: 9_999 }), InvalidOptionError);
});

test('stream errors: retryable from the gRPC status', () => {
  const unavailable = toStreamError({ code: 14, details: 'Connection dropped', message: '' }, 't');
  assert.ok(unavailable instanceof StreamError);
  assert.deepEqual([unavailable.code, unavailable.retryable, unavailable.table], ['UNAVAILABLE', true, 't']);
  for (const code of [5, 9, 3, 7, 16, 12]) assert.equal(toStreamError({ code, details: 'x', message: '' }).retryable, false, String(code));
});
