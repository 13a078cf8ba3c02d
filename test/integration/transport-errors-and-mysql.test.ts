/**
 * Both stream transports on the real Vitess: the MySQL-protocol one delivers the
 * same decoded rows as gRPC, and both fail fast, not retryable, on requests that
 * can never work (unknown table or keyspace, a replica target, a table that is
 * not a message table).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeRow, type StreamField } from '../../src/core/decode';
import { StreamError } from '../../src/core/errors';
import { randomId } from '../../src/core/ids';
import { VtgateGrpcTransport } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import { VtgateMysqlTransport } from '../../src/subscriber/mysql/vtgate-mysql-transport';
import type { StreamTransport } from '../../src/subscriber/transport';
import { closePool, createRawMessageTable, debugVars, dropTable, uniqueName, vitess, vtgatePool, waitUntil, runSchemaSql } from '../helpers/vitess';

const transports: Record<string, () => StreamTransport> = {
  grpc: () => new VtgateGrpcTransport({ address: vitess.grpcAddr }),
  mysql: () => new VtgateMysqlTransport({ connection: vitess.mysqlUrl }),
};

let message: { table: string; keyspace: string; qualified: string };
let plain: string;

before(async () => {
  message = await createRawMessageTable('transport', {
    payloadDdl: 'payload json, note varchar(64) character set utf8mb4 null, amount decimal(30,10) null, data blob null, at datetime(6) null',
    messageCols: ['id', 'epoch', 'payload', 'note', 'amount', 'data', 'at'],
  });
  plain = uniqueName('plain');
  await runSchemaSql((sql) => vtgatePool().query(sql), [`alter vschema on \`${vitess.sharded}\`.\`${plain}\` add vindex hash(id) using hash`]);
  await vtgatePool().query(`create table \`${vitess.sharded}\`.\`${plain}\` (id bigint primary key)`);
});

after(async () => {
  await dropTable(message.keyspace, message.table);
  await dropTable(vitess.sharded, plain);
  await closePool();
});

async function collect(transport: StreamTransport, table: string, want: Set<string>): Promise<Map<string, Record<string, unknown>>> {
  const call = transport.stream({ sql: `stream * from \`${vitess.sharded}\`.\`${table}\``, target: `${vitess.sharded}@primary`, table });
  const got = new Map<string, Record<string, unknown>>();
  let fields: readonly StreamField[] = [];
  const timer = setTimeout(() => call.cancel(), 15_000);
  for await (const packet of call) {
    if (packet.fields) fields = packet.fields;
    for (const row of packet.rows ?? []) {
      const r = decodeRow(fields, row);
      got.set(String(r.id), r);
    }
    if ([...want].every((id) => got.has(id))) break;
  }
  clearTimeout(timer);
  call.cancel();
  return got;
}

test('the MySQL transport delivers the rows the gRPC transport does, decoded identically', async () => {
  const ids = [randomId(), randomId(), 2n ** 63n - 2n].map(String);
  for (const [i, id] of ids.entries()) {
    await vtgatePool().query(
      `insert into ${message.qualified} (id, payload, note, amount, data, at) values (?, ?, ?, ?, ?, ?)`,
      [id, JSON.stringify({ i, s: 'ü🎉', nested: { a: [1, null] } }), i === 0 ? null : `note ${i} 🎉`, '12345678901234567890.0123456789', Buffer.from([0, 1, 254, 255]), '2024-02-29 13:14:15.123456'],
    );
  }
  const want = new Set(ids);
  const viaMysql = await collect(transports.mysql!(), message.table, want);
  const viaGrpc = await collect(transports.grpc!(), message.table, want);
  // The gRPC stream sees redeliveries (the first stream left them unacked), so epochs differ.
  const withoutEpoch = (r?: Record<string, unknown>) => ({ ...r, epoch: undefined });
  for (const id of ids) {
    assert.deepEqual(withoutEpoch(viaMysql.get(id)), withoutEpoch(viaGrpc.get(id)), id);
    assert.equal(viaMysql.get(id)!.id, id, 'a 64-bit id stays exact');
  }
  const row = viaMysql.get(ids[1]!)!;
  assert.deepEqual(row.payload, { i: 1, s: 'ü🎉', nested: { a: [1, null] } });
  assert.equal(row.note, 'note 1 🎉');
  assert.equal(row.amount, '12345678901234567890.0123456789');
  assert.deepEqual(row.data, Buffer.from([0, 1, 254, 255]));
  assert.equal((row.at as Date).getMilliseconds(), 123);
  assert.equal(viaMysql.get(ids[0]!)!.note, null);
});

for (const [name, make] of Object.entries(transports)) {
  describe(`${name} transport: requests that can never work fail at once, not retryable`, () => {
    const cases: Array<[string, string, string, string]> = [
      ['unknown table', `stream * from \`${vitess.sharded}\`.nosuch_table`, `${vitess.sharded}@primary`, 'NOT_FOUND'],
      ['unknown keyspace', 'stream * from nosuch_keyspace.t', 'nosuch_keyspace@primary', 'NOT_FOUND'],
      ['a replica target', `stream * from \`${vitess.sharded}\`.\`{message}\``, `${vitess.sharded}@replica`, 'FAILED_PRECONDITION'],
      ['not a message table', `stream * from \`${vitess.sharded}\`.\`{plain}\``, `${vitess.sharded}@primary`, 'FAILED_PRECONDITION'],
    ];
    for (const [what, sqlTemplate, target, code] of cases) {
      test(what, async () => {
        const transport = make();
        const sql = sqlTemplate.replace('{message}', message.table).replace('{plain}', plain);
        const started = Date.now();
        const err = await (async () => {
          try {
            for await (const _ of transport.stream({ sql, target, table: 't' })) {
              /* a failing stream yields nothing useful */
            }
          } catch (e) {
            return e;
          } finally {
            transport.close();
          }
          return undefined;
        })();
        assert.ok(err instanceof StreamError, `got ${String(err)}`);
        assert.equal(err.retryable, false, err.message);
        assert.equal(err.code, code, err.message);
        assert.ok(Date.now() - started < 10_000);
      });
    }
  });
}

test('the MySQL transport pauses reading when the consumer does not pull', async () => {
  // 1 KB rows, more than loopback socket buffers hold, and an ack wait longer
  // than the test so no redelivery inflates the tablet's count.
  const total = 10_000;
  await debugVars(); // the tablet's sent counter: without VTCOMBO_HTTP, fail here, before anything is created
  const t = await createRawMessageTable('mysqlpause', { batchSize: 100, ackWaitS: 60, minBackoffS: 60 });
  try {
    const body = JSON.stringify({ pad: 'x'.repeat(1000) });
    const values = Array.from({ length: total }, () => [randomId().toString(), body]);
    for (let i = 0; i < values.length; i += 500) {
      await vtgatePool().query(`insert into ${t.qualified} (id, payload) values ?`, [values.slice(i, i + 500)]);
    }
    const transport = new VtgateMysqlTransport({ connection: vitess.mysqlUrl, readAheadRows: 50 });
    const call = transport.stream({ sql: `stream * from ${t.qualified}`, target: `${t.keyspace}@primary`, table: t.table });
    const it = call[Symbol.asyncIterator]();
    let rows = 0;
    while (rows < 100) {
      const r = await it.next();
      rows += r.value?.rows?.length ?? 0;
    }
    // While we hold back, the tablet's sent counter must stop well short of the backlog.
    const sent = async () => Number(((await debugVars()) as { Messages?: Record<string, number> }).Messages?.[`${t.table}.Sent`] ?? 0);
    // Buffers fill, then the count must settle below the backlog and stay there.
    let previous = -1;
    const settled = await waitUntil(async () => {
      const now = await sent();
      const stable = now === previous && now >= 100;
      previous = now;
      if (!stable) await new Promise((r) => setTimeout(r, 500));
      return stable ? now : 0;
    }, 15_000, 'the tablet to stop sending');
    await new Promise((r) => setTimeout(r, 1500));
    const later = await sent();
    console.log(`mysql transport paused after ${rows} rows: tablet sent ${settled} of ${total} (1 KB rows), ${later} after 1.5 s more`);
    assert.ok(settled < total, `tablet sent ${settled} of ${total} while the consumer was paused`);
    assert.equal(later, settled, 'nothing more is sent while paused');
    call.cancel();
    transport.close();
  } finally {
    await dropTable(t.keyspace, t.table);
  }
});

for (const [name, make] of Object.entries(transports)) {
  test(`${name} transport: cancel() ends a read that is waiting for rows, without an error`, async () => {
    const transport = make();
    const call = transport.stream({ sql: `stream * from ${message.qualified}`, target: `${message.keyspace}@primary`, table: message.table });
    const it = call[Symbol.asyncIterator]();
    // Drain whatever is there (fields, perhaps redeliveries), then wait on an idle stream.
    const first = await it.next();
    assert.ok(first.value?.fields, 'the first packet carries the fields');
    setTimeout(() => call.cancel(), 200);
    const ended = (async () => {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        /* packets that arrived before the cancel */
      }
      return 'ended';
    })();
    const timeout = new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting'));
    assert.equal(await Promise.race([ended, timeout]), 'ended');
    transport.close();
  });
}
