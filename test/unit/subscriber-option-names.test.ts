/**
 * Option names of the subscriber, the iterator, close() and the transports:
 * a misspelt or unsupported name is refused with an InvalidOptionError that
 * names the valid ones, before anything connects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors';
import type { ExecResult, Executor } from '../../src/core/executor';
import type { MessageTableSpec } from '../../src/core/spec';
import { VtgateGrpcTransport } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import { stream } from '../../src/subscriber/message-stream';
import { VtgateMysqlTransport } from '../../src/subscriber/mysql/vtgate-mysql-transport';
import { subscribe } from '../../src/subscriber/subscriber';

const spec: MessageTableSpec = {
  table: 'jobs',
  keyspace: 'commerce',
  payload: [{ name: 'payload', property: 'payload', sqlType: 'json', nullable: true }],
  streamed: ['id', 'epoch', 'payload'],
  vindex: { column: 'id', type: 'hash' },
  options: { ackWaitMs: 30_000, purgeAfterMs: 86_400_000, pollerIntervalMs: 1_000, batchSize: 100, cacheSize: 10_000 },
};

function recorder(): Executor & { calls: number } {
  const e = {
    calls: 0,
    async query(): Promise<ExecResult> {
      e.calls++;
      return { rows: [], affectedRows: 0 };
    },
  };
  return e;
}

const refused = (option: string, known?: string) => (err: unknown) =>
  err instanceof InvalidOptionError && err.option === option && (known === undefined || err.message.includes(known));

test('subscribe and stream refuse misspelt option names, naming the valid ones', () => {
  const executor = recorder();
  const ok = { executor, address: '127.0.0.1:1' };
  assert.throws(() => subscribe(spec, () => undefined, { ...ok, maxInflight: 5 } as never), refused('maxInflight', 'maxInFlight'));
  assert.throws(() => stream(spec, { ...ok, stallTimeoutMs: 5 } as never), refused('stallTimeoutMs', "was renamed 'stallTimeout'"));
  assert.throws(() => subscribe(spec, () => undefined, { ...ok, autoRun: false } as never), refused('autoRun', 'autorun'));
  // A table option is not a subscriber option (it belongs on the table).
  assert.throws(() => subscribe(spec, () => undefined, { ...ok, batchSize: 5 } as never), refused('batchSize'));
  assert.throws(() => subscribe(spec, () => undefined, { ...ok, grpc: { keepaliveMs: 20_000 } } as never), refused('keepaliveMs', "was renamed 'keepalive'"));
  assert.throws(() => subscribe(spec, () => undefined, { executor, transport: null } as never), refused('transport'));
  assert.throws(() => subscribe(spec, () => undefined, { executor, transport: {} } as never), refused('transport'));
  assert.throws(() => subscribe(spec, () => undefined, { executor, transport: () => ({}) } as never), refused('transport'), 'a factory that returns no transport');
  assert.equal(executor.calls, 0);
});

test('stream refuses the handler-only options it would ignore (maxAttempts, retryBackoff, handlerTimeout, autoExtend)', () => {
  const ok = { executor: recorder(), address: '127.0.0.1:1' };
  for (const [name, value] of [['maxAttempts', 3], ['retryBackoff', { base: 1, max: 2 }], ['handlerTimeout', 100], ['autoExtend', false]] as const) {
    assert.throws(() => stream(spec, { ...ok, [name]: value } as never), refused(name, 'subscribe'), name);
  }
});

test('close refuses a misspelt option and a bad timeout, and does not close', async () => {
  const s = stream(spec, { executor: recorder(), transport: { stream: () => ({ cancel() {}, async *[Symbol.asyncIterator]() {} }), close() {} }, stallTimeout: 0, reconnect: false });
  await assert.rejects(s.close({ timeoutMs: 5 } as never), refused('timeoutMs', "was renamed 'timeout'"));
  await assert.rejects(s.close({ timeout: -1 }), refused('timeout'));
  await assert.rejects(s.close({ timeout: '1 minute' as never }), refused('timeout'));
  await s.close({ timeout: '100ms' });
});

test('the transports refuse misspelt option names', () => {
  assert.throws(() => new VtgateGrpcTransport({ address: '127.0.0.1:1', keepaliveMs: 20_000 } as never), refused('keepaliveMs', "was renamed 'keepalive'"));
  assert.throws(() => new VtgateMysqlTransport({ connection: 'mysql://root@127.0.0.1:1/', readAhead: 5 } as never), refused('readAhead', 'readAheadRows'));
});
