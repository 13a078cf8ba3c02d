/**
 * Payload and option checks: everything a caller can get wrong is a typed error
 * before any statement reaches the executor.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError, PayloadValidationError } from '../../src/core/errors';
import type { ExecResult, Executor } from '../../src/core/executor';
import { ack, enqueue, enqueueMany, extend, fail, getMessages, listFailed, nack, retry } from '../../src/core/operations';
import { columnKind, payloadParams } from '../../src/core/payload';
import type { MessageTableSpec } from '../../src/core/spec';
import { DEFAULT_VALUE } from '../../src/core/sql/enqueue';
import { recorder } from '../helpers/recorder';

const spec: MessageTableSpec = {
  table: 't',
  keyspace: 'ks',
  payload: [
    { name: 'body', property: 'body', sqlType: 'json', nullable: true },
    { name: 'customer_id', property: 'customerId', sqlType: 'bigint', nullable: false },
    { name: 'amount', property: 'amount', sqlType: 'decimal(30,10)', nullable: true },
    { name: 'flag', property: 'flag', sqlType: 'tinyint(1)', nullable: true },
    { name: 'at', property: 'at', sqlType: 'datetime(6)', nullable: true },
    { name: 'blob', property: 'blob', sqlType: 'blob', nullable: true },
    { name: 'kind', property: 'kind', sqlType: "enum('a','b')", nullable: false, default: "'a'" },
  ],
  streamed: ['id', 'epoch'],
  options: { ackWaitMs: 1000, purgeAfterMs: 1000, pollerIntervalMs: 1000, batchSize: 1, cacheSize: 1 },
};

/** Records statements; a unit test's stand-in for a database (integration tests use the real one). */

test('producer-validation: column kinds from DDL types', () => {
  assert.deepEqual(
    ['json', 'bigint unsigned', 'int(11)', 'tinyint(1)', 'boolean', 'decimal(30,10)', 'double', 'varchar(255)', "enum('a')", 'longtext', 'datetime(6)', 'year', 'varbinary(16)', 'blob', 'geometry'].map(columnKind),
    ['json', 'int', 'int', 'bool', 'bool', 'decimal', 'float', 'string', 'string', 'string', 'datetime', 'datetime', 'binary', 'binary', 'other'],
  );
});

test('producer-validation: payload values become parameters: JSON text, 64-bit integers as strings, defaults for left-out columns', () => {
  const at = new Date('2026-01-02T03:04:05.678Z');
  const params = payloadParams(spec, { body: { a: [1, 'x'] }, customerId: 2n ** 63n - 1n, amount: '12.5', flag: true, at, blob: new Uint8Array([1, 2]) });
  assert.deepEqual(params, ['{"a":[1,"x"]}', '9223372036854775807', '12.5', true, at, Buffer.from([1, 2]), DEFAULT_VALUE]);
  // A string in a JSON column is a JSON string, never spliced as JSON text.
  assert.deepEqual(payloadParams(spec, { body: '{"x":1}', customerId: 1 })[0], '"{\\"x\\":1}"');
  assert.deepEqual(payloadParams(spec, { body: null, customerId: '7' }).slice(0, 2), [null, '7']);
});

test('producer-validation: unknown keys, wrong types, missing required columns and bad shapes are listed in one error', () => {
  const err = (() => {
    try {
      payloadParams(spec, { nope: 1, customerId: 1.5, amount: 'ten', flag: 'yes', at: 5, blob: 'text', body: () => 1 });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof PayloadValidationError);
  assert.deepEqual(err.problems.map((p) => p.property).sort(), ['amount', 'at', 'blob', 'body', 'customerId', 'flag', 'nope']);
  assert.equal(err.table, 'ks.t');
  assert.throws(() => payloadParams(spec, {}), (e: unknown) => e instanceof PayloadValidationError && e.problems[0]!.property === 'customerId');
  assert.throws(() => payloadParams(spec, { customerId: null }), PayloadValidationError);
  assert.throws(() => payloadParams(spec, null), PayloadValidationError);
  assert.throws(() => payloadParams(spec, [1]), PayloadValidationError);
  assert.throws(() => payloadParams(spec, { customerId: 1, body: 10n }), PayloadValidationError);
  assert.throws(() => payloadParams(spec, { customerId: '1 or 1=1' }), PayloadValidationError);
});

test('producer-validation: bad options are typed errors and nothing reaches the executor', async () => {
  const ex = recorder();
  const ok = { customerId: 1 };
  await assert.rejects(enqueue(ex, spec, ok, { id: 1 as never }), InvalidOptionError);
  await assert.rejects(enqueue(ex, spec, ok, { id: '0' }), InvalidOptionError);
  await assert.rejects(enqueue(ex, spec, ok, { id: '9223372036854775808' }), InvalidOptionError);
  await assert.rejects(enqueue(ex, spec, ok, { priority: -1 }), InvalidOptionError);
  await assert.rejects(enqueue(ex, spec, ok, { priority: 1.5 }), InvalidOptionError);
  await assert.rejects(enqueue(ex, spec, ok, { delay: '1s', deliverAt: 5 }), InvalidOptionError);
  await assert.rejects(enqueue(ex, spec, ok, { deliverAt: new Date('nope') }), InvalidOptionError);
  await assert.rejects(enqueue(ex, spec, ok, { deliverAtNs: '9223372036854775807' }), InvalidOptionError);
  await assert.rejects(enqueue(ex, spec, ok, { validate: true }), InvalidOptionError);
  await assert.rejects(enqueueMany(ex, spec, [{ payload: ok as object }, { payload: { customerId: 'x' } as object }]), (e: unknown) => e instanceof PayloadValidationError && e.index === 1);
  await assert.rejects(enqueueMany(ex, spec, [{ payload: ok }], { chunkSize: 0 }), InvalidOptionError);
  await assert.rejects(ack(ex, spec, [1 as never]), InvalidOptionError);
  await assert.rejects(nack(ex, spec, { id: '1', epoch: 1.5 }), InvalidOptionError);
  await assert.rejects(nack(ex, spec, '1', { raceWait: -1 }), InvalidOptionError);
  // An epoch is a number, as the stream, ctx.epoch and getMessages give it.
  await assert.rejects(nack(ex, spec, { id: '1', epoch: '0' as never }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'epoch');
  await assert.rejects(nack(ex, spec, { id: '1', epoch: 0n as never }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'epoch');
  await assert.rejects(fail(ex, spec, '1', { reason: 5 as never }), InvalidOptionError);
  await assert.rejects(extend(ex, spec, '1', {} as never), InvalidOptionError);
  await assert.rejects(listFailed(ex, spec, { limit: 5000 }), InvalidOptionError);
  await assert.rejects(listFailed(ex, spec, { after: '-1' }), InvalidOptionError);
  // A due time at or beyond 2^63 - 1 ns would read as failed, or overflow the column.
  await assert.rejects(enqueue(ex, spec, ok, { deliverAt: new Date(8.64e15) }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'deliverAt');
  await assert.rejects(nack(ex, spec, '1', { delay: 1e16 }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'delay');
  await assert.rejects(extend(ex, spec, '1', { by: '300000d' }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'by');
  assert.deepEqual(ex.calls, []);
});

test('producer-validation: a vindex value is checked and converted like its column\'s payload values', async () => {
  const routed: MessageTableSpec = { ...spec, vindex: { column: 'customer_id', type: 'hash' } };
  const ex = recorder();
  await ack(ex, routed, [{ id: '1', vindexValue: 2n ** 63n - 1n }, { id: '2', vindexValue: '7' }]);
  assert.deepEqual(ex.calls[0]!.params, ['1', '9223372036854775807', '2', '7']);
  await assert.rejects(ack(ex, routed, { id: '1', vindexValue: '7 or 1=1' }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'vindexValue');
  await assert.rejects(ack(ex, routed, { id: '1', vindexValue: { a: 1 } }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'vindexValue');
  assert.equal(ex.calls.length, 1);
});

test('producer-validation: a fail reason longer than the TEXT column holds is cut, not refused', async () => {
  const ex = recorder();
  await fail(ex, spec, '1', { reason: 'short' });
  await fail(ex, spec, '1', { reason: 'x'.repeat(15_998) + '\u{1F600}' + 'y'.repeat(100_000) });
  assert.equal(ex.calls[0]!.params[1], 'short');
  const cut = ex.calls[1]!.params[1] as string;
  // Cut by utf8mb4 bytes to the column's 65,535 (the emoji takes 4, the ellipsis 3).
  assert.ok(cut === 'x'.repeat(15_998) + '\u{1F600}' + 'y'.repeat(65_535 - 3 - 15_998 - 4) + '…', 'cut by bytes after the emoji');
  assert.equal(Buffer.byteLength(cut, 'utf8'), 65_535);
  await fail(ex, spec, '1', { reason: 'y'.repeat(65_530) + '\u{1F600}' + 'zz' }); // 65,536 bytes
  assert.ok(ex.calls[2]!.params[1] === 'y'.repeat(65_530) + '…', 'cut before a 4-byte character, never through it');
});

test('producer-validation: a due time is 0 (now, whatever the tablet clock), an ns time, or ms → ns; chunks of chunkSize', async () => {
  const ex = recorder();
  await enqueue(ex, spec, { customerId: 1 }, { id: '5' });
  await enqueue(ex, spec, { customerId: 1 }, { id: '6', deliverAt: 1_700_000_000_123 });
  await enqueue(ex, spec, { customerId: 1 }, { id: '7', deliverAtNs: 1_700_000_000_123_456_789n, priority: 0 });
  assert.deepEqual(ex.calls.map((c) => c.params.slice(0, 3)), [['5', 50, '0'], ['6', 50, '1700000000123000000'], ['7', 0, '1700000000123456789']]);
  const ids = await enqueueMany(ex, spec, Array.from({ length: 5 }, () => ({ payload: { customerId: 1 } })), { chunkSize: 2 });
  assert.equal(ids.length, 5);
  assert.equal(ex.calls.length, 3 + 3, 'five rows in chunks of two: three statements');
  for (const id of ids) assert.match(id, /^[1-9][0-9]{0,18}$/);
  // A retried message is due now too: 0, never the client's clock (a client ahead of the tablet would delay it).
  const r = recorder();
  await retry(r, spec, '8');
  assert.equal(r.calls[0]!.params[0], '0');
});

test('producer-validation: messages go in one guarded statement per streamed epoch; without an epoch, one plain batch', async () => {
  const ex = recorder();
  // The recorder changes 1 row per statement: the epoch-0 pair reads its rows once (none left waiting), nothing more.
  assert.equal(await fail(ex, spec, [{ id: '1', epoch: 0 }, { id: '2', epoch: 3 }, '3', { id: '4', epoch: 0 }, '5'], { reason: 'r' }), 3);
  assert.deepEqual(ex.calls.map((c) => [c.sql.split(' ')[0], ...c.params.slice(c.sql.startsWith('select') ? 0 : 2)]), [
    ['update', '1', '4', '1', '9223372036854775807'],
    ['select', '1', '4'],
    ['update', '2', '4', '9223372036854775807'],
    ['update', '3', '5', '9223372036854775807'],
  ]);
});

test('producer-validation: an epoch-guarded call waits only while the row still shows the streamed epoch', async () => {
  const script = (answers: Array<ExecResult>) => {
    const calls: string[] = [];
    const ex: Executor = {
      async query(sql: string): Promise<ExecResult> {
        calls.push(sql.split(' ')[0]!);
        return answers.shift() ?? { rows: [], affectedRows: 0 };
      },
    };
    return { ex, calls };
  };
  // Postpone pending (epoch still 0), then landed: the retry matches.
  const a = script([{ rows: [], affectedRows: 0 }, { rows: [{ id: '9', epoch: '0', time_acked: null }], affectedRows: 0 }, { rows: [], affectedRows: 1 }]);
  assert.equal(await nack(a.ex, spec, { id: '9', epoch: 0 }), 1);
  assert.deepEqual(a.calls, ['update', 'select', 'update']);
  // Sent again since (epoch 3): no waiting, 0 at once (a retry would show as a second update).
  const b = script([{ rows: [], affectedRows: 0 }, { rows: [{ id: '9', epoch: '3', time_acked: null }], affectedRows: 0 }]);
  assert.equal(await fail(b.ex, spec, { id: '9', epoch: 0 }), 0);
  assert.deepEqual(b.calls, ['update', 'select']);
  // Acked, or gone: 0 at once too.
  const c = script([{ rows: [], affectedRows: 0 }, { rows: [{ id: '9', epoch: '0', time_acked: '5' }], affectedRows: 0 }]);
  assert.equal(await extend(c.ex, spec, { id: '9', epoch: 0 }, { by: '1s' }), 0);
  assert.deepEqual(c.calls, ['update', 'select']);
  const d = script([{ rows: [], affectedRows: 0 }, { rows: [], affectedRows: 0 }]);
  assert.equal(await nack(d.ex, spec, { id: '9', epoch: 0 }), 0);
  assert.deepEqual(d.calls, ['update', 'select']);
});

test('producer-validation: 64-bit columns read back stay exact; a driver that rounded them to JS numbers is an error, not a wrong answer', async () => {
  const answering = (row: Record<string, unknown>): Executor => ({ query: async () => ({ rows: [row], affectedRows: 0 }) });
  const row = { id: 2n ** 63n - 7n, priority: 50, epoch: 3n, time_next: 2n ** 63n - 1n, time_acked: null, failure_reason: 'r', enqueued_at: 1796000000123456000n, failed_at: '1796000000987654000' };
  assert.deepEqual(await getMessages(answering(row), spec, '9223372036854775801'), [
    { id: '9223372036854775801', state: 'failed', priority: 50, epoch: 3, timeNextNs: '9223372036854775807', timeAckedNs: null, reason: 'r', enqueuedAtNs: '1796000000123456000', failedAtNs: '1796000000987654000' },
  ]);
  assert.deepEqual((await getMessages(answering({ ...row, enqueued_at: null, failed_at: undefined }), spec, '1'))[0]!.enqueuedAtNs, null, 'rows from before the columns read null');
  await assert.rejects(getMessages(answering({ ...row, enqueued_at: 2 ** 60 }), spec, '1'), (e: unknown) => e instanceof InvalidOptionError && /enqueued_at/.test(e.rule));
  // 2^63 - 1 as a JS number is 9223372036854775808: without the check the message would read as pending.
  await assert.rejects(getMessages(answering({ ...row, time_next: Number(row.time_next) }), spec, '1'), (e: unknown) => e instanceof InvalidOptionError && e.option === 'executor');
  await assert.rejects(listFailed(answering({ ...row, id: 2 ** 60, customer_id: 1 }), spec), (e: unknown) => e instanceof InvalidOptionError && /column id/.test(e.rule));
  await assert.rejects(listFailed(answering({ ...row, customer_id: 2 ** 60 }), spec), (e: unknown) => e instanceof InvalidOptionError && /column customer_id/.test(e.rule));
});
