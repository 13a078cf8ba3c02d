/**
 * Our DDL is the table TypeORM itself would create. For each entity behind a
 * golden file, TypeORM's own CREATE TABLE (its MySQL query runner, captured
 * without running its bookkeeping inserts) makes a twin on the unsharded
 * keyspace, next to ours: `SHOW CREATE TABLE` must agree line for line, except
 * the one known difference (TypeORM cannot say `DESC` in `poller_idx`). Then the
 * options TypeORM used to lose only in our DDL (comments, generated columns,
 * ON UPDATE, FULLTEXT) work on the sharded keyspace: a comment reads back
 * unchanged, enqueue leaves generated columns to MySQL, the stream carries them.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DataSource, Table } from 'typeorm';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { PayloadValidationError } from '../../src/core/errors';
import { enqueue } from '../../src/core/operations';
import type { MessageTableSpec } from '../../src/core/spec';
import { buildSchemaSql } from '../../src/migration/ddl';
import { getMessageTableSpec } from '../../src/typeorm';
import { EmailJob } from '../../examples/entities/email-job';
import { OrderEvent } from '../../examples/entities/order-event';
import { AWKWARD_COMMENT, ColumnOptions } from '../fixtures/column-options';
import { OddPayload } from '../fixtures/odd-payload';
import { SpatialPayload } from '../fixtures/spatial-payload';
import { TableStream } from '../helpers/stream-table';
import { closePool, dropTable, uniqueName, vitess, vtgatePool, runSchemaSql } from '../helpers/vitess';

const entities = [EmailJob, OrderEvent, OddPayload, ColumnOptions, SpatialPayload];
const created: Array<[string, string]> = [];
let dataSource: DataSource;

before(async () => {
  const url = new URL(vitess.mysqlUrl);
  url.pathname = `/${vitess.unsharded}`;
  dataSource = new DataSource({ type: 'mysql', url: url.toString(), entities, supportBigNumbers: true, bigNumberStrings: true });
  await dataSource.initialize();
});

after(async () => {
  for (const [keyspace, table] of created) await dropTable(keyspace, table);
  await dataSource?.destroy();
  await closePool();
});

/** The CREATE TABLE TypeORM runs for `entity`, under a table name of our own on the unsharded keyspace. */
async function createTypeormTwin(entity: Function): Promise<string> {
  const name = uniqueName('twin');
  const table = Table.create(dataSource.getMetadata(entity), dataSource.driver);
  table.name = `${vitess.unsharded}.${name}`;
  table.database = vitess.unsharded;
  const runner = dataSource.createQueryRunner();
  try {
    // Memory mode: collect the statements (a generated column adds an INSERT into
    // TypeORM's typeorm_metadata table, which is not the table's shape).
    runner.enableSqlMemory();
    await runner.createTable(table, false, true, true);
    const statements = runner.getMemorySql().upQueries.map((q) => q.query);
    runner.disableSqlMemory();
    const creates = statements.filter((s) => s.startsWith('CREATE TABLE'));
    assert.equal(creates.length, 1, statements.join('\n'));
    // On the unsharded keyspace only (the runner's database, so TypeORM leaves it out).
    assert.ok(creates[0]!.startsWith(`CREATE TABLE \`${name}\` (`), creates[0]);
    created.push([vitess.unsharded, name]);
    await runner.query(creates[0]!);
  } finally {
    await runner.release();
  }
  return name;
}

/** Our CREATE TABLE for `entity` on the unsharded keyspace (no vindex there). */
async function createOurs(entity: Function, keyspace = vitess.unsharded): Promise<MessageTableSpec> {
  const { vindex, ...rest } = getMessageTableSpec(entity);
  const spec: MessageTableSpec = { ...rest, ...(keyspace === vitess.sharded && vindex ? { vindex } : {}), table: uniqueName('ours'), keyspace };
  created.push([keyspace, spec.table]);
  await runSchemaSql((sql) => vtgatePool().query(sql), buildSchemaSql(spec));
  return spec;
}

async function showCreate(keyspace: string, table: string): Promise<{ columns: string[]; keys: string[]; options: string }> {
  const [rows] = await vtgatePool().query(`show create table \`${keyspace}\`.\`${table}\``);
  const lines = (rows as Array<Record<string, string>>)[0]!['Create Table']!.split('\n');
  const body = lines.slice(1, -1).map((l) => l.trim().replace(/,$/, ''));
  return {
    columns: body.filter((l) => l.startsWith('`')),
    keys: body.filter((l) => !l.startsWith('`')).sort(),
    options: lines.at(-1)!,
  };
}

for (const entity of entities) {
  test(`${entity.name}: SHOW CREATE TABLE of our table equals TypeORM's twin (but for DESC in poller_idx)`, async () => {
    const twin = await createTypeormTwin(entity);
    const ours = await createOurs(entity);
    const theirs = await showCreate(vitess.unsharded, twin);
    const mine = await showCreate(vitess.unsharded, ours.table);
    assert.deepEqual(mine.columns, theirs.columns);
    const poller = (keys: string[]) => keys.filter((k) => k.startsWith('KEY `poller_idx`'));
    assert.deepEqual(poller(theirs.keys), ['KEY `poller_idx` (`time_acked`,`priority`,`time_next`)']);
    assert.deepEqual(poller(mine.keys), ['KEY `poller_idx` (`time_acked`,`priority`,`time_next` DESC)']);
    const others = (keys: string[]) => keys.filter((k) => !k.startsWith('KEY `poller_idx`'));
    assert.deepEqual(others(mine.keys), others(theirs.keys));
    assert.equal(mine.options, theirs.options);
  });
}

test('ColumnOptions on the sharded keyspace: the comment reads back unchanged, generated columns are computed and streamed', async () => {
  const spec = await createOurs(ColumnOptions, vitess.sharded);
  const q = `\`${spec.keyspace}\`.\`${spec.table}\``;
  const [columns] = await vtgatePool().query(`show full columns from ${q}`);
  const comments = Object.fromEntries((columns as Array<{ Field: string; Comment: string }>).map((c) => [c.Field, c.Comment]));
  assert.equal(comments.title, AWKWARD_COMMENT);
  assert.equal(comments.title_upper, 'stored');

  const stream = await TableStream.open(spec.keyspace!, spec.table);
  try {
    const executor = fromMysql2(vtgatePool());
    await assert.rejects(
      enqueue(executor, spec, { title: 'x', body: 'y', code: 'c0', quantityDoubled: 4 }),
      (e: unknown) => e instanceof PayloadValidationError && e.problems.some((p) => p.property === 'quantityDoubled' && /generated/.test(p.constraints.join())),
    );
    const id = await enqueue(executor, spec, { title: 'héllo wörld', body: 'some text', quantity: 21, code: 'c1' });
    await stream.waitFor((s) => s.counts().has(id), 15_000, 'the message with generated columns');
    const row = stream.deliveries.find((d) => String(d.row.id) === id)!.row;
    assert.equal(row.quantity_doubled, 42);
    assert.equal(row.title_upper, 'HÉLLO WÖRLD');
    assert.equal(row.code, 'c1');
    assert.ok(row.updated_at instanceof Date);
    const [hits] = await vtgatePool().query(`select id from ${q} where match(body) against (? in natural language mode)`, ['text']);
    assert.deepEqual((hits as Array<{ id: string }>).map((h) => String(h.id)), [id], 'the FULLTEXT index answers');
  } finally {
    await stream.close();
  }
});
