/**
 * `enqueued_at` / `failed_at` on the real 2-shard Vitess: enqueue and fail
 * stamp them from the database clock (through vtgate, on each shard), retry
 * clears `failed_at`, getMessages and listFailed return them, the subscriber's
 * fail sets `failed_at` too; and a table made before the columns existed is
 * upgraded by the generated ALTERs, after which enqueue works and messages
 * still stream.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataSource } from 'typeorm';
import { defineMessageTable } from '../../src/core/define';
import { UnrecoverableError } from '../../src/core/errors';
import { ack, enqueue, enqueueMany, fail, getMessages, listFailed, retry } from '../../src/core/operations';
import { buildAck } from '../../src/core/sql/ack';
import { buildEnqueue } from '../../src/core/sql/enqueue';
import { buildFail } from '../../src/core/sql/fail';
import { buildCreateTable, buildDropSchemaSql, buildVindexDdl } from '../../src/migration/ddl';
import { tableKey } from '../../src/migration/diff';
import { generateMigration } from '../../src/migration/generate';
import { renderMigration } from '../../src/migration/render';
import { buildUpgradeSql } from '../../src/migration/upgrade';
import { subscribe } from '../../src/subscriber/subscriber';
import { loadMigration } from '../helpers/migrations';
import { mysql2Harness, producerTable } from '../helpers/producer-harness';
import { TableStream } from '../helpers/stream-table';
import { poolExecutor, specTables } from '../helpers/subscriber-fixtures';
import { uniqueName, vitess, vtgatePool, waitUntil, runSchemaSql } from '../helpers/vitess';

// Drops the tables it made and closes the pool after the file.
const { table: specTable } = specTables();

/**
 * The client clock's [now − 1 s, now + 1 s] around `fn`, as Unix ns: the
 * database's clock (another host in production, this one here) should fall in
 * it; the window catches a missing stamp, a wrong unit or a wrong epoch.
 */
async function clientWindow<T>(fn: () => Promise<T>): Promise<{ value: T; lo: bigint; hi: bigint }> {
  const lo = BigInt(Date.now() - 1_000) * 1_000_000n;
  const value = await fn();
  const hi = BigInt(Date.now() + 1_000) * 1_000_000n;
  return { value, lo, hi };
}

function assertWithin(ns: string | null, w: { lo: bigint; hi: bigint }, what: string): bigint {
  assert.ok(ns !== null, `${what} is set`);
  const v = BigInt(ns);
  assert.ok(v >= w.lo && v <= w.hi, `${what} ${ns} within the client's [${w.lo}, ${w.hi}]`);
  return v;
}

test('enqueue stamps enqueued_at, fail stamps failed_at, retry clears it; ack stamps time_acked; all from the database clock', async (t) => {
  const tt = await producerTable('ts_prod');
  t.after(() => tt.drop());
  const x = mysql2Harness().executor();

  const one = await clientWindow(() => enqueue(x, tt.spec, { body: { n: 1 } }));
  const many = await clientWindow(() => enqueueMany(x, tt.spec, [{ payload: { body: { n: 2 } } }, { payload: { body: { n: 3 } } }, { payload: { body: { n: 4 } } }]));
  const ids = [one.value, ...many.value];
  let status = new Map((await getMessages(x, tt.spec, ids)).map((m) => [m.id, m]));
  assert.equal(status.size, 4);
  const enqueuedAt = assertWithin(status.get(one.value)!.enqueuedAtNs, one, 'enqueued_at');
  for (const id of many.value) assertWithin(status.get(id)!.enqueuedAtNs, many, 'enqueued_at of enqueueMany');
  for (const m of status.values()) assert.deepEqual([m.failedAtNs, m.timeNextNs], [null, '0'], 'due now is 0, not failed');

  // From 100 rows a chunk reads the database's now once and binds it: one stamp, in the window, whole microseconds.
  const large = await clientWindow(() => enqueueMany(x, tt.spec, Array.from({ length: 150 }, (_, i) => ({ payload: { body: { n: 100 + i } } }))));
  const stamps = new Set((await getMessages(x, tt.spec, large.value)).map((m) => m.enqueuedAtNs));
  assert.equal(stamps.size, 1, 'one statement, one now');
  assert.equal(assertWithin([...stamps][0]!, large, 'enqueued_at of a 150-row enqueueMany') % 1000n, 0n);

  // The same id again keeps the first message, and its first enqueued_at.
  await waitUntil(async () => BigInt(Date.now()) * 1_000_000n > enqueuedAt + 2_000n, 1_000, 'the clock to move');
  assert.equal(await enqueue(x, tt.spec, { body: { n: 9 } }, { id: one.value }), one.value);
  assert.equal((await getMessages(x, tt.spec, one.value))[0]!.enqueuedAtNs, enqueuedAt.toString());

  const failed = await clientWindow(() => fail(x, tt.spec, [ids[1]!, ids[2]!], { reason: 'poison' }));
  assert.equal(failed.value, 2);
  status = new Map((await getMessages(x, tt.spec, ids)).map((m) => [m.id, m]));
  const failedAt = assertWithin(status.get(ids[1]!)!.failedAtNs, failed, 'failed_at');
  assert.ok(failedAt >= BigInt(status.get(ids[1]!)!.enqueuedAtNs!), 'failed after it was enqueued (one clock)');
  assert.equal(status.get(ids[0]!)!.failedAtNs, null, 'a message not failed has no failed_at');
  // Failing again keeps the first reason and the first failed_at.
  assert.equal(await fail(x, tt.spec, ids[1]!, { reason: 'again' }), 0);

  const page = await listFailed(x, tt.spec);
  assert.deepEqual(
    page.messages.map((m) => [m.id, m.reason, m.enqueuedAtNs, m.failedAtNs]).sort(),
    [ids[1]!, ids[2]!].map((id) => [id, 'poison', status.get(id)!.enqueuedAtNs, status.get(id)!.failedAtNs]).sort(),
  );

  assert.equal(await retry(x, tt.spec, ids[1]!), 1);
  const revived = (await getMessages(x, tt.spec, ids[1]!))[0]!;
  assert.deepEqual([revived.state, revived.failedAtNs, revived.reason, revived.timeNextNs, revived.epoch], ['pending', null, null, '0', 0]);
  assert.equal(revived.enqueuedAtNs, status.get(ids[1]!)!.enqueuedAtNs, 'retry keeps enqueued_at');

  const acked = await clientWindow(() => ack(x, tt.spec, ids[3]!));
  assert.equal(acked.value, 1);
  assertWithin((await getMessages(x, tt.spec, ids[3]!))[0]!.timeAckedNs, acked, 'time_acked');
});

test('vtgate forwards the database-now expression to each shard in INSERT and UPDATE (it does not evaluate it itself)', async (t) => {
  const tt = await producerTable('ts_vexplain');
  t.after(() => tt.drop());
  // If vtgate ever evaluates it, the stamps come from vtgate's host clock instead: the README's Clocks rule must change.
  for (const s of [
    buildEnqueue(tt.spec, ['body', 'note'], [{ id: '1', priority: 50, timeNextNs: '0', values: [null, null] }, { id: '2', priority: 50, timeNextNs: '0', values: [null, null] }]),
    buildFail(tt.spec, { ids: ['1', '2'] }, 'r'),
    buildAck(tt.spec, { ids: ['1'] }),
  ]) {
    const [rows] = await vtgatePool().query(`vexplain plan ${s.sql}`, [...s.params]);
    const plan = String((rows as Array<Record<string, unknown>>)[0]!.JSON);
    assert.match(plan, /"Query": "[^"]*utc_timestamp\(6\)/, plan);
  }
});

test('the subscriber fails a message through the same builder: failed_at is set', async () => {
  const { spec } = await specTable('ts_sub', { ackWaitS: 30 });
  const executor = poolExecutor();
  const id = await enqueue(executor, spec, { payload: { poison: true } });
  const w = await clientWindow(async () => {
    const worker = subscribe(spec, async () => {
      throw new UnrecoverableError('cannot parse');
    }, { executor, address: vitess.grpcAddr });
    try {
      await waitUntil(() => worker.stats().failed >= 1, 15_000, 'the message to be failed');
    } finally {
      await worker.close();
    }
  });
  const m = (await getMessages(executor, spec, id))[0]!;
  assert.equal(m.state, 'failed');
  assert.match(m.reason ?? '', /cannot parse/);
  assertWithin(m.failedAtNs, w, 'failed_at');
});

test('a table made before enqueued_at / failed_at: the generated ALTERs add them; old rows read null; enqueue works and messages stream', async (t) => {
  const spec = defineMessageTable({
    table: uniqueName('ts_upgrade'),
    keyspace: vitess.sharded,
    columns: { payload: { type: 'json', nullable: true } },
    ackWait: '30s',
    pollerInterval: '500ms',
  });
  const qualified = `\`${spec.keyspace}\`.\`${spec.table}\``;
  const db = vtgatePool();
  const dir = mkdtempSync(join(tmpdir(), 'vm-upgrade-'));
  const ds = new DataSource({ type: 'mysql', url: vitess.mysqlUrl, database: vitess.unsharded, supportBigNumbers: true, bigNumberStrings: true });
  await ds.initialize();
  const qr = ds.createQueryRunner();
  t.after(async () => {
    await qr.release();
    await ds.destroy();
    for (const sql of buildDropSchemaSql(spec)) await db.query(sql.replace(/^DROP TABLE/, 'DROP TABLE IF EXISTS')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  // The first release's DDL: today's without the two new lines.
  const oldDdl = buildCreateTable(spec).replace(/\n {2}`enqueued_at` bigint NULL,\n {2}`failed_at` bigint NULL,/, '');
  assert.doesNotMatch(oldDdl, /enqueued_at|failed_at/);
  await runSchemaSql((sql) => db.query(sql), [buildVindexDdl(spec)!]);
  await db.query(oldDdl);
  const oldId = '1234567890123456789';
  await db.query(`insert into ${qualified} (id, payload) values (?, ?)`, [oldId, '{"old":true}']);
  // …and the first release's migration file (snapshot format 1).
  writeFileSync(join(dir, '1700000000000-Create.ts'), renderMigration({
    className: 'Create1700000000000', up: [], down: [], changes: [],
    snapshot: { version: 1, tables: { [tableKey(spec)]: JSON.parse(JSON.stringify(spec)) } },
  }));
  // Before the upgrade the library cannot enqueue into it (the column is missing).
  await assert.rejects(enqueue(poolExecutor(), spec, { payload: { early: true } }), /enqueued_at/);

  const gen = await generateMigration({ dir, tables: [spec], name: 'AddTimestamps', timestamp: 1_700_000_000_001 });
  assert.equal(gen.status, 'written');
  assert.deepEqual(gen.up, buildUpgradeSql(spec), 'print-sql --upgrade prints what the generator writes');
  const M = loadMigration(gen.file!, gen.text!);
  const upAt = Date.now();
  await new M().up(qr);
  t.diagnostic(`up took ${Date.now() - upAt} ms, including the wait for vtgate's schema tracking`);
  // vtgate learns of added columns from its schema tracker a moment after the
  // DDL (until then an UPDATE or SELECT naming them fails with "column … not
  // found"); the migration waits for it, so they work at once.
  assert.equal((await getMessages(poolExecutor(), spec, oldId))[0]!.failedAtNs, null);
  const [created] = await db.query(`show create table ${qualified}`);
  const ddl = (created as Array<Record<string, string>>)[0]!['Create Table']!;
  assert.match(ddl, /`failure_reason` text,\n\s+`enqueued_at` bigint DEFAULT NULL,\n\s+`failed_at` bigint DEFAULT NULL,\n\s+`payload` json/);
  assert.match(ddl, /vt_message_cols=id\|epoch\|payload'/, 'the stream still carries id, epoch and the payload only');

  const stream = await TableStream.open(spec.keyspace!, spec.table);
  try {
    const w = await clientWindow(() => enqueue(poolExecutor(), spec, { payload: { fresh: true } }));
    await stream.waitFor((s) => s.counts().has(w.value) && s.counts().has(oldId), 15_000, 'the new and the old message');
    assert.deepEqual(stream.fields.map((f) => f.name), ['id', 'epoch', 'payload']);
    const byId = new Map((await getMessages(poolExecutor(), spec, [oldId, w.value])).map((m) => [m.id, m]));
    assert.equal(byId.get(oldId)!.enqueuedAtNs, null, 'a row from before the upgrade reads null');
    assertWithin(byId.get(w.value)!.enqueuedAtNs, w, 'enqueued_at after the upgrade');
    assert.equal(await ack(poolExecutor(), spec, [oldId, w.value]), 2);
  } finally {
    await stream.close();
  }

  await new M().down(qr);
  const [reverted] = await db.query(`show create table ${qualified}`);
  assert.doesNotMatch((reverted as Array<Record<string, string>>)[0]!['Create Table']!, /enqueued_at|failed_at/);
});
