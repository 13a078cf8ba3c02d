/**
 * The one postpone-race helper of the library functions and the subscriber:
 * one UPDATE per batch of targets streamed at one epoch, then — only for rows
 * it did not change — one read, and a retry of just the rows still waiting for
 * their postpone. Round trips are counted, never timed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecResult, Executor, SqlParam } from '../../src/core/executor';
import { nack } from '../../src/core/operations';
import { runGuarded } from '../../src/core/race';
import type { MessageTableSpec } from '../../src/core/spec';
import { buildNack } from '../../src/core/sql/nack';
import { Settler } from '../../src/subscriber/settler';

const spec: MessageTableSpec = {
  table: 'jobs',
  keyspace: 'ks',
  payload: [],
  streamed: ['id', 'epoch'],
  options: { ackWaitMs: 60_000, purgeAfterMs: 1000, pollerIntervalMs: 1000, batchSize: 500, cacheSize: 500 },
};

/**
 * A table in miniature: rows in `landed` have been postponed (epoch 1) and
 * match the guarded UPDATE, which settles them; the others still show the
 * streamed epoch 0 (their postpone is pending) and match nothing.
 */
function table(landed: Set<string>): Executor & { calls: Array<{ sql: string; params: readonly SqlParam[] }> } {
  const calls: Array<{ sql: string; params: readonly SqlParam[] }> = [];
  const settled = new Set<string>();
  return {
    calls,
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      calls.push({ sql, params });
      const ids = params.filter((p): p is string => typeof p === 'string' && /^id\d+$/.test(p));
      if (sql.startsWith('select')) return { rows: ids.map((id) => ({ id, epoch: landed.has(id) || settled.has(id) ? '1' : '0', time_next: '1', time_acked: null })), affectedRows: 0 };
      const changed = ids.filter((id) => landed.has(id) && !settled.has(id));
      for (const id of changed) settled.add(id); // changed once, no longer matched
      return { rows: [], affectedRows: changed.length };
    },
  };
}

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `id${from + i}`);

test('race: nacking 1,000 messages streamed at one epoch is two UPDATEs of 500, through the library and the subscriber', async () => {
  const lib = table(new Set(ids(1000)));
  // Ids here are not numeric: the helper is driven directly with what normalizeRefs would give it.
  const changed = await runGuarded({
    spec, targets: ids(1000).map((id) => ({ id, epoch: '0' })), batchSize: 500, waitMs: 60_000,
    build: (b) => buildNack(spec, b, '5'), run: (s) => lib.query(s.sql, s.params),
  });
  assert.equal(changed, 1000);
  assert.deepEqual(lib.calls.map((c) => c.sql.split(' ')[0]), ['update', 'update']);

  const sub = table(new Set(ids(1000)));
  const settler = new Settler(spec, sub, { ackBatchSize: 500, ackIntervalMs: 0 });
  assert.equal(await settler.nack(ids(1000).map((id) => ({ id, epoch: 0 }))), 1000);
  assert.deepEqual(sub.calls.map((c) => c.sql.split(' ')[0]), ['update', 'update']);
});

test('race: rows whose postpone has not landed are read once per batch and retried alone; other epochs go in their own statement', async () => {
  const landed = new Set([...ids(499), 'id600']);
  const ex = table(landed);
  let sleeps = 0;
  const targets = [...ids(500).map((id) => ({ id, epoch: '0' })), { id: 'id600', epoch: '3' }];
  const changed = runGuarded({
    spec, targets, batchSize: 500, waitMs: 60_000,
    build: (b) => buildNack(spec, b, '5'), run: (s) => ex.query(s.sql, s.params),
    sleep: async () => {
      sleeps++;
      landed.add('id499'); // the tablet's postpone lands while we wait
    },
  });
  assert.equal(await changed, 501);
  assert.deepEqual(ex.calls.map((c) => `${c.sql.split(' ')[0]} ${c.params.filter((p) => typeof p === 'string' && p.startsWith('id')).length}`), [
    'update 500', // 499 change; id499's postpone is pending
    'select 500', // one read of the batch shows which rows still wait
    'update 1', // and only that one is retried
    'update 1', // the epoch-3 group
  ]);
  assert.equal(sleeps, 1);
  // The epoch guard: streamed + 1.
  assert.ok(ex.calls[0]!.params.includes('1') && ex.calls[3]!.params.includes('4'));
});

test('race: the library nack reaches the helper (numeric ids, one statement for many refs of one epoch)', async () => {
  const calls: string[] = [];
  const ex: Executor = { query: async (sql, params) => (calls.push(sql), { rows: [], affectedRows: params.length - 4 }) };
  const refs = Array.from({ length: 300 }, (_, i) => ({ id: String(i + 1), epoch: 2 }));
  assert.equal(await nack(ex, spec, refs), 300);
  assert.equal(calls.length, 1, 'one UPDATE for 300 refs of one epoch (it was 300 before)');
});

test('race: a row whose postpone lands between the UPDATE and the read-back is updated on the retry, not dropped', async () => {
  // The UPDATE finds the row still at the streamed epoch 0; the tablet's
  // postpone lands before the read, which then shows epoch 1: the guarded
  // UPDATE matches now, so it must run again (seen under load: a nack counted 0).
  let epoch = '0';
  let updates = 0;
  let nacked = false;
  const ex: Executor = {
    async query(sql: string): Promise<ExecResult> {
      if (sql.startsWith('select')) return { rows: [{ id: 'id1', epoch, time_next: '1', time_acked: null }], affectedRows: 0 };
      updates++;
      const matches = epoch === '1' && !nacked;
      if (matches) nacked = true;
      epoch = '1'; // the postpone lands right after the first UPDATE
      return { rows: [], affectedRows: matches ? 1 : 0 };
    },
  };
  const changed = await runGuarded({
    spec, targets: [{ id: 'id1', epoch: '0' }], batchSize: 500, waitMs: 60_000,
    build: (b) => buildNack(spec, b, '5'), run: (s) => ex.query(s.sql, s.params), sleep: async () => undefined,
  });
  assert.equal(changed, 1);
  assert.equal(updates, 2);

  // A row at the next epoch that the UPDATE still does not change (failed, say) is tried once more, not until the wait ends.
  let tries = 0;
  const stuck: Executor = {
    async query(sql: string): Promise<ExecResult> {
      if (sql.startsWith('select')) return { rows: [{ id: 'id1', epoch: '1', time_next: '9223372036854775807', time_acked: null }], affectedRows: 0 };
      tries++;
      return { rows: [], affectedRows: 0 };
    },
  };
  assert.equal(await runGuarded({
    spec, targets: [{ id: 'id1', epoch: '0' }], batchSize: 500, waitMs: 60_000,
    build: (b) => buildNack(spec, b, '5'), run: (s) => stuck.query(s.sql, s.params), sleep: async () => undefined,
  }), 0);
  assert.equal(tries, 2);
});
