/**
 * Shard of a row under Vitess's hash vindex, computed here for the stall
 * watchdog of a one-shard subscriber; pinned against keyspace ids vtgate
 * itself returned (`select id, keyspace_id, shard from hash where id in (…)`,
 * vtcombo v0.24.4, shards -80 / 80-).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashKeyspaceId, inKeyRange, isFullRange, shardKeyRange } from '../../src/core/keyrange';
import { buildDueSample } from '../../src/core/sql/due-count';
import { buildStream } from '../../src/core/sql/stream';
import type { MessageTableSpec } from '../../src/core/spec';

test('hash vindex keyspace ids match vtgate for small ids, bigint and decimal strings; non-integers give undefined', () => {
  const seen: Array<[string, string, string]> = [
    ['1', '166b40b44aba4bd6', '-80'],
    ['2', '06e7ea22ce92708f', '-80'],
    ['4', 'd2fd8867d50d2dfe', '80-'],
    ['6', 'f098480ac4c4be71', '80-'],
  ];
  const low = shardKeyRange('-80');
  const high = shardKeyRange('80-');
  for (const [id, hex, shard] of seen) {
    const kid = hashKeyspaceId(id)!;
    assert.equal(kid.toString('hex'), hex, id);
    assert.equal(hashKeyspaceId(BigInt(id))!.toString('hex'), hex);
    assert.equal(inKeyRange(kid, low), shard === '-80');
    assert.equal(inKeyRange(kid, high), shard === '80-');
  }
  // vtgate placed 7 on 80- and 2^64 − 1 on -80 (seen with the same query).
  assert.ok(inKeyRange(hashKeyspaceId('7')!, high));
  assert.ok(inKeyRange(hashKeyspaceId('18446744073709551615')!, low));
  assert.equal(hashKeyspaceId('-1')!.toString('hex'), hashKeyspaceId('18446744073709551615')!.toString('hex'), 'an int64 hashes by its bit pattern');
  for (const bad of ['abc', '1.5', null, undefined, 1.5, '18446744073709551616']) assert.equal(hashKeyspaceId(bad), undefined, String(bad));
});

test('shard names: key ranges, full ranges, bad names', () => {
  assert.ok(isFullRange(shardKeyRange('0')));
  assert.ok(isFullRange(shardKeyRange('-')));
  const mid = shardKeyRange('40-80');
  assert.ok(inKeyRange(Buffer.from('40', 'hex'), mid));
  assert.ok(inKeyRange(Buffer.from('7fffffffffffffff', 'hex'), mid));
  assert.ok(!inKeyRange(Buffer.from('80', 'hex'), mid));
  assert.ok(!inKeyRange(Buffer.from('3fff', 'hex'), mid));
  assert.throws(() => shardKeyRange('8-'), RangeError);
});

test('the watchdog sample of a one-shard subscriber: vindex column, due before, bounded', () => {
  const spec = { table: 'jobs', keyspace: 'commerce', options: {} } as unknown as MessageTableSpec;
  assert.deepEqual(buildDueSample(spec, '1700000000000000000', 'customer_id'), {
    sql: 'select `customer_id` from `commerce`.`jobs` where `time_acked` is null and `time_next` < ? limit 1000',
    params: ['1700000000000000000'],
  });
});

test('the stream statement names the shard in the qualifier (vtgate ignores the session target for it)', () => {
  const spec = { table: 'jobs', keyspace: 'commerce', options: {} } as unknown as MessageTableSpec;
  assert.deepEqual(buildStream(spec), { sql: 'stream * from `commerce`.`jobs`', params: [] });
  assert.deepEqual(buildStream(spec, '-80'), { sql: 'stream * from `commerce:-80`.`jobs`', params: [] });
  assert.throws(() => buildStream(spec, "-80`.x; --"), RangeError);
});
