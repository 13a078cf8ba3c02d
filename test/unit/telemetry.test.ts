/**
 * The pure parts of the OpenTelemetry support: traceparent formatting and
 * parsing, span and metric attributes, the `traceContext` column in specs and
 * DDL, the loader's fallback (and a process where `@opentelemetry/api` cannot
 * be required at all), and enqueue's traceparent cell without a tracer.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { defineMessageTable } from '../../src/core/define';
import { InvalidOptionError } from '../../src/core/errors';
import { enqueue, enqueueMany } from '../../src/core/operations';
import { buildTableComment } from '../../src/core/options';
import { buildCreateTable } from '../../src/migration/ddl';
import { diffTables, tableKey } from '../../src/migration/diff';
import { destinationName, errorType, operationAttributes, processAttributes, sendAttributes } from '../../src/telemetry/attributes';
import { sendTelemetry } from '../../src/telemetry/send-telemetry';
import { SubscriberTelemetry } from '../../src/telemetry/subscriber-telemetry';
import { loadOtelApi } from '../../src/telemetry/otel-api';
import { formatTraceparent, parseTraceparent } from '../../src/telemetry/traceparent';
import { recorder } from '../helpers/recorder';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const traced = defineMessageTable({ table: 'traced_job', keyspace: 'commerce', columns: { body: 'varchar(10)' }, traceContext: true });
const plain = defineMessageTable({ table: 'plain_job', keyspace: 'commerce', columns: { body: 'varchar(10)' } });

test('telemetry: traceparent is formatted from a span context and parsed back; invalid ones are refused, never thrown', () => {
  assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED }), `00-${TRACE}-${SPAN}-01`);
  assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0 }), `00-${TRACE}-${SPAN}-00`);
  assert.equal(formatTraceparent({ traceId: '0'.repeat(32), spanId: SPAN, traceFlags: 1 }), null, 'all-zero trace id');
  assert.equal(formatTraceparent({ traceId: TRACE, spanId: 'xyz', traceFlags: 1 }), null);
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`), { traceId: TRACE, spanId: SPAN, traceFlags: 1 });
  // A later version: the first four fields count, what follows is ignored (W3C: parse the first 55 characters).
  assert.deepEqual(parseTraceparent(`01-${TRACE}-${SPAN}-00-extra`), { traceId: TRACE, spanId: SPAN, traceFlags: 0 });
  for (const bad of [null, undefined, 42, '', `ff-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01-extra`, `00-${'0'.repeat(32)}-${SPAN}-01`, `00-${TRACE}-${'0'.repeat(16)}-01`, `00-${TRACE.toUpperCase()}-${SPAN}-01`, `00-${TRACE}-${SPAN}`]) {
    assert.equal(parseTraceparent(bad), undefined, String(bad));
  }
});

test('telemetry: span and metric attributes follow the messaging conventions', () => {
  assert.equal(destinationName(traced), 'commerce.traced_job');
  assert.equal(destinationName({ table: 't' }), 't');
  assert.deepEqual(sendAttributes(traced, 1, '42'), {
    'messaging.system': 'vitess', 'messaging.destination.name': 'commerce.traced_job',
    'messaging.operation.name': 'send', 'messaging.operation.type': 'send', 'messaging.message.id': '42',
  });
  assert.equal(sendAttributes(traced, 3, '1')['messaging.batch.message_count'], 3);
  assert.equal(sendAttributes(traced, 2, '1')['messaging.message.id'], undefined);
  assert.deepEqual(processAttributes(traced, '42', 3), {
    'messaging.system': 'vitess', 'messaging.destination.name': 'commerce.traced_job',
    'messaging.operation.name': 'process', 'messaging.operation.type': 'process', 'messaging.message.id': '42', 'vitess_messages.attempt': 3,
  });
  assert.deepEqual(operationAttributes(traced, 'process', 'TypeError'), {
    'messaging.system': 'vitess', 'messaging.destination.name': 'commerce.traced_job', 'messaging.operation.name': 'process', 'error.type': 'TypeError',
  });
  assert.equal(errorType(new RangeError('x')), 'RangeError');
  assert.equal(errorType('a string'), '_OTHER');
});

test('telemetry: traceContext adds a nullable, streamed traceparent column first among the payload columns', () => {
  assert.deepEqual(traced.payload.map((c) => [c.name, c.sqlType, c.nullable]), [['traceparent', 'varchar(55)', true], ['body', 'varchar(10)', false]]);
  assert.equal(traced.traceContext, true);
  assert.match(buildCreateTable(traced), /`failed_at` bigint NULL,\n  `traceparent` varchar\(55\) NULL,\n  `body` varchar\(10\) NOT NULL,/);
  assert.match(buildTableComment(traced), /,vt_message_cols=id\|epoch\|time_next\|enqueued_at\|traceparent\|body$/);
  // Off by default: no column, nothing in the spec.
  assert.deepEqual(plain.payload.map((c) => c.name), ['body']);
  assert.equal('traceContext' in plain, false);
  // Also with streamedColumns naming only some payload columns.
  const some = defineMessageTable({ table: 't2', columns: { a: 'int', b: 'int' }, streamedColumns: ['b'], traceContext: true });
  assert.deepEqual(some.streamed, ['id', 'epoch', 'time_next', 'enqueued_at', 'traceparent', 'b']);
  assert.match(buildTableComment(some), /,vt_message_cols=id\|epoch\|time_next\|enqueued_at\|traceparent\|b$/);
  // Without traceContext enqueued_at is never streamed, even if a spec lists it.
  assert.match(buildTableComment({ options: plain.options, streamed: ['id', 'epoch', 'enqueued_at', 'body'] }), /,vt_message_cols=id\|epoch\|body$/);
});

test('telemetry: traceContext is checked like every table option', () => {
  assert.throws(() => defineMessageTable({ table: 't', columns: {}, traceContext: 'yes' as unknown as boolean }), (e: unknown) => e instanceof InvalidOptionError && /traceContext.*must be a boolean/.test(e.message));
  assert.throws(() => defineMessageTable({ table: 't', columns: { traceparent: 'varchar(55)' }, traceContext: true }), (e: unknown) => e instanceof InvalidOptionError && /traceparent.*is the column traceContext adds/.test(e.message));
  assert.throws(() => defineMessageTable({ table: 't', columns: {}, traceContex: true } as never), (e: unknown) => e instanceof InvalidOptionError && /traceContex.*known: .*traceContext/.test(e.message));
  // A payload column of that name is fine without the option.
  assert.equal(defineMessageTable({ table: 't', columns: { traceparent: 'varchar(55)' } }).payload[0]!.name, 'traceparent');
});

test('telemetry: the loader falls back to nothing when the api cannot be required or is not the api', () => {
  assert.equal(loadOtelApi(() => { throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' }); }), undefined);
  assert.equal(loadOtelApi(() => ({})), undefined);
  assert.equal(loadOtelApi(() => undefined), undefined);
  const api = loadOtelApi(require);
  assert.equal(api?.trace, trace);
});

test('telemetry: without a registered provider the enqueue hook does nothing on a plain table, and stores the active span context on a traced one', async () => {
  // No tracer or meter provider in this process.
  assert.equal(sendTelemetry(plain, ['body'], [{ id: '1', values: ['x'] }]), undefined);
  const db = recorder();
  await enqueue(db, traced, { body: 'a' });
  assert.equal(db.calls[0]!.params.includes(null) || db.calls[0]!.sql.includes('default'), true, 'outside any trace: the column default (NULL)');
  assert.ok(!db.calls[0]!.params.some((p) => typeof p === 'string' && p.startsWith('00-')));

  // A span context made active by someone else (e.g. a propagator on an incoming request), no tracer of ours.
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  try {
    const active = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const db2 = recorder();
    await context.with(active, () => enqueueMany(db2, traced, [{ payload: { body: 'b' } }, { payload: { body: 'c' } }]));
    assert.equal(db2.calls[0]!.params.filter((p) => p === `00-${TRACE}-${SPAN}-01`).length, 2, 'each row carries the active traceparent');
    const db3 = recorder();
    await context.with(active, () => enqueue(db3, plain, { body: 'd' }));
    assert.ok(!db3.calls[0]!.params.some((p) => typeof p === 'string' && p.startsWith('00-')), 'a table without the column gets none');
  } finally {
    context.disable();
  }
});

test('telemetry: in a process where @opentelemetry/api cannot be required, the library loads, defines, enqueues and runs handlers', () => {
  const root = join(__dirname, '..', '..');
  const script = `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request.startsWith('@opentelemetry/')) throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
      return resolve.call(this, request, ...rest);
    };
    const lib = require(${JSON.stringify(join(root, 'src', 'index.js'))});
    const { otelApi } = require(${JSON.stringify(join(root, 'src', 'telemetry', 'otel-api.js'))});
    const { SubscriberTelemetry } = require(${JSON.stringify(join(root, 'src', 'telemetry', 'subscriber-telemetry.js'))});
    (async () => {
      const spec = lib.defineMessageTable({ table: 't', keyspace: 'commerce', columns: { body: 'varchar(10)' }, traceContext: true });
      const calls = [];
      const id = await lib.enqueue({ query: async (sql, params) => (calls.push({ sql, params }), { rows: [], affectedRows: 1 }) }, spec, { body: 'x' });
      const t = new SubscriberTelemetry(spec, () => 0);
      const handled = await t.process({ idText: id, attempt: 1 }, async () => 'handled');
      t.consumed(); t.settled('acked'); t.close();
      const loaded = Object.keys(require.cache).filter((m) => m.includes('@opentelemetry'));
      console.log(JSON.stringify({ api: otelApi() === undefined ? 'absent' : 'present', handled, loaded, ddl: lib.buildSchemaSql(spec).length, names: calls[0].sql.includes('traceparent'), traceparents: calls[0].params.filter((p) => String(p).startsWith('00-')).length }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), { api: 'absent', handled: 'handled', loaded: [], ddl: 2, names: true, traceparents: 0 });
});

test('telemetry: the subscriber takes the telemetry columns out of a row; the due time is time_next, or enqueued_at when it is 0', () => {
  const t = new SubscriberTelemetry(traced, () => 0);
  try {
    const row: Record<string, unknown> = { id: '1', epoch: 0, time_next: '0', enqueued_at: '1796000000000000001', traceparent: `00-${TRACE}-${SPAN}-01`, body: 'x' };
    assert.deepEqual(t.takeColumns(row), { traceparent: `00-${TRACE}-${SPAN}-01`, dueAtNs: 1796000000000000001n });
    assert.deepEqual(row, { id: '1', epoch: 0, body: 'x' });
    assert.deepEqual(t.takeColumns({ time_next: 1796000000500000000n, enqueued_at: 1n, traceparent: null }), { dueAtNs: 1796000000500000000n });
    assert.deepEqual(t.takeColumns({ time_next: '0', enqueued_at: null, traceparent: null }), {}, 'another producer\'s row: no due time');
    const fields = [{ name: 'id', type: 'INT64' }, { name: 'epoch', type: 'INT64' }, { name: 'time_next', type: 'INT64' }, { name: 'enqueued_at', type: 'INT64' }, { name: 'traceparent', type: 'VARCHAR' }, { name: 'body', type: 'VARCHAR' }] as const;
    assert.deepEqual(t.visibleFields(fields as never).map((f) => f.name), ['id', 'epoch', 'body']);
    assert.equal(t.visibleFields(fields as never), t.visibleFields(fields as never), 'computed once per field list');
  } finally {
    t.close();
  }
  const p = new SubscriberTelemetry(plain, () => 0);
  const row = { id: '1', epoch: 0, time_next: '5' };
  assert.equal(p.takeColumns(row), undefined);
  assert.deepEqual(row, { id: '1', epoch: 0, time_next: '5' }, 'a table without traceContext keeps its row as it is');
  p.close();
});

test('telemetry: turning traceContext on for an existing table adds the column after failed_at and the new comment; down reverses it', () => {
  const before = defineMessageTable({ table: 'job', keyspace: 'commerce', columns: { body: 'varchar(10)' } });
  const after = defineMessageTable({ table: 'job', keyspace: 'commerce', columns: { body: 'varchar(10)' }, traceContext: true });
  const diff = diffTables(new Map([[tableKey(before), before]]), new Map([[tableKey(after), after]]));
  assert.deepEqual(diff.up, [
    'ALTER TABLE `commerce`.`job` ADD COLUMN `traceparent` varchar(55) NULL AFTER `failed_at`',
    `ALTER TABLE \`commerce\`.\`job\` COMMENT='${buildTableComment(after)}'`,
  ]);
  assert.deepEqual(diff.down, [`ALTER TABLE \`commerce\`.\`job\` COMMENT='${buildTableComment(before)}'`, 'ALTER TABLE `commerce`.`job` DROP COLUMN `traceparent`']);
  // Payload columns added later go after it: nothing moves.
  const more = defineMessageTable({ table: 'job', keyspace: 'commerce', columns: { body: 'varchar(10)', note: { type: 'text', nullable: true } }, traceContext: true });
  const next = diffTables(new Map([[tableKey(after), after]]), new Map([[tableKey(more), more]]));
  assert.equal(next.up[0], 'ALTER TABLE `commerce`.`job` ADD COLUMN `note` text NULL AFTER `body`');
  assert.ok(!next.up.some((s) => s.includes('MODIFY')), next.up.join('\n'));
});
