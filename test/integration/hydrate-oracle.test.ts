/**
 * The typed-hydration oracle: a row with every kind of payload column, streamed
 * by the TypeORM subscriber, deep-equals (id and every payload column) what
 * TypeORM's own `manager.findOneBy` returns for the same id.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Column, DataSource } from 'typeorm';
import { randomId } from '../../src/core/ids';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { MessageTable, VitessMessage, getMessageTableSpec } from '../../src/typeorm';
import { stream, type Delivered } from '../../src/typeorm/subscribe';
import { uniqueName, vitess, waitUntil, runSchemaSql } from '../helpers/vitess';

const tableName = uniqueName('hydrate');

@MessageTable({ name: tableName, keyspace: vitess.sharded, ackWait: '30s', pollerInterval: '500ms' })
class EveryType extends VitessMessage {
  @Column({ type: 'varchar', length: 100 }) label!: string;
  @Column({ type: 'json' }) doc!: unknown;
  @Column({ type: 'decimal', precision: 30, scale: 10 }) amount!: string;
  @Column({ name: 'happened_at', type: 'datetime', precision: 6 }) happenedAt!: Date;
  @Column({ type: 'enum', enum: ['small', 'medium', 'large'] }) size!: 'small' | 'medium' | 'large';
  @Column({ type: 'blob' }) data!: Buffer;
  @Column({ type: 'bigint', unsigned: true }) counter!: string;
  @Column({ type: 'boolean' }) flag!: boolean;
  @Column({ type: 'int' }) small!: number;
  @Column({ type: 'double' }) ratio!: number;
  @Column({ type: 'date' }) day!: string;
  @Column({ type: 'text', nullable: true }) notes!: string | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) missing!: string | null;
}

// All of the URL (user, password, host, port): an external vtgate may need a password.
const url = new URL(vitess.mysqlUrl);
const dataSource = new DataSource({
  type: 'mysql',
  host: url.hostname,
  port: Number(url.port || 3306),
  username: decodeURIComponent(url.username || 'root'),
  password: decodeURIComponent(url.password),
  database: vitess.unsharded,
  supportBigNumbers: true,
  bigNumberStrings: true,
  entities: [EveryType],
  logging: false,
});

before(async () => {
  await dataSource.initialize();
  await runSchemaSql((sql) => dataSource.query(sql), buildSchemaSql(getMessageTableSpec(EveryType, dataSource)));
});

after(async () => {
  for (const sql of buildDropSchemaSql(getMessageTableSpec(EveryType, dataSource))) await dataSource.query(sql).catch(() => undefined);
  await dataSource.destroy();
});

test('a streamed row hydrates to what manager.findOneBy returns: json, decimal(30,10), datetime(6), enum, blob, emoji, bigint unsigned, boolean, date, NULL', async () => {
  const id = randomId().toString();
  const spec = getMessageTableSpec(EveryType, dataSource);
  await dataSource.query(
    `insert into \`${spec.keyspace}\`.\`${spec.table}\` (id, label, doc, amount, happened_at, size, data, counter, flag, small, ratio, day, notes, missing) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      'héllo 👋🏽 世界 ✓',
      JSON.stringify({ nested: { list: [1, 'ü', { deep: null, t: true }], emoji: '🎉' }, 'ключ': 'значение', n: 1.5 }),
      '12345678901234567890.0123456789',
      '2024-02-29 13:14:15.123456',
      'medium',
      Buffer.from([0, 1, 2, 127, 128, 255]),
      '18446744073709551615',
      true,
      -42,
      3.25,
      '2024-02-29',
      'line one\nline "two"',
      null,
    ],
  );

  const messages = stream(EveryType, { dataSource, address: vitess.grpcAddr, maxInFlight: 10 });
  let streamed: Delivered<EveryType> | undefined;
  let epoch: number | undefined;
  for await (const m of messages) {
    if (m.id !== id) continue;
    streamed = m.message;
    epoch = m.epoch;
    await m.ack();
    break;
  }
  assert.ok(streamed, 'the row was streamed');
  const found = await waitUntil(() => dataSource.manager.findOneBy(EveryType, { id }), 5_000, 'findOneBy');

  assert.ok(streamed instanceof EveryType, 'an instance of the entity class');
  assert.equal(epoch, 0);
  assert.equal(streamed.epoch, 0);
  const metadata = dataSource.getMetadata(EveryType);
  const notStreamed = new Set(['priority', 'epoch', 'timeNext', 'timeAcked', 'failureReason', 'enqueuedAt', 'failedAt']);
  const compared: string[] = [];
  for (const column of metadata.columns) {
    if (notStreamed.has(column.propertyName)) continue;
    compared.push(column.propertyName);
    assert.deepStrictEqual(column.getEntityValue(streamed), column.getEntityValue(found), `${column.propertyName} as TypeORM hydrates it`);
  }
  assert.deepEqual(compared, ['id', 'label', 'doc', 'amount', 'happenedAt', 'size', 'data', 'counter', 'flag', 'small', 'ratio', 'day', 'notes', 'missing']);
  // And the values are the typed ones, not just equal to each other.
  assert.equal(typeof streamed.id, 'string');
  assert.equal(streamed.counter, '18446744073709551615');
  assert.equal(streamed.amount, '12345678901234567890.0123456789');
  assert.ok(streamed.happenedAt instanceof Date);
  assert.ok(Buffer.isBuffer(streamed.data));
  assert.equal(streamed.flag, true);
  assert.equal(streamed.label, 'héllo 👋🏽 世界 ✓');
  assert.deepEqual((streamed.doc as { nested: { emoji: string } }).nested.emoji, '🎉');
  assert.equal(streamed.missing, null);
});
