/**
 * The first message end to end on the real 2-shard Vitess: a message table made
 * by hand, rows inserted with mysql2 inside a transaction, received over gRPC
 * StreamExecute with our own protos, decoded, acked.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomId } from '../../src/core/ids';
import { nowNs } from '../../src/core/time';
import { TableStream } from '../helpers/stream-table';
import { closePool, createRawMessageTable, dropTable, vtgatePool } from '../helpers/vitess';

let table: string;
let keyspace: string;
let qualified: string;

before(async () => {
  ({ table, keyspace, qualified } = await createRawMessageTable('first', { ackWaitS: 1, minBackoffS: 0.5, pollerIntervalS: 0.5 }));
});

after(async () => {
  await dropTable(keyspace, table);
  await closePool();
});

test('messages committed in a transaction arrive on both shards; rolled back never; acked not again while an unacked control is', async () => {
  const db = vtgatePool();
  const stream = await TableStream.open(keyspace, table);
  try {
    const ids = Array.from({ length: 40 }, () => randomId().toString());
    const conn = await db.getConnection();
    try {
      await conn.beginTransaction();
      for (const id of ids) {
        await conn.query(`insert into ${qualified} (id, payload) values (?, ?)`, [id, JSON.stringify({ n: id, text: 'héllo ✓' })]);
      }
      await conn.commit();

      const rolledBack = randomId().toString();
      await conn.beginTransaction();
      await conn.query(`insert into ${qualified} (id, payload) values (?, ?)`, [rolledBack, '{}']);
      await conn.rollback();

      await stream.waitFor((s) => ids.every((id) => s.counts().has(id)), 15_000, 'all committed ids');

      // Decoded as sent: 64-bit ids exact, epoch 0 on a first delivery, JSON parsed.
      for (const d of stream.deliveries) {
        assert.equal(typeof d.row.id, 'string');
        assert.equal(d.row.epoch, '0');
        assert.deepEqual(d.row.payload, { n: d.row.id, text: 'héllo ✓' });
      }
      assert.deepEqual(stream.fields.map((f) => [f.name, f.type]), [['id', 'INT64'], ['epoch', 'INT64'], ['payload', 'JSON']]);

      // Both shards hold some of them.
      for (const shard of ['-80', '80-']) {
        await conn.query(`use \`${keyspace}:${shard}\``);
        const [rows] = await conn.query(`select count(*) as n from \`${table}\``);
        assert.ok(Number((rows as Array<{ n: string }>)[0]!.n) > 0, `shard ${shard} has rows`);
      }
      await conn.query(`use \`${keyspace}\``);

      // Ack all but one; the unacked control proves the redelivery window passed.
      const control = ids[0]!;
      const acked = ids.slice(1);
      const [res] = await conn.query(
        `update ${qualified} set time_acked = ?, time_next = null where id in (?) and time_acked is null`,
        [nowNs().toString(), acked],
      );
      // vtgate sends no info string, so mysql2's changedRows is always 0; with
      // CLIENT_FOUND_ROWS affectedRows counts matches, and the `time_acked is null`
      // guard makes every matched row a changed one.
      assert.equal((res as { affectedRows: number }).affectedRows, acked.length);

      await stream.waitFor((s) => (s.counts().get(control) ?? 0) >= 2, 15_000, 'the unacked control to come back');
      const again = stream.deliveries.filter((d) => d.row.id === control);
      assert.equal(again[1]!.row.epoch, '1', 'a redelivery streams epoch 1');
      for (const id of acked) assert.equal(stream.counts().get(id), 1, `acked ${id} delivered once`);
      assert.equal(stream.counts().has(rolledBack), false, 'a rolled-back insert never arrives');
    } finally {
      conn.release();
    }
  } finally {
    await stream.close();
  }
});
