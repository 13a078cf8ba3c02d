/**
 * Ambient transactions of `typeorm-transactional` (0.5.0, on TypeORM 1.1.1):
 * inside `@Transactional()` the queue handle — injected by
 * `VitessMessagesModule`, or built by hand with `messageQueue(Entity, {
 * dataSource })` — enqueues in that transaction with no manager passed: the
 * message exists iff the transaction commits, together with a business row
 * written through `dataSource.manager` in the same method. A subscriber's
 * acks stay out of such a transaction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Inject, Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { addTransactionalDataSource, initializeTransactionalContext, runInTransaction, StorageDriver, Transactional } from 'typeorm-transactional';
import { Column, type DataSource } from 'typeorm';
import { quoteTable } from '../../src/core/identifiers';
import { InjectQueue, VitessMessagesModule, type EntityMessageQueue } from '../../src/nestjs';
import { messageQueue } from '../../src/typeorm/queue-handle';
import { MessageTable } from '../../src/typeorm/message-table';
import { getMessageTableSpec } from '../../src/typeorm/registry';
import { VitessMessage } from '../../src/typeorm/vitess-message';
import { assertCommitsTogether } from '../helpers/ambient-transaction';
import { countRows, createFromSpec, typeormDataSource, type TestTable } from '../helpers/producer-harness';
import { closePool, uniqueName, vitess, vtgatePool, waitUntil } from '../helpers/vitess';

// Before any DataSource or repository: it patches TypeORM's prototypes.
initializeTransactionalContext({ storageDriver: StorageDriver.ASYNC_LOCAL_STORAGE });

after(closePool);

describe('typeorm-transactional: @Transactional() and runInTransaction', () => {
  const connectionName = uniqueName('tt');
  const business = quoteTable(uniqueName('tt_order'), vitess.unsharded);

  @MessageTable({ name: uniqueName('tt_job'), keyspace: vitess.sharded, ackWait: '10s' })
  class TtJob extends VitessMessage {
    @Column('varchar', { length: 64 }) label!: string;
  }

  @Injectable()
  class Orders {
    constructor(@InjectQueue(TtJob) private readonly jobs: EntityMessageQueue<TtJob>, @Inject('DS') private readonly ds: DataSource) {}

    @Transactional({ connectionName })
    async place(label: string, fail: boolean): Promise<string> {
      await this.ds.manager.query(`insert into ${business} (id, label) values (?, ?)`, [Date.now() * 1000 + Math.floor(Math.random() * 1000), label]);
      const { id } = await this.jobs.enqueue({ label });
      if (fail) throw new Error(`declined ${id}`);
      return id;
    }
  }

  let ds: DataSource;
  let t: TestTable;
  let app: INestApplicationContext;

  before(async () => {
    ds = await typeormDataSource([TtJob]);
    addTransactionalDataSource({ name: connectionName, dataSource: ds });
    await vtgatePool().query(`create table ${business} (id bigint not null, label varchar(64) not null, primary key (id))`);
    t = await createFromSpec(getMessageTableSpec(TtJob, ds));
    @Module({
      // forRootAsync: the options from a factory (here the DataSource itself; usually ConfigService).
      imports: [VitessMessagesModule.forRootAsync({ useFactory: async () => ({ dataSource: ds, address: vitess.grpcAddr }), queues: [TtJob] })],
      providers: [Orders, { provide: 'DS', useValue: ds }],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  });
  after(async () => {
    await app?.close();
    await vtgatePool().query(`drop table if exists ${business}`);
    await t?.drop();
    await ds?.destroy();
  });

  test('the injected queue joins @Transactional(): committed with the business row, or neither', async () => {
    const orders = app.get(Orders);
    await assertCommitsTogether((label, decline) => orders.place(label, decline), t.qualified, business);
  });

  test('a handle built by hand joins runInTransaction() the same way', async () => {
    const jobs = messageQueue(TtJob, { dataSource: ds });
    const kept = uniqueName('kept');
    const keptId = await runInTransaction(async () => (await jobs.enqueue({ label: kept })).id, { connectionName });
    let lostId = '';
    await assert.rejects(runInTransaction(async () => {
      lostId = (await jobs.enqueue({ label: 'lost' })).id;
      // Inside, the handle's manager is the transaction's (typeorm-transactional's patched dataSource.manager).
      assert.ok(jobs.manager.queryRunner?.isTransactionActive);
      throw new Error('roll back');
    }, { connectionName }), /roll back/);
    assert.equal(await countRows(t.qualified, 'id = ?', [keptId]), 1);
    assert.ok(lostId);
    assert.equal(await countRows(t.qualified, 'id = ?', [lostId]), 0);
    assert.equal(jobs.manager.queryRunner, undefined); // outside: autocommit
  });

  test("a subscriber's acks never join a transaction: ctx.ack() inside a handler's rolled-back runInTransaction stays", async () => {
    const jobs = messageQueue(TtJob, { dataSource: ds, address: vitess.grpcAddr });
    const { id } = await jobs.enqueue({ label: uniqueName('acked') });
    let handled = false;
    const worker = jobs.subscribe(async (job, ctx) => {
      if (job.id !== id) return;
      // typeorm-transactional replaces dataSource.query to join its transaction;
      // the ack batch (other messages' acks too) must not be written there.
      await runInTransaction(async () => {
        await ctx.ack();
        throw new Error('the handler\'s own work rolls back');
      }, { connectionName }).catch(() => undefined);
      handled = true;
    }, { autoExtend: false });
    try {
      await waitUntil(() => handled, 20_000, 'the handler');
      assert.equal((await jobs.getMessages(id))[0]?.state, 'acked');
    } finally {
      await worker.close({ timeout: '5s' });
    }
  });
});
