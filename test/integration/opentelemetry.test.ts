/**
 * OpenTelemetry on the real Vitess, with the SDK's in-memory exporters: an
 * enqueue inside an active span stores that trace in the row's traceparent
 * (the send span's context), the subscriber's process spans link to it and
 * count attempts, and the metrics count a run with an ack, a nack, a dead
 * letter and a duplicate.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Column, DataSource } from 'typeorm';
import { defineMessageTable } from '../../src/core/define';
import { UnrecoverableError } from '../../src/core/errors';
import { enqueue, enqueueMany } from '../../src/core/operations';
import { subscribe } from '../../src/subscriber/subscriber';
import { destinationName } from '../../src/telemetry/attributes';
import { MessageTable, VitessMessage, getMessageTableSpec, messageQueue } from '../../src/typeorm';
import { registerOtel, type OtelHarness } from '../helpers/otel';
import { createFromSpec, type TestTable } from '../helpers/producer-harness';
import { poolExecutor, transportCases } from '../helpers/subscriber-fixtures';
import { closePool, uniqueName, vitess, vtgatePool, waitUntil } from '../helpers/vitess';

let otel: OtelHarness;
const cleanup: Array<() => Promise<void>> = [];
before(() => {
  otel = registerOtel();
});
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await otel.shutdown();
  await closePool();
});

async function tracedTable(prefix: string): Promise<TestTable> {
  const t = await createFromSpec(defineMessageTable({
    table: uniqueName(prefix),
    keyspace: vitess.sharded,
    columns: { body: { type: 'varchar(100)', nullable: true } },
    traceContext: true,
    ackWait: '10s',
    pollerInterval: '500ms',
  }));
  cleanup.push(() => t.drop());
  return t;
}

async function traceparentOf(t: TestTable, id: string): Promise<string | null> {
  const [rows] = await vtgatePool().query(`select traceparent from ${t.qualified} where id = ?`, [id]);
  return (rows as Array<{ traceparent: string | null }>)[0]!.traceparent;
}

const fastRetry = { base: 50, max: 100 };

describe('traces across the queue', () => {
  // Over both transports; the MySQL one with 64-bit integers as bigint (the telemetry cells too).
  for (const tc of transportCases(cleanup)) test(`${tc.name}: an enqueue in an active span stores its send span as the traceparent; the process spans link to it, one per attempt`, async () => {
    const t = await tracedTable('otel_trace');
    const destination = destinationName(t.spec);
    const tracer = trace.getTracer('test');
    const { id, parent } = await tracer.startActiveSpan('checkout', async (span) => {
      const id = await enqueue(poolExecutor(), t.spec, { body: 'hello' });
      span.end();
      return { id, parent: span.spanContext() };
    });
    const [send] = otel.spansOf(destination).filter((s) => s.name === `send ${destination}`);
    assert.ok(send, 'a send span');
    assert.equal(send.kind, SpanKind.PRODUCER);
    assert.equal(send.spanContext().traceId, parent.traceId);
    assert.equal(send.parentSpanContext?.spanId, parent.spanId, 'the send span is a child of the active span');
    assert.deepEqual(
      { system: send.attributes['messaging.system'], op: send.attributes['messaging.operation.name'], id: send.attributes['messaging.message.id'] },
      { system: 'vitess', op: 'send', id },
    );
    assert.equal(await traceparentOf(t, id), `00-${parent.traceId}-${send.spanContext().spanId}-01`);

    // First attempt throws (nacked with a short backoff), the second resolves.
    const seen: Array<{ message: Record<string, unknown>; active: string | undefined }> = [];
    const sub = subscribe(t.spec, async (message: Record<string, unknown>) => {
      seen.push({ message, active: trace.getActiveSpan()?.spanContext().spanId });
      if (seen.length === 1) throw new Error('first attempt fails');
    }, { executor: poolExecutor(), ...tc.source(), ...(tc.name === 'mysql' ? { int64: 'bigint' as const } : {}), retryBackoff: fastRetry });
    cleanup.push(() => sub.close());
    await waitUntil(() => sub.stats().acked === 1, 20_000, 'the second attempt acked');
    await sub.close();

    const processed = otel.spansOf(destination).filter((s) => s.name === `process ${destination}`);
    assert.equal(processed.length, 2);
    processed.sort((a, b) => Number(a.attributes['vitess_messages.attempt']) - Number(b.attributes['vitess_messages.attempt']));
    assert.deepEqual(processed.map((s) => s.attributes['vitess_messages.attempt']), [1, 2]);
    for (const s of processed) {
      assert.equal(s.kind, SpanKind.CONSUMER);
      assert.equal(s.attributes['messaging.message.id'], id);
      assert.equal(s.attributes['messaging.operation.type'], 'process');
      assert.deepEqual(s.links.map((l) => [l.context.traceId, l.context.spanId]), [[parent.traceId, send.spanContext().spanId]], 'linked to the send span');
      assert.notEqual(s.spanContext().traceId, parent.traceId, 'a trace of its own (linked, not parented)');
    }
    assert.equal(processed[0]!.status.code, SpanStatusCode.ERROR);
    assert.equal(processed[0]!.attributes['error.type'], 'Error');
    assert.equal(processed[1]!.status.code, SpanStatusCode.UNSET);
    // The handler ran inside its process span, and its message has no traceparent.
    assert.deepEqual(seen.map((s) => s.active), processed.map((s) => s.spanContext().spanId));
    // Nor the other telemetry columns (time_next, enqueued_at).
    for (const s of seen) assert.deepEqual(Object.keys(s.message).sort(), ['body', 'epoch', 'id']);
  });

  test('an entity with traceContext: the TypeORM handle fills the column, and the delivered entity does not carry it', async () => {
    const table = uniqueName('otel_entity');
    @MessageTable({ name: table, keyspace: vitess.sharded, traceContext: true, ackWait: '10s', pollerInterval: '500ms' })
    class TracedJob extends VitessMessage {
      @Column('varchar', { length: 100 }) body!: string;
    }
    const t = await createFromSpec(getMessageTableSpec(TracedJob));
    cleanup.push(() => t.drop());
    const ds = new DataSource({ type: 'mysql', url: vitess.mysqlUrl, database: vitess.unsharded, entities: [TracedJob], synchronize: false, logging: false, supportBigNumbers: true, bigNumberStrings: true });
    await ds.initialize();
    cleanup.push(() => ds.destroy());
    const jobs = messageQueue(TracedJob, { dataSource: ds, address: vitess.grpcAddr });
    const { id, traceId } = await trace.getTracer('test').startActiveSpan('request', async (span) => {
      const out = await ds.transaction((m) => jobs.with(m).enqueue({ body: 'typed' }));
      span.end();
      return { id: out.id, traceId: span.spanContext().traceId };
    });
    assert.match(String(await traceparentOf(t, id)), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const got: object[] = [];
    const sub = jobs.subscribe(async (job) => void got.push(job));
    cleanup.push(() => sub.close());
    await waitUntil(() => sub.stats().acked === 1, 20_000, 'acked');
    await sub.close();
    assert.ok(got[0] instanceof TracedJob);
    for (const key of ['traceparent', 'timeNext', 'enqueuedAt']) assert.equal(key in got[0]!, false, `${key}: ${Object.keys(got[0]!).join()}`);
    const [processed] = otel.spansOf(destinationName(t.spec)).filter((s) => s.name.startsWith('process'));
    assert.equal(processed!.links[0]!.context.traceId, traceId);
  });

  test('an enqueue outside any active span: its send span is a root trace, and that is the stored traceparent', async () => {
    const t = await tracedTable('otel_root');
    const id = await enqueue(poolExecutor(), t.spec, { body: null });
    const send = otel.spansOf(destinationName(t.spec)).find((s) => s.name.startsWith('send'))!;
    assert.equal(send.parentSpanContext, undefined);
    assert.equal(await traceparentOf(t, id), `00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);
  });
});

describe('metrics', () => {
  test('sent, consumed, acked, nacked, failed, duplicates, process duration, lag and in-flight after a run', async () => {
    const t = await tracedTable('otel_metrics');
    const destination = destinationName(t.spec);
    // The last one became due a minute ago: its lag is at least that.
    const [okId, nackId, failId] = await enqueueMany(poolExecutor(), t.spec, [{ payload: { body: 'ok' } }, { payload: { body: 'nack' } }, { payload: { body: 'fail' } }, { payload: { body: 'past' }, deliverAt: Date.now() - 60_000 }]);
    assert.equal(await otel.metric('messaging.client.sent.messages', destination), 4);
    assert.equal(await otel.metric('messaging.client.operation.duration', destination, { 'messaging.operation.name': 'send' }), 1, 'one enqueue call');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const calls = new Map<string, number>();
    const sub = subscribe(t.spec, async (m: Record<string, unknown>, ctx) => {
      const id = String(ctx.id);
      calls.set(id, (calls.get(id) ?? 0) + 1);
      if (m.body === 'hold') await gate;
      if (id === failId) throw new UnrecoverableError('poison');
      if (id === nackId && calls.get(id) === 1) throw new Error('again'); // nacked, then handled again: a duplicate
    }, { executor: poolExecutor(), address: vitess.grpcAddr, retryBackoff: fastRetry });
    cleanup.push(() => sub.close());
    await waitUntil(() => sub.stats().acked === 3 && sub.stats().failed === 1, 20_000, 'three acked, one failed');
    assert.ok(okId);
    const read = async () => ({
      consumed: await otel.metric('messaging.client.consumed.messages', destination),
      acked: await otel.metric('vitess_messages.acked', destination),
      nacked: await otel.metric('vitess_messages.nacked', destination),
      failed: await otel.metric('vitess_messages.failed', destination),
      duplicates: await otel.metric('vitess_messages.duplicates', destination),
      processed: await otel.metric('messaging.process.duration', destination),
      processErrors: await otel.metric('messaging.process.duration', destination, { 'error.type': 'UnrecoverableError' }),
      inFlight: await otel.metric('vitess_messages.in_flight', destination),
    });
    assert.deepEqual(await read(), { consumed: 5, acked: 3, nacked: 1, failed: 1, duplicates: 1, processed: 5, processErrors: 1, inFlight: 0 });
    // Every start has a due time (time_next, or enqueued_at for a message due at once), in seconds.
    const lag = await otel.histogram('vitess_messages.lag', destination);
    assert.equal(lag?.count, 5);
    assert.ok(lag.min >= 0 && lag.max >= 60 && lag.max < 3600, JSON.stringify(lag));

    // One more, held in its handler: the gauge shows it while it runs.
    await enqueue(poolExecutor(), t.spec, { body: 'hold' });
    await waitUntil(() => sub.stats().running === 1, 20_000, 'the held message running');
    assert.equal(await otel.metric('vitess_messages.in_flight', destination), 1);
    release();
    await waitUntil(() => sub.stats().acked === 4, 20_000, 'the held message acked');
    await sub.close();
    // Closed: the table stays on the gauge, at 0.
    assert.deepEqual(await read(), { consumed: 6, acked: 4, nacked: 1, failed: 1, duplicates: 1, processed: 6, processErrors: 1, inFlight: 0 });
  });
});
