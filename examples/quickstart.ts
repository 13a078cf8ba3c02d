/**
 * Quick start: a message table on the 2-shard keyspace, three messages enqueued
 * in one transaction with mysql2, consumed from vtgate's gRPC stream, acked.
 */
import * as mysql from 'mysql2/promise';
import { decodeRow, nowNs, randomId, VtgateGrpcTransport, type StreamField } from '../src';

const mysqlUrl = process.env.VTGATE_MYSQL_URL ?? 'mysql://root@127.0.0.1:27307/';
const grpcAddr = process.env.VTGATE_GRPC_ADDR ?? '127.0.0.1:27991';
const keyspace = process.env.VITESS_SHARDED_KEYSPACE ?? 'commerce';
const table = `\`${keyspace}\`.\`quickstart_jobs\``;

async function main(): Promise<void> {
  const db = mysql.createPool({ uri: mysqlUrl, supportBigNumbers: true, bigNumberStrings: true });

  // 1. The message table (idempotent: the example can run again).
  await db.query(`alter vschema on ${table} add vindex hash(id) using hash`).catch((e: Error) => {
    if (!/already/.test(e.message)) throw e;
  });
  await db.query(`create table if not exists ${table} (
    id bigint not null, priority tinyint not null default 50, epoch bigint not null default 0,
    time_next bigint null default 0, time_acked bigint null, payload json,
    primary key (id), index poller_idx (time_acked, priority, time_next desc)
  ) comment 'vitess_message,vt_ack_wait=30,vt_purge_after=86400,vt_batch_size=100,vt_cache_size=10000,vt_poller_interval=1,vt_message_cols=id|epoch|payload'`);

  // 2. Subscribe before enqueueing so the fresh inserts stream at once.
  const transport = new VtgateGrpcTransport({ address: grpcAddr });
  const call = transport.stream({ sql: `stream * from ${table}`, target: `${keyspace}@primary`, table: 'quickstart_jobs' });

  // 3. Enqueue three messages in one transaction: they exist iff it commits.
  const ids = [randomId(), randomId(), randomId()].map(String);
  const conn = await db.getConnection();
  await conn.beginTransaction();
  for (const [i, id] of ids.entries()) {
    await conn.query(`insert into ${table} (id, payload) values (?, ?)`, [id, JSON.stringify({ task: 'send-email', n: i })]);
  }
  await conn.commit();
  conn.release();
  console.log(`enqueued ${ids.length} messages in one transaction: ${ids.join(', ')}`);

  // 4. Consume and ack.
  const pending = new Set(ids);
  let fields: readonly StreamField[] = [];
  const timeout = setTimeout(() => call.cancel(), 30_000);
  for await (const packet of call) {
    if (packet.fields) fields = packet.fields;
    for (const row of packet.rows ?? []) {
      const message = decodeRow(fields, row);
      const id = String(message.id);
      await db.query(`update ${table} set time_acked = ?, time_next = null where id = ? and time_acked is null`, [nowNs().toString(), id]);
      console.log(`received and acked ${id} (epoch ${message.epoch}): ${JSON.stringify(message.payload)}`);
      pending.delete(id);
    }
    if (pending.size === 0) break;
  }
  clearTimeout(timeout);
  call.cancel();
  transport.close();
  await db.end();
  if (pending.size > 0) throw new Error(`not received within 30 s: ${[...pending].join(', ')}`);
  console.log('quickstart: done');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
