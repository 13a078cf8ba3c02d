/**
 * The TypeORM face of the producer on the real 2-shard Vitess: a queue handle
 * built once and used through `with(manager)` inside transactions (and the
 * repository extension through `manager.withRepository`, the lower layer), the
 * same operations on a bare EntityManager or QueryRunner, class-validator
 * rules, and typed errors for entities that are not message tables of the
 * DataSource.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IsOptional, MaxLength, Min } from 'class-validator';
import { Column, Entity, PrimaryColumn, type DataSource } from 'typeorm';
import { InvalidOptionError, NotAMessageTableError, PayloadValidationError, UnknownEntityError } from '../../src/core/errors';
import type { MessageTableSpec } from '../../src/core/spec';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { fromEntityManager } from '../../src/typeorm/entity-manager-executor';
import { MessageTable } from '../../src/typeorm/message-table';
import { getMessageTableSpec } from '../../src/typeorm/registry';
import { messageQueue } from '../../src/typeorm/queue-handle';
import { messageOperations, messageRepository, messageRepositoryMethods } from '../../src/typeorm/repository';
import { VitessMessage } from '../../src/typeorm/vitess-message';
import { enqueue } from '../../src/core/operations';
import { TableStream } from '../helpers/stream-table';
import { countRows, typeormDataSource } from '../helpers/producer-harness';
import { closePool, uniqueName, vitess, runSchemaSql } from '../helpers/vitess';

const jobTable = uniqueName('pt_job');

@MessageTable({ name: jobTable, keyspace: vitess.sharded, ackWait: '1s', pollerInterval: '500ms', minBackoff: '500ms', batchSize: 100 })
class TypeormJob extends VitessMessage {
  @Column('json', { nullable: true })
  body!: unknown;

  @IsOptional()
  @MaxLength(5)
  @Column('varchar', { length: 8, nullable: true })
  note!: string | null;

  @Min(0)
  @Column('int', { default: 0 })
  attempts!: number;
}

@MessageTable({ name: uniqueName('pt_stray'), keyspace: vitess.sharded })
class NotInDataSource extends VitessMessage {
  @Column('json', { nullable: true })
  body!: unknown;
}

@Entity({ name: uniqueName('pt_plain'), database: vitess.sharded })
class PlainEntity {
  @PrimaryColumn('bigint')
  id!: string;
}

let ds: DataSource;
let spec: MessageTableSpec;
let qualified: string;

before(async () => {
  ds = await typeormDataSource([TypeormJob, PlainEntity]);
  spec = getMessageTableSpec(TypeormJob, ds);
  qualified = `\`${spec.keyspace}\`.\`${spec.table}\``;
  await runSchemaSql((sql) => ds.query(sql), buildSchemaSql(spec));
});

after(async () => {
  for (const sql of buildDropSchemaSql(spec)) await ds.query(sql).catch(() => undefined);
  await ds.destroy();
  await closePool();
});

test('producer-typeorm: a queue handle built once joins the transaction through with(manager) (throw → no row; commit → delivered once); so does a repository through withRepository', async () => {
  const jobs = messageQueue(TypeormJob, { dataSource: ds });
  const stream = await TableStream.open(spec.keyspace!, spec.table);
  try {
    const marker = `rb-${Date.now()}`;
    await assert.rejects(ds.transaction(async (m) => {
      await jobs.with(m).enqueue({ body: { marker }, note: 'a', attempts: 0 });
      throw new Error('rolled back');
    }), /rolled back/);
    // A handle bound to the outer manager would have committed on its own.
    assert.equal(await countRows(qualified, "json_extract(body, '$.marker') = ?", [marker]), 0, 'no row after the rollback');

    const [first, control] = await ds.transaction(async (m) => {
      const tx = jobs.with(m);
      return [await tx.enqueue({ body: { n: 1 }, note: 'b', attempts: 1 }), await tx.enqueue({ body: { n: 2 }, note: null, attempts: 0 })];
    });
    assert.deepEqual([first!.inserted, control!.inserted], [true, true]);
    const id = first!.id;
    await stream.waitFor((s) => s.counts().has(id), 10_000, 'the committed message');
    assert.equal(await jobs.ack(id), 1);
    await stream.waitFor((s) => (s.counts().get(control!.id) ?? 0) >= 2, 15_000, 'the control back');
    assert.equal(stream.counts().get(id), 1, 'delivered once');
    const entity = await ds.getRepository(TypeormJob).findOneByOrFail({ id });
    assert.equal(entity.note, 'b');
    assert.notEqual(entity.timeAcked, null);
    assert.equal(await jobs.ack(control!.id), 1);

    // The repository extension, the layer under the handle, joins a transaction the same way.
    const repo = ds.getRepository(TypeormJob).extend(messageRepositoryMethods);
    const repoMarker = `repo-${Date.now()}`;
    await assert.rejects(ds.transaction(async (m) => {
      await m.withRepository(repo).enqueue({ body: { marker: repoMarker }, note: null, attempts: 0 }, { deliverAt: Date.now() + 3_600_000 });
      throw new Error('rolled back');
    }), /rolled back/);
    assert.equal(await countRows(qualified, "json_extract(body, '$.marker') = ?", [repoMarker]), 0, 'no row after the rollback (repository)');
    const kept = await ds.transaction((m) => m.withRepository(repo).enqueue({ body: { marker: repoMarker }, note: null, attempts: 0 }, { deliverAt: Date.now() + 3_600_000 }));
    assert.equal(await countRows(qualified, 'id = ?', [kept]), 1, 'the committed row (repository)');
    assert.equal(await repo.ack(kept), 1);
  } finally {
    await stream.close();
  }
});

test('producer-typeorm: the operations on a bare EntityManager, a typed repository and a QueryRunner', async () => {
  const ops = messageOperations(ds.manager, TypeormJob);
  const ids = await ops.enqueueMany([
    { payload: { body: 1, note: null, attempts: 0 }, deliverAt: Date.now() + 3_600_000 },
    { payload: { body: 2, note: null, attempts: 0 }, deliverAt: Date.now() + 3_600_000, priority: 1 },
  ]);
  assert.equal(await ops.fail(ids[0]!, { reason: 'no mailbox' }), 1);
  const repo = messageRepository(ds, TypeormJob);
  const page = await repo.listFailed();
  assert.deepEqual(page.messages.map((m) => [m.id, m.reason]), [[ids[0], 'no mailbox']]);
  assert.equal(await repo.retry(ids[0]!), 1);
  assert.deepEqual((await repo.getMessages(ids)).map((s) => s.state), ['pending', 'pending']);

  // A QueryRunner's transaction: rolled back leaves nothing; committed (the
  // control, without which "nothing" could mean the INSERT went nowhere) leaves
  // the row, which only then becomes visible outside.
  for (const outcome of ['rollback', 'commit'] as const) {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const executor = fromEntityManager(runner);
      const id = await enqueue(executor, spec, { body: outcome, note: null, attempts: 0 });
      assert.equal(await countRows(qualified, 'id = ?', [id]), 0, `${outcome}: not visible outside before it`);
      assert.equal(Number((await executor.query(`select count(*) as n from ${qualified} where id = ?`, [id])).rows[0]!.n), 1, `${outcome}: visible inside the transaction`);
      if (outcome === 'rollback') await runner.rollbackTransaction();
      else await runner.commitTransaction();
      assert.equal(await countRows(qualified, 'id = ?', [id]), outcome === 'commit' ? 1 : 0, `${outcome}: rows after it`);
      if (outcome === 'commit') assert.equal(await ops.ack(id), 1);
    } finally {
      await runner.release();
    }
  }
  assert.equal(await ops.ack(ids), 2);
});

test('producer-typeorm: class-validator rules on the entity are checked before the INSERT', async () => {
  const jobs = messageQueue(TypeormJob, { dataSource: ds });
  const err = await jobs.enqueue({ body: {}, note: 'toolong', attempts: -1 }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof PayloadValidationError, String(err));
  const byProperty = Object.fromEntries(err.problems.map((p) => [p.property, p.constraints.join(' ')]));
  assert.match(byProperty.note ?? '', /shorter than or equal to 5/);
  assert.match(byProperty.attempts ?? '', /not be less than 0/);
  // validate: false skips the rules (the column still fits the note).
  const { id } = await jobs.enqueue({ body: {}, note: 'sevenc', attempts: 0 }, { validate: false, deliverAt: Date.now() + 3_600_000 });
  assert.equal(await jobs.ack(id), 1);
  assert.equal(await countRows(qualified, "note = 'toolong'"), 0, 'nothing written');
});

test('producer-typeorm: an entity that is not a message table of this DataSource is a typed error, and nothing is written', async () => {
  const before = await countRows(qualified);
  assert.throws(() => messageQueue(NotInDataSource, { dataSource: ds }), UnknownEntityError);
  assert.throws(() => messageQueue(PlainEntity, { dataSource: ds }), NotAMessageTableError);
  assert.throws(() => messageOperations(ds.manager, NotInDataSource), UnknownEntityError);
  assert.throws(() => messageOperations(ds.manager, PlainEntity), NotAMessageTableError);
  assert.throws(() => messageOperations(ds.manager, 'TypeormJob' as unknown as typeof TypeormJob), InvalidOptionError);
  assert.throws(() => messageRepository(ds, PlainEntity), NotAMessageTableError);
  const plainRepo = ds.getRepository(PlainEntity).extend(messageRepositoryMethods);
  await assert.rejects(async () => plainRepo.enqueue({}), NotAMessageTableError);
  const jobs = messageQueue(TypeormJob, { dataSource: ds });
  await assert.rejects(jobs.enqueue({ body: {}, note: null, attempts: 0, extra: 1 } as never), PayloadValidationError);
  await assert.rejects(jobs.enqueue({ body: {}, note: null, attempts: '1; drop table x' as unknown as number }), PayloadValidationError);
  // A misspelt option is refused through the handle, the repository and the bare operations alike (it would queue the message due now).
  const misspelt = (e: unknown) => e instanceof InvalidOptionError && e.option === 'dealy' && /known: id, deliverAt, delay/.test(e.message);
  await assert.rejects(jobs.enqueue({ body: {}, note: null, attempts: 0 }, { dealy: '3s' } as never), misspelt);
  await assert.rejects(ds.getRepository(TypeormJob).extend(messageRepositoryMethods).enqueue({ body: {}, note: null, attempts: 0 }, { dealy: '3s' } as never), misspelt);
  await assert.rejects(messageOperations(ds.manager, TypeormJob).enqueueMany([{ payload: { body: {}, note: null, attempts: 0 }, dealy: '3s' } as never]), (e: unknown) => e instanceof InvalidOptionError && e.option === 'dealy');
  await assert.rejects(jobs.nack('1', { dealy: '3s' } as never), (e: unknown) => e instanceof InvalidOptionError && e.option === 'dealy');
  assert.equal(await countRows(qualified), before);
});
