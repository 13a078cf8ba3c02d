/**
 * The subscriber's pure parts: options validation (nothing opened on bad input),
 * gRPC channel options, the ack batching and epoch-guarded nacks of the
 * settler (SQL text and parameters captured from a recording executor).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors';
import type { ExecResult, Executor, SqlParam } from '../../src/core/executor';
import type { MessageTableSpec } from '../../src/core/spec';
import { DB_NOW_NS } from '../../src/core/sql/db-now';
import { backoffDelayMs, DEFAULT_RECONNECT_BACKOFF, DEFAULT_RETRY_BACKOFF } from '../../src/subscriber/backoff';
import { transportBufferBound, vtgateChannelOptions } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import { Settler } from '../../src/subscriber/settler';
import { plainHydrator } from '../../src/subscriber/hydrator';
import { stream } from '../../src/subscriber/message-stream';
import { subscribe } from '../../src/subscriber/subscriber';

const spec: MessageTableSpec = {
  table: 'jobs',
  keyspace: 'commerce',
  payload: [{ name: 'customer_id', property: 'customerId', sqlType: 'bigint', nullable: false }, { name: 'payload', property: 'payload', sqlType: 'json', nullable: true }],
  streamed: ['id', 'epoch', 'customer_id', 'payload'],
  vindex: { column: 'customer_id', type: 'hash' },
  options: { ackWaitMs: 30_000, purgeAfterMs: 86_400_000, pollerIntervalMs: 1_000, batchSize: 100, cacheSize: 10_000 },
};

function recorder(affected: (sql: string, n: number) => number = () => 1): Executor & { calls: Array<{ sql: string; params: readonly SqlParam[] }> } {
  const calls: Array<{ sql: string; params: readonly SqlParam[] }> = [];
  return {
    calls,
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      calls.push({ sql, params });
      return { rows: [], affectedRows: affected(sql, calls.length) };
    },
  };
}

test('bad subscriber options throw InvalidOptionError naming the option, before anything connects', () => {
  const executor = recorder();
  const ok = { executor, address: '127.0.0.1:1' };
  const cases: Array<[string, () => unknown]> = [
    ['maxInFlight', () => subscribe(spec, () => undefined, { ...ok, maxInFlight: 0 })],
    ['concurrency', () => subscribe(spec, () => undefined, { ...ok, maxInFlight: 5, concurrency: 6 })],
    ['ackBatchSize', () => subscribe(spec, () => undefined, { ...ok, ackBatchSize: 1.5 })],
    ['ackInterval', () => subscribe(spec, () => undefined, { ...ok, ackInterval: -1 })],
    ['executor', () => subscribe(spec, () => undefined, { address: 'x:1' } as never)],
    ['address', () => subscribe(spec, () => undefined, { executor })],
    ['shard', () => stream(spec, { ...ok, shard: "-80' or 1" })],
    ['int64', () => stream(spec, { ...ok, int64: 'number' as never })],
    ['keyspace', () => stream({ ...spec, keyspace: undefined }, ok)],
    ['streamed', () => stream({ ...spec, streamed: ['id', 'payload'] }, ok)],
    ['handler', () => subscribe(spec, 'nope' as never, ok)],
    ['autorun', () => subscribe(spec, () => undefined, { ...ok, autorun: 0 as never })],
    ['connectAttempts', () => stream(spec, { ...ok, connectAttempts: 1.5 })],
    ['autoExtend', () => subscribe(spec, () => undefined, { ...ok, autoExtend: 'yes' as never })],
  ];
  for (const [option, make] of cases) {
    assert.throws(make, (err: unknown) => err instanceof InvalidOptionError && err.option === option, option);
  }
  assert.equal(executor.calls.length, 0);
});

test('gRPC channel: keepalive never under vtgate\'s 10 s minimum; HTTP/2 window defaults to the 64 KB minimum', () => {
  const o = vtgateChannelOptions();
  assert.equal(o['grpc.keepalive_time_ms'], 30_000);
  assert.ok((o['grpc.keepalive_time_ms'] as number) >= 10_000);
  assert.equal(o['grpc-node.flow_control_window'], 65_535);
  assert.equal(vtgateChannelOptions({ flowControlWindowBytes: 1 << 20 })['grpc-node.flow_control_window'], 1 << 20);
  assert.throws(() => vtgateChannelOptions({ keepalive: '5s' }), InvalidOptionError);
  assert.throws(() => vtgateChannelOptions({ flowControlWindowBytes: 1024 }), InvalidOptionError);
  // The documented transport bound: 1 KB rows at batch 100 → 560 (measured 400).
  assert.equal(transportBufferBound(100, 1024), 560);
});

test('acks of one tick become one UPDATE on (id, vindex column) pairs: routed, and never another customer\'s row', async () => {
  const executor = recorder((_sql, _n) => 3);
  const settler = new Settler(spec, executor, { ackBatchSize: 500, ackIntervalMs: 0, routingColumn: 'customer_id' });
  await Promise.all([
    settler.ack({ id: '11', epoch: 0, routing: '7' }),
    settler.ack({ id: '12', epoch: 2, routing: '7' }),
    settler.ack({ id: '13', epoch: 0, routing: '8' }),
  ]);
  assert.equal(executor.calls.length, 1);
  const { sql, params } = executor.calls[0]!;
  // time_acked is the database's now (DB_NOW_NS), not a client timestamp.
  assert.equal(sql, `update \`commerce\`.\`jobs\` set \`time_acked\` = ${DB_NOW_NS}, \`time_next\` = null where ((\`id\` = ? and \`customer_id\` = ?) or (\`id\` = ? and \`customer_id\` = ?) or (\`id\` = ? and \`customer_id\` = ?)) and \`time_acked\` is null`);
  assert.deepEqual(params, ['11', '7', '12', '7', '13', '8']);
});

test('acks beyond ackBatchSize split; acks arriving during a write form the next batch', async () => {
  const executor = recorder();
  const settler = new Settler({ ...spec, vindex: { column: 'id', type: 'hash' } }, executor, { ackBatchSize: 2, ackIntervalMs: 0 });
  await Promise.all(['1', '2', '3', '4', '5'].map((id) => settler.ack({ id, epoch: 0 })));
  assert.deepEqual(executor.calls.map((c) => c.params), [['1', '2'], ['3', '4'], ['5']]);
});

test('nacks are grouped by streamed epoch, guarded by epoch + 1, and retried while the postpone has not landed', async () => {
  // The first run matches nothing and a look at the rows shows the tablet has
  // not postponed yet (still at the streamed epoch), so it runs again.
  let run = 0;
  const calls: Array<{ sql: string; params: readonly SqlParam[] }> = [];
  const executor: Executor = {
    async query(sql, params) {
      calls.push({ sql, params });
      if (sql.startsWith('select')) return { rows: [{ id: '1', epoch: '0', time_next: '5', time_acked: null }, { id: '2', epoch: '0', time_next: '5', time_acked: null }], affectedRows: 0 };
      return { rows: [], affectedRows: sql.includes('`epoch` = ?') && run++ === 0 ? 0 : 2 };
    },
  };
  const settler = new Settler(spec, executor, { ackBatchSize: 500, ackIntervalMs: 0 });
  const changed = await settler.nack([{ id: '1', epoch: 0 }, { id: '2', epoch: 0 }, { id: '3', epoch: 4 }]);
  assert.equal(calls.length, 4);
  assert.match(calls[1]!.sql, /^select `id`, `priority`, `epoch`, `time_next`, `time_acked`, `failure_reason`, `enqueued_at`, `failed_at` from `commerce`\.`jobs` where `id` in \(\?, \?\)/);
  assert.deepEqual(calls.filter((c) => c.sql.startsWith('update')).map((c) => c.params.slice(1, -2)), [['1', '2', '1'], ['1', '2', '1'], ['3', '5']]);
  assert.equal(changed, 4);
  assert.match(calls[0]!.sql, /^update `commerce`\.`jobs` set `time_next` = \? where `id` in \(\?, \?\) and `epoch` = \? and `time_acked` is null/);
});

test('a nack stops waiting at once when no row is left whose postpone is pending (acked, restored or sent again)', async () => {
  // An acked row: one run. A row at the next epoch that the UPDATE did not
  // change: one retry (its postpone may have landed just after the UPDATE,
  // which then matches), never a wait.
  for (const [row, runs] of [[{ id: '1', epoch: '0', time_next: '5', time_acked: '9' }, 1], [{ id: '1', epoch: '1', time_next: '5', time_acked: null }, 2]] as const) {
    let updates = 0;
    const executor: Executor = {
      async query(sql) {
        if (sql.startsWith('select')) return { rows: [row], affectedRows: 0 };
        updates++;
        return { rows: [], affectedRows: 0 };
      },
    };
    const settler = new Settler({ ...spec, options: { ...spec.options, ackWaitMs: 60_000 } }, executor, { ackBatchSize: 500, ackIntervalMs: 0 });
    assert.equal(await settler.nack([{ id: '1', epoch: 0 }]), 0);
    assert.equal(updates, runs, 'no waiting retries');
  }
});

test('the plain hydrator maps the stream\'s columns to properties and epoch to a number', () => {
  const h = plainHydrator<Record<string, unknown>>(spec);
  const fields = [{ name: 'id', type: 'INT64' }, { name: 'epoch', type: 'INT64' }, { name: 'customer_id', type: 'VARCHAR' }, { name: 'payload', type: 'JSON' }];
  assert.deepEqual(h({ id: '9', epoch: '2', customer_id: '7', payload: { a: 1 } }, fields), { id: '9', epoch: 2, customerId: '7', payload: { a: 1 } });
  // The property names are planned once per fields array; a NULL cell is kept, a column the row lacks is left out.
  assert.deepEqual(h({ id: '10', epoch: '0', customer_id: null, payload: null }, fields), { id: '10', epoch: 0, customerId: null, payload: null });
  assert.deepEqual(h({ id: '11', epoch: '1' }, fields.slice(0, 2)), { id: '11', epoch: 1 });
});

test('backoff: doubling from base, capped at max, jitter within ±jitter/2', () => {
  const b = { base: '100ms', max: 1_000, jitter: 0.5 } as const;
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, b, () => 0.5)), [100, 200, 400, 800, 1_000, 1_000]);
  assert.equal(backoffDelayMs(1, b, () => 0), 150);
  assert.equal(backoffDelayMs(1, b, () => 1), 250);
  assert.equal(backoffDelayMs(0, DEFAULT_RETRY_BACKOFF, () => 0.5), 1_000);
  assert.equal(backoffDelayMs(30, DEFAULT_RETRY_BACKOFF, () => 0.5), 300_000);
  assert.equal(backoffDelayMs(3, DEFAULT_RECONNECT_BACKOFF, () => 0.5), 500);
});

test('resilience options are validated', () => {
  const ok = { executor: recorder(), address: '127.0.0.1:1' };
  const cases: Array<[string, () => unknown]> = [
    ['maxAttempts', () => subscribe(spec, () => undefined, { ...ok, maxAttempts: -1 })],
    ['handlerTimeout', () => subscribe(spec, () => undefined, { ...ok, handlerTimeout: 0 })],
    ['stallTimeout', () => subscribe(spec, () => undefined, { ...ok, stallTimeout: -5 })],
    ['retryBackoff.max', () => subscribe(spec, () => undefined, { ...ok, retryBackoff: { base: 10, max: 5 } })],
    ['reconnect.base', () => subscribe(spec, () => undefined, { ...ok, reconnect: { base: -1, max: 5 } })],
    ['reconnect.jitter', () => subscribe(spec, () => undefined, { ...ok, reconnect: { base: 1, max: 5, jitter: 2 } })],
    ['retryBackoff', () => subscribe(spec, () => undefined, { ...ok, retryBackoff: { base: '1s' } as never })],
  ];
  for (const [option, make] of cases) {
    assert.throws(make, (err: unknown) => err instanceof InvalidOptionError && err.option === option, option);
  }
});
