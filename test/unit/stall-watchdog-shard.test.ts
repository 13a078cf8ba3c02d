/**
 * The stall watchdog's question for a one-shard subscriber: are rows due on
 * *this* shard? (Rows due on another shard are another subscriber's.) Asked of
 * a recording executor that answers as the table would.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Executor } from '../../src/core/executor';
import type { MessageTableSpec } from '../../src/core/spec';
import { startStallWatchdog } from '../../src/subscriber/stall-watchdog';
import { waitUntil } from '../helpers/vitess';

const spec: MessageTableSpec = {
  table: 'jobs',
  keyspace: 'commerce',
  payload: [],
  streamed: ['id', 'epoch'],
  vindex: { column: 'id', type: 'hash' },
  options: { ackWaitMs: 30_000, purgeAfterMs: 86_400_000, pollerIntervalMs: 1_000, batchSize: 100, cacheSize: 10_000 },
};

/** Runs the watchdog until it has asked `checks` times; returns how often it reported a stall, and the SQL it sent. */
async function watch(shard: string | undefined, dueIds: string[], s: MessageTableSpec = spec): Promise<{ stalls: number; sql: string[] }> {
  const sql: string[] = [];
  const executor: Executor = {
    async query(text) {
      sql.push(text);
      return { rows: dueIds.map((id) => ({ id })), affectedRows: 0 };
    },
  };
  let stalls = 0;
  const stream = { lastPacketAt: Date.now() - 60_000, pulling: true, receiving: true };
  const timer = startStallWatchdog(s, executor, 40, shard, stream, () => stalls++, (e) => assert.fail(String(e)));
  try {
    await waitUntil(() => sql.length >= 3, 5_000, 'three checks');
  } finally {
    clearInterval(timer);
  }
  return { stalls, sql };
}

test('a one-shard subscriber is stalled only by rows due on its own shard (hash vindex)', async () => {
  // ids 4 and 6 live on 80-, 1 and 2 on -80 (as vtgate places them).
  const other = await watch('-80', ['4', '6']);
  assert.equal(other.stalls, 0, 'rows due on 80- do not stall a -80 subscriber');
  assert.match(other.sql[0]!, /^select `id` from `commerce`\.`jobs` where .* limit 1000$/);
  const own = await watch('-80', ['4', '2']);
  assert.ok(own.stalls >= 1, 'a row due on -80 does');
  const all = await watch(undefined, ['4']);
  assert.ok(all.stalls >= 1, 'a keyspace-wide subscriber: any due row');
  assert.match(all.sql[0]!, /limit 1$/);
  const other2 = await watch('80-', ['1', '2']);
  assert.equal(other2.stalls, 0);
  // Another vindex type: the shard cannot be computed here, so the whole keyspace counts.
  const xx = await watch('80-', ['1'], { ...spec, vindex: { column: 'id', type: 'xxhash' } });
  assert.ok(xx.stalls >= 1);
});
