/**
 * Enqueue through an entity stores each value as `manager.save` stores it: a
 * message enqueued by us and a row of a plain twin entity (the same columns)
 * written by `manager.save` hold the same bytes in every payload column, for
 * every TypeORM column type with a conversion of its own (boolean, simple-json,
 * simple-array, enum, set, dates, datetime(6), decimal, bigint, transformers,
 * embedded columns). And what the subscriber hands the handler equals `findOneBy`.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IsBoolean, IsIn } from 'class-validator';
import { Column, DataSource, Entity, PrimaryColumn, Table, type ValueTransformer } from 'typeorm';
import { PayloadValidationError } from '../../src/core/errors';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { MessageTable, VitessMessage, getMessageTableSpec, messageRepositoryMethods, type MessagePayload, type Delivered } from '../../src/typeorm';
import { subscribe } from '../../src/typeorm/subscribe';
import { uniqueName, vitess, waitUntil, runSchemaSql } from '../helpers/vitess';

const upper: ValueTransformer = {
  to: (v: string | null | undefined) => (typeof v === 'string' ? v.toUpperCase() : v),
  from: (v: string | null) => (typeof v === 'string' ? v.toLowerCase() : v),
};
const cents: ValueTransformer = {
  to: (v: number | null | undefined) => (typeof v === 'number' ? Math.round(v * 100) : v),
  from: (v: number | null) => (typeof v === 'number' ? v / 100 : v),
};
const boxed: ValueTransformer = {
  to: (v: unknown) => (v === undefined || v === null ? v : { boxed: v }),
  from: (v: { boxed: unknown } | null) => (v === null ? v : v.boxed),
};

enum Level {
  Low = 1,
  High = 2,
}

class Address {
  @Column({ type: 'varchar', length: 60 }) city!: string;
  @Column({ type: 'int', nullable: true }) zip!: number | null;
}

/** The columns both tables share. */
abstract class EveryColumn extends VitessMessage {
  @IsBoolean() // runs on the caller's payload (a boolean), not on the converted 1
  @Column({ type: 'boolean' }) flag!: boolean;
  @Column() plainFlag!: boolean; // type from decorator metadata: Boolean
  @Column() count!: number; // Number → int
  @Column({ type: 'json' }) doc!: unknown;
  @Column({ type: 'json', nullable: true, transformer: boxed }) boxedDoc!: string | null;
  @Column({ type: 'simple-json' }) simpleJson!: { a: number[]; b: string };
  @Column({ type: 'simple-array' }) tags!: string[];
  @IsIn(['small', 'medium', 'large'])
  @Column({ type: 'enum', enum: ['small', 'medium', 'large'] }) size!: 'small' | 'medium' | 'large';
  @Column({ type: 'enum', enum: Level }) level!: Level;
  @Column({ type: 'set', enum: ['read', 'write', 'admin'] }) perms!: string[];
  @Column({ type: 'date' }) day!: string;
  @Column({ type: 'datetime' }) at!: Date;
  @Column({ name: 'precise_at', type: 'datetime', precision: 6 }) preciseAt!: Date;
  @Column({ type: 'timestamp', precision: 3 }) stamp!: Date;
  @Column({ type: 'time' }) clock!: string;
  @Column({ type: 'decimal', precision: 30, scale: 10 }) amount!: string;
  @Column({ type: 'bigint' }) counter!: string;
  @Column({ type: 'bigint', unsigned: true }) bigCounter!: string;
  @Column({ type: 'double' }) ratio!: number;
  @Column({ type: 'int', transformer: cents }) price!: number;
  @Column({ type: 'varchar', length: 40, transformer: upper }) label!: string;
  @Column({ type: 'blob' }) data!: Buffer;
  @Column(() => Address) address!: Address;
  @Column({ type: 'text', nullable: true }) notes!: string | null;
}

const messageTable = uniqueName('coltypes');
const twinTable = uniqueName('coltwin');

@MessageTable({ name: messageTable, keyspace: vitess.sharded, ackWait: '30s', pollerInterval: '500ms' })
class EveryTypeJob extends EveryColumn {}

@Entity({ name: twinTable, database: vitess.sharded })
class EveryTypeTwin extends EveryColumn {
  @PrimaryColumn({ type: 'bigint' }) declare id: string;
}

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
  entities: [EveryTypeJob, EveryTypeTwin],
  logging: false,
});
const twinQualified = `\`${vitess.sharded}\`.\`${twinTable}\``;

before(async () => {
  await dataSource.initialize();
  await runSchemaSql((sql) => dataSource.query(sql), buildSchemaSql(getMessageTableSpec(EveryTypeJob, dataSource)));
  // The twin's DDL is TypeORM's own (for its metadata); vtgate needs a vindex for it on the sharded keyspace.
  await runSchemaSql((sql) => dataSource.query(sql), [`alter vschema on ${twinQualified} add vindex hash(id) using hash`]);
  const runner = dataSource.createQueryRunner();
  try {
    await runner.createTable(Table.create(dataSource.getMetadata(EveryTypeTwin), dataSource.driver));
  } finally {
    await runner.release();
  }
});

after(async () => {
  try {
    for (const sql of buildDropSchemaSql(getMessageTableSpec(EveryTypeJob, dataSource))) await dataSource.query(sql).catch(() => undefined);
    await dataSource.query(`drop table if exists ${twinQualified}`).catch(() => undefined);
    await dataSource.query(`alter vschema on ${twinQualified} drop vindex hash`).catch(() => undefined);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
});

function payload(): MessagePayload<EveryTypeJob> {
  return {
    flag: true,
    plainFlag: false,
    count: 7,
    doc: { nested: [1, 'ü', null, { t: true }], emoji: '🎉', n: 1.5 },
    boxedDoc: 'inside',
    simpleJson: { a: [1, 2], b: 'ß' },
    tags: ['red', 'green'],
    size: 'medium',
    level: Level.High,
    perms: ['read', 'admin'],
    day: '2024-02-29',
    at: new Date(2024, 1, 29, 13, 14, 15),
    preciseAt: new Date(2024, 1, 29, 13, 14, 15, 123),
    stamp: new Date(2024, 1, 29, 13, 14, 15, 456),
    clock: '13:14:15',
    amount: '12345678901234567890.0123456789',
    counter: '-9223372036854775808',
    bigCounter: '18446744073709551615',
    ratio: 0.1,
    price: 12.34,
    label: 'héllo',
    data: Buffer.from([0, 1, 2, 127, 128, 255]),
    address: { city: 'Zürich', zip: 8001 },
  };
}

/** Every payload column of both tables as HEX (NULL stays NULL), keyed by column name. */
async function bytesOf(qualified: string, id: string, columns: readonly string[]): Promise<Record<string, unknown>> {
  const select = columns.map((c) => `hex(\`${c}\`) as \`${c}\``).join(', ');
  const rows = (await dataSource.query(`select ${select} from ${qualified} where id = ?`, [id])) as Array<Record<string, unknown>>;
  assert.equal(rows.length, 1, `one row ${id} in ${qualified}`);
  return rows[0]!;
}

test('typeorm-column-types: a message enqueued through the entity holds the bytes manager.save writes for the same values, in every payload column', async () => {
  const spec = getMessageTableSpec(EveryTypeJob, dataSource);
  const jobs = dataSource.getRepository(EveryTypeJob).extend(messageRepositoryMethods);
  const id = await jobs.enqueue(payload());
  const twinId = '4242';
  await dataSource.manager.save(EveryTypeTwin, { id: twinId, ...payload() });

  const columns = spec.payload.map((c) => c.name);
  assert.deepEqual(columns, [
    'flag', 'plainFlag', 'count', 'doc', 'boxedDoc', 'simpleJson', 'tags', 'size', 'level', 'perms', 'day', 'at', 'precise_at',
    'stamp', 'clock', 'amount', 'counter', 'bigCounter', 'ratio', 'price', 'label', 'data', 'notes', 'addressCity', 'addressZip',
  ]);
  const ours = await bytesOf(`\`${spec.keyspace}\`.\`${spec.table}\``, id, columns);
  const theirs = await bytesOf(twinQualified, twinId, columns);
  for (const c of columns) assert.equal(ours[c], theirs[c], `column ${c}: enqueue wrote what manager.save wrote`);
  // And the bytes are the converted ones, not just equal to each other.
  const text = (c: string) => Buffer.from(String(ours[c]), 'hex').toString('utf8');
  assert.equal(ours.flag, '1'); // HEX of a number is the number in hex
  assert.equal(ours.plainFlag, '0');
  assert.equal(text('simpleJson'), '{"a":[1,2],"b":"ß"}');
  assert.equal(text('tags'), 'red,green');
  assert.equal(text('perms'), 'read,admin');
  assert.equal(text('level'), '2');
  assert.equal(ours.price, (1234).toString(16).toUpperCase());
  assert.equal(text('label'), 'HÉLLO');
  assert.equal(text('precise_at'), '2024-02-29 13:14:15.123000');
  assert.deepEqual(JSON.parse(text('boxedDoc')), { boxed: 'inside' });
  assert.equal(text('addressCity'), 'Zürich');
  assert.equal(ours.notes, null);
});

test('typeorm-column-types: empties, NULLs and dates given as text, through enqueueMany, hold the bytes manager.save writes', async () => {
  const spec = getMessageTableSpec(EveryTypeJob, dataSource);
  const jobs = dataSource.getRepository(EveryTypeJob).extend(messageRepositoryMethods);
  const variant = (): MessagePayload<EveryTypeJob> => ({
    ...payload(),
    boxedDoc: null,
    notes: null,
    tags: [],
    perms: [],
    simpleJson: { a: [], b: '' },
    label: '',
    // Text for dates: TypeORM parses it into a Date (to the millisecond), and so do we.
    at: '2024-03-01 00:00:01' as unknown as Date,
    preciseAt: '2024-03-01 00:00:01.654321' as unknown as Date,
    day: new Date(2024, 2, 1, 23, 59) as unknown as string,
    address: { city: '', zip: null },
  });
  const [id] = await jobs.enqueueMany([{ payload: variant(), priority: 3 }]);
  const twinId = '4343';
  await dataSource.manager.save(EveryTypeTwin, { id: twinId, ...variant() });
  const columns = spec.payload.map((c) => c.name);
  const ours = await bytesOf(`\`${spec.keyspace}\`.\`${spec.table}\``, id!, columns);
  const theirs = await bytesOf(twinQualified, twinId, columns);
  for (const c of columns) assert.equal(ours[c], theirs[c], `column ${c}: enqueueMany wrote what manager.save wrote`);
  assert.equal(ours.boxedDoc, null, 'a transformer left null alone: NULL, not JSON null');
  assert.equal(ours.tags, '', 'an empty simple-array is the empty string');
  assert.equal(Buffer.from(String(ours.precise_at), 'hex').toString(), '2024-03-01 00:00:01.654000');
  assert.equal(Buffer.from(String(ours.day), 'hex').toString(), '2024-03-01');
});

test('typeorm-column-types: what the subscriber hands the handler equals manager.findOneBy, for every column type', async () => {
  const jobs = dataSource.getRepository(EveryTypeJob).extend(messageRepositoryMethods);
  const id = await jobs.enqueue(payload());
  let handed: Delivered<EveryTypeJob> | undefined;
  // Resolving acks every message, the other tests' ones too.
  const worker = subscribe(EveryTypeJob, async (job) => {
    if (job.id === id) handed = job;
  }, { dataSource, address: vitess.grpcAddr, maxInFlight: 10 });
  let streamed: Delivered<EveryTypeJob>;
  try {
    streamed = await waitUntil(() => handed, 30_000, 'the handler to get the message');
  } finally {
    await worker.close();
  }
  const found = await waitUntil(() => dataSource.manager.findOneBy(EveryTypeJob, { id }), 5_000, 'findOneBy');
  const notStreamed = new Set(['priority', 'epoch', 'timeNext', 'timeAcked', 'failureReason', 'enqueuedAt', 'failedAt']);
  const compared: string[] = [];
  for (const column of dataSource.getMetadata(EveryTypeJob).columns) {
    if (notStreamed.has(column.propertyName)) continue;
    compared.push(column.propertyPath);
    assert.deepStrictEqual(column.getEntityValue(streamed), column.getEntityValue(found), `${column.propertyPath} as TypeORM hydrates it`);
  }
  assert.equal(compared.length, 26);
  assert.deepStrictEqual(streamed.address, found.address, 'the embedded object, of its class');
  assert.ok(streamed.address instanceof Address);
  // The values read back are the ones given (transformers applied both ways).
  assert.equal(streamed.flag, true);
  assert.deepEqual(streamed.perms, ['read', 'admin']);
  assert.equal(streamed.price, 12.34);
  assert.equal(streamed.label, 'héllo');
  assert.equal(streamed.boxedDoc, 'inside');
  assert.deepEqual(streamed.simpleJson, { a: [1, 2], b: 'ß' });
});

test('typeorm-column-types: payloads that manager.save would mangle or splice into SQL are refused before any SQL, naming each property', async () => {
  const jobs = dataSource.getRepository(EveryTypeJob).extend(messageRepositoryMethods);
  const bad = {
    ...payload(),
    plainFlag: 'yes', // the driver would store 0
    count: () => '1; drop table x', // TypeORM splices a function's result into the SQL
    address: { city: 'Oslo', zip: 1, street: 'nope' },
    unknown: 1,
  } as unknown as MessagePayload<EveryTypeJob>;
  const err = await jobs.enqueue(bad).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof PayloadValidationError, String(err));
  assert.deepEqual(err.problems.map((p) => p.property).sort(), ['address.street', 'count', 'plainFlag', 'unknown']);
  // Wrong types after conversion are still core's to refuse (a set given a number stays a number).
  await assert.rejects(jobs.enqueue({ ...payload(), perms: 5 as unknown as string[] }), (e: unknown) => e instanceof PayloadValidationError && /perms: must be a string/.test(e.message));
  // class-validator runs on the caller's values (flag: true passes IsBoolean above; converted it would be 1).
  await assert.rejects(jobs.enqueue({ ...payload(), size: 'huge' as 'small' }), (e: unknown) => e instanceof PayloadValidationError && /size: size must be one of/.test(e.message));
  // Embedded properties are optional as a whole only when their columns allow it.
  await assert.rejects(jobs.enqueue({ ...payload(), address: { zip: 1 } as Address }), (e: unknown) => e instanceof PayloadValidationError && /address\.city: is required/.test(e.message));
});
