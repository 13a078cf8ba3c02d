/**
 * Poison and bad data on the real Vitess, over both transports: failure
 * reasons too long for their column (in bytes), rows that cannot be decoded
 * or hydrated, handlers that ignore their abort, and `duplicates` against
 * `redelivered`.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Column, DataSource } from 'typeorm';
import { UnrecoverableError } from '../../src/core/errors';
import { randomId } from '../../src/core/ids';
import { fail, listFailed } from '../../src/core/operations';
import { MAX_REASON_BYTES } from '../../src/core/reason';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { subscribe } from '../../src/subscriber/subscriber';
import { MessageTable, VitessMessage, getMessageTableSpec } from '../../src/typeorm';
import { subscribe as subscribeEntity } from '../../src/typeorm/subscribe';
import { insertMessages, poolExecutor, specTables, transportCases } from '../helpers/subscriber-fixtures';
import { uniqueName, vitess, vtgatePool, waitUntil, runSchemaSql } from '../helpers/vitess';

const { table, cleanup } = specTables();
const transports = transportCases(cleanup);
const fastRetry = { base: 50, max: 200 };
const FAILED_TIME_NEXT = '9223372036854775807';

async function timeNextOf(qualified: string, id: string): Promise<string> {
  const [rows] = await vtgatePool().query(`select time_next from ${qualified} where id = ?`, [id]);
  return String((rows as Array<{ time_next: unknown }>)[0]!.time_next);
}

for (const t of transports) describe(`failure reasons fit their column in bytes (${t.name})`, () => {
  test(`${t.name}: a handler throwing a 100,000-emoji error, an UnrecoverableError of one and ctx.fail with a lone surrogate are each failed once; core fail() keeps up to the column size`, async () => {
    const { spec, qualified } = await table('poison_reason', { ackWaitS: 2, payloadDdl: 'failure_reason text null, enqueued_at bigint null, failed_at bigint null, payload json' });
    const emojis = '😀'.repeat(100_000); // 400,000 bytes in utf8mb4
    const [thrown, unrecoverable, ctxFailed] = await insertMessages(qualified, 3, 3);
    const calls = new Map<string, number>();
    const sub = subscribe(spec, async (_m, ctx) => {
      const id = ctx.id as string;
      calls.set(id, (calls.get(id) ?? 0) + 1);
      if (id === thrown) throw new Error(emojis);
      if (id === unrecoverable) throw new UnrecoverableError(emojis);
      await ctx.fail(`\ud800${'é'.repeat(40_000)}`); // a lone surrogate, then 80,000 bytes
    }, { executor: poolExecutor(), ...t.source(), maxAttempts: 1, retryBackoff: fastRetry });
    cleanup.push(() => sub.close());
    await waitUntil(async () => (await Promise.all([thrown!, unrecoverable!, ctxFailed!].map((id) => timeNextOf(qualified, id)))).every((t) => t === FAILED_TIME_NEXT), 20_000, 'all three rows failed');
    await waitUntil(() => sub.stats().failed === 3, 5_000, 'three fails counted');
    assert.deepEqual([...calls.values()], [1, 1, 1]);
    assert.equal(sub.stats().settleErrors, 0);
    await sub.close();

    const reasons = new Map((await listFailed(poolExecutor(), spec)).messages.map((m) => [m.id, m.reason!]));
    for (const [id, prefix] of [[thrown!, 'attempt 1 of 1 failed: Error: '], [unrecoverable!, 'UnrecoverableError: ']] as const) {
      const reason = reasons.get(id)!;
      assert.ok(reason.startsWith(prefix), reason.slice(0, 40));
      assert.ok(reason.endsWith('…'));
      assert.match(reason.slice(prefix.length, -1), /^(😀)+$/u, 'no emoji split in half');
      assert.ok(Buffer.byteLength(reason) <= MAX_REASON_BYTES && Buffer.byteLength(reason) > MAX_REASON_BYTES - 8, String(Buffer.byteLength(reason)));
    }
    const own = reasons.get(ctxFailed!)!;
    assert.ok(own.startsWith('\ufffdé'), 'a lone surrogate is stored as U+FFFD');
    assert.ok(Buffer.byteLength(own) <= MAX_REASON_BYTES && Buffer.byteLength(own) > MAX_REASON_BYTES - 8);

    // The library function cuts the same way (it used to stop at 16,000 UTF-16 units).
    const [later] = await insertMessages(qualified, 1, 1);
    assert.equal(await fail(poolExecutor(), spec, later!, { reason: emojis }), 1);
    const stored = (await listFailed(poolExecutor(), spec)).messages.find((m) => m.id === later)!.reason!;
    assert.ok(Buffer.byteLength(stored) > MAX_REASON_BYTES - 8 && Buffer.byteLength(stored) <= MAX_REASON_BYTES);
  });
});

describe('rows that cannot be hydrated', () => {
  const tableName = uniqueName('poison_hydrate');

  @MessageTable({ name: tableName, keyspace: vitess.sharded, ackWait: '1s', minBackoff: '500ms', pollerInterval: '500ms' })
  class PoisonJob extends VitessMessage {
    @Column({ type: 'varchar', length: 50 }) label!: string;
    @Column({ type: 'simple-json', nullable: true }) data!: { n: number } | null;
  }

  const url = new URL(vitess.mysqlUrl);
  const dataSource = new DataSource({
    type: 'mysql', host: url.hostname, port: Number(url.port || 3306),
    username: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password),
    database: vitess.unsharded, supportBigNumbers: true, bigNumberStrings: true, entities: [PoisonJob], logging: false,
  });
  before(async () => {
    await dataSource.initialize();
    await runSchemaSql((sql) => dataSource.query(sql), buildSchemaSql(getMessageTableSpec(PoisonJob, dataSource)));
  });
  after(async () => {
    for (const sql of buildDropSchemaSql(getMessageTableSpec(PoisonJob, dataSource))) await dataSource.query(sql).catch(() => undefined);
    await dataSource.destroy();
  });

  for (const t of transports) test(`${t.name}: a row whose simple-json column is not JSON counts its deliveries as attempts and is failed at maxAttempts with a reason naming the column; the good row is handled`, async () => {
    const qualified = `\`${vitess.sharded}\`.\`${tableName}\``;
    const good = randomId().toString();
    const bad = randomId().toString();
    await vtgatePool().query(`insert into ${qualified} (id, label, data) values (?, 'good', '{"n":1}'), (?, 'bad', 'not json')`, [good, bad]);
    const handled: string[] = [];
    const sub = subscribeEntity(PoisonJob, (job) => void handled.push(job.id), { dataSource, ...t.source(), maxAttempts: 2 });
    cleanup.push(() => sub.close());
    const errors: unknown[] = [];
    sub.on('error', (e) => errors.push(e));
    await waitUntil(async () => (await timeNextOf(qualified, bad)) === FAILED_TIME_NEXT, 20_000, 'the bad row failed');
    await waitUntil(() => sub.stats().failed === 1 && sub.stats().acked === 1, 5_000, 'counted');
    assert.deepEqual(handled, [good]);
    // Delivered at epochs 0 and 1, each a decode error. Over MySQL one of those
    // copies can go into a stream vtgate still keeps from before (README
    // "Subscribe"): then the subscriber sees one, and the reason still says 2 of 2.
    const seen = sub.stats().decodeErrors;
    assert.ok(t.name === 'grpc' ? seen === 2 : seen >= 1 && seen <= 2, `decode errors: ${seen}`);
    assert.equal(errors.length, seen);
    const failed = (await listFailed(poolExecutor(), getMessageTableSpec(PoisonJob, dataSource))).messages.find((m) => m.id === bad);
    assert.match(failed!.reason!, t.name === 'grpc' ? /^attempt 2 of 2: column data could not be read: SyntaxError: / : /^attempt [23] of 2: column data could not be read: SyntaxError: /);
    await sub.close();
  });
});

for (const t of transports) describe(`stuck handlers and duplicates (${t.name})`, () => {
  test(`${t.name}: handlers that ignore their abort are counted in stats().stuckHandlers with a stuck event; once they return the work goes on`, async () => {
    const { spec, qualified } = await table('poison_stuck', { ackWaitS: 30 });
    const ids = await insertMessages(qualified, 3, 3);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let freed = false;
    const sub = subscribe(spec, async () => {
      if (!freed) await gate; // ignores ctx.signal
    }, { executor: poolExecutor(), ...t.source(), concurrency: 2, handlerTimeout: 200, retryBackoff: fastRetry });
    cleanup.push(() => sub.close());
    const stuck: Array<{ id: string; epoch: number }> = [];
    sub.on('stuck', (info) => stuck.push(info));
    await waitUntil(() => stuck.length === 2 && sub.stats().stuckHandlers === 2, 10_000, 'two stuck handlers');
    assert.equal(sub.stats().running, 2);
    assert.ok(stuck.every((s) => ids.includes(s.id)));
    freed = true;
    release();
    await waitUntil(() => sub.stats().acked === 3, 15_000, 'all three acked once the handlers returned');
    assert.equal(sub.stats().stuckHandlers, 0);
    await sub.close();
  });

  test(`${t.name}: redelivered counts epoch > 0 copies, duplicates only ids this subscriber already handled`, async () => {
    const { spec, qualified } = await table('poison_dups', { ackWaitS: 30 });
    const seenElsewhere = randomId().toString(); // epoch 2: sent twice before, never to this subscriber
    await vtgatePool().query(`insert into ${qualified} (id, epoch, payload) values (?, 2, '{}')`, [seenElsewhere]);
    const [flaky] = await insertMessages(qualified, 1, 1);
    let flakyCalls = 0;
    const sub = subscribe(spec, (_m, ctx) => {
      if (ctx.id === flaky && ++flakyCalls === 1) throw new Error('once');
    }, { executor: poolExecutor(), ...t.source(), retryBackoff: fastRetry });
    cleanup.push(() => sub.close());
    await waitUntil(() => sub.stats().acked === 2, 15_000, 'both acked');
    await sub.close();
    const s = sub.stats();
    assert.equal(s.redelivered, 2);
    assert.equal(s.duplicates, 1);
  });
});
