/**
 * The generator end to end on the real 2-shard keyspace: an entity → generated
 * migration → `up` through vtgate → vttablet loads a message table (stream
 * delivers rows from both shards, acks work) → an option change (ack wait
 * 1 s → 3 s) → generated ALTER → the tablet redelivers on the new schedule →
 * `down` reverts each step.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Column, DataSource, type QueryRunner } from 'typeorm';
import { randomId } from '../../src/core/ids';
import type { Duration } from '../../src/core/time';
import { nowNs } from '../../src/core/time';
import { generateMigration } from '../../src/migration/generate';
import { getMessageTableSpec, MessageTable, VitessMessage } from '../../src/typeorm';
import { loadMigration } from '../helpers/migrations';
import { TableStream } from '../helpers/stream-table';
import { closePool, dropTable, uniqueName, vitess, vtgatePool } from '../helpers/vitess';

const table = uniqueName('mig_life');
const keyspace = vitess.sharded;
const qualified = `\`${keyspace}\`.\`${table}\``;
const dir = mkdtempSync(join(tmpdir(), 'vm-mig-life-'));
let ds: DataSource;
let qr: QueryRunner;

function entity(ackWait: Duration) {
  // Same class name each time: the registry treats it as the same entity redefined.
  @MessageTable({ name: table, keyspace, ackWait, pollerInterval: '500ms', minBackoff: '500ms', maxBackoff: '1s', batchSize: 50, cacheSize: 1000 })
  class LifecycleJob extends VitessMessage {
    @Column({ type: 'json' }) payload!: unknown;
    @Column({ name: 'order', type: 'int', default: 0 }) order!: number;
  }
  return LifecycleJob;
}

async function createTableSql(): Promise<string> {
  const [rows] = await vtgatePool().query(`show create table ${qualified}`);
  return (rows as Array<Record<string, string>>)[0]!['Create Table']!;
}

before(async () => {
  ds = new DataSource({ type: 'mysql', url: vitess.mysqlUrl, database: vitess.unsharded, supportBigNumbers: true, bigNumberStrings: true });
  await ds.initialize();
  qr = ds.createQueryRunner();
});

after(async () => {
  await qr?.release();
  await ds?.destroy();
  await dropTable(keyspace, table);
  await closePool();
  rmSync(dir, { recursive: true, force: true });
});

test('generate → up → stream from both shards + ack → ack wait 1 s → 3 s → down, down', async () => {
  const db = vtgatePool();
  const v1 = getMessageTableSpec(entity('1s'));
  const r1 = await generateMigration({ dir, tables: [v1], name: 'CreateLifecycle', timestamp: 1_800_000_000_000 });
  assert.equal(r1.status, 'written');
  const M1 = loadMigration(r1.file!, r1.text!);
  await new M1().up(qr);

  assert.match(await createTableSql(), /COMMENT='vitess_message,vt_ack_wait=1,vt_purge_after=86400,vt_batch_size=50,vt_cache_size=1000,vt_poller_interval=0.5,vt_min_backoff=0.5,vt_max_backoff=1,vt_message_cols=id\|epoch\|payload\|order'/);

  // vttablet loaded it as a message table: rows from both shards arrive, with epoch and the reserved-word column.
  let stream = await TableStream.open(keyspace, table);
  const ids = Array.from({ length: 24 }, () => randomId().toString());
  try {
    await db.query(`insert into ${qualified} (id, payload, \`order\`) values ${ids.map(() => '(?, ?, ?)').join(', ')}`, ids.flatMap((id, i) => [id, JSON.stringify({ i }), i]));
    await stream.waitFor((s) => ids.every((id) => s.counts().has(id)), 15_000, 'all inserted rows');
    assert.deepEqual(stream.fields.map((f) => f.name), ['id', 'epoch', 'payload', 'order']);
    const conn = await db.getConnection();
    try {
      for (const shard of ['-80', '80-']) {
        await conn.query(`use \`${keyspace}:${shard}\``);
        const [rows] = await conn.query(`select id from \`${table}\``);
        const here = (rows as Array<{ id: string }>).map((r) => String(r.id));
        assert.ok(here.length > 0, `shard ${shard} holds some rows`);
        assert.ok(here.every((id) => stream.counts().has(id)), `rows of shard ${shard} were streamed`);
      }
    } finally {
      // A pooled connection must not keep a shard target.
      conn.destroy();
    }
    const control = ids[0]!;
    const [res] = await db.query(`update ${qualified} set time_acked = ?, time_next = null where id in (?) and time_acked is null`, [nowNs().toString(), ids.slice(1)]);
    assert.equal((res as { affectedRows: number }).affectedRows, ids.length - 1, 'every ack matched a pending row');
    await stream.waitFor((s) => (s.counts().get(control) ?? 0) >= 2, 15_000, 'the unacked control to come back');
    const [first, second] = stream.deliveries.filter((d) => d.row.id === control);
    assert.equal(second!.row.epoch, '1');
    assert.ok(second!.at - first!.at >= 1_000, 'not before the 1 s ack wait');
  } finally {
    await stream.close();
  }

  // Change an option: the generator writes only the comment change.
  const v2 = getMessageTableSpec(entity('3s'));
  const r2 = await generateMigration({ dir, tables: [v2], name: 'AckWait3s', timestamp: 1_800_000_000_001 });
  assert.deepEqual(r2.changes, [`${keyspace}.${table}: options → vitess_message,vt_ack_wait=3,vt_purge_after=86400,vt_batch_size=50,vt_cache_size=1000,vt_poller_interval=0.5,vt_min_backoff=0.5,vt_max_backoff=1,vt_message_cols=id|epoch|payload|order`]);
  assert.equal(r2.up.length, 1);
  assert.match(r2.up[0]!, /^ALTER TABLE .* COMMENT='vitess_message,vt_ack_wait=3,/);
  assert.equal((await generateMigration({ dir, tables: [v2], check: true })).status, 'up-to-date');
  const M2 = loadMigration(r2.file!, r2.text!);
  await new M2().up(qr);
  assert.match(await createTableSql(), /vt_ack_wait=3,/);

  // The schema change restarts the table's message manager; a fresh subscriber sees the new ack wait.
  await db.query(`update ${qualified} set time_acked = ?, time_next = null where id = ? and time_acked is null`, [nowNs().toString(), ids[0]]);
  stream = await TableStream.open(keyspace, table);
  try {
    const slow = randomId().toString();
    await db.query(`insert into ${qualified} (id, payload) values (?, ?)`, [slow, '{"slow":true}']);
    await stream.waitFor((s) => (s.counts().get(slow) ?? 0) >= 2, 20_000, 'the unacked message to come back after the new ack wait');
    const [a, b] = stream.deliveries.filter((d) => d.row.id === slow);
    assert.ok(b!.at - a!.at >= 3_000, `redelivered after ${b!.at - a!.at} ms: the 3 s ack wait applies`);
    await db.query(`update ${qualified} set time_acked = ?, time_next = null where id = ?`, [nowNs().toString(), slow]);
  } finally {
    await stream.close();
  }

  // down reverses each migration.
  await new M2().down(qr);
  assert.match(await createTableSql(), /vt_ack_wait=1,/);
  await new M1().down(qr);
  await assert.rejects(createTableSql(), /doesn't exist|not found/);
  await assert.rejects(db.query(`show vschema vindexes on ${qualified}`), /does not exist/, 'the vindex entry is gone');
});
