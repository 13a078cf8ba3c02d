/**
 * Ambient transactions of `@nestjs-cls/transactional` (3.3.0, TypeORM adapter
 * 1.4.1): `VitessMessagesModule` finds the application's TransactionHost of
 * its DataSource by itself, so inside `@Transactional()` (or
 * `txHost.withTransaction`) the injected queue enqueues in that transaction
 * with no manager passed: the message exists iff the transaction commits,
 * together with a business row written through `txHost.tx`. The DataSource
 * comes from the default token (`DataSource`, what `@nestjs/typeorm`
 * registers), here provided by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConsoleLogger, Global, Inject, Injectable, Module, Scope, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional, Transactional, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Column, DataSource } from 'typeorm';
import { InvalidOptionError } from '../../src/core/errors';
import { quoteTable } from '../../src/core/identifiers';
import { InjectQueue, MessageHandler, MessageQueues, VitessMessagesModule, type EntityMessageQueue } from '../../src/nestjs';
import { messageQueue } from '../../src/typeorm/queue-handle';
import { MessageTable } from '../../src/typeorm/message-table';
import { getMessageTableSpec } from '../../src/typeorm/registry';
import { VitessMessage } from '../../src/typeorm/vitess-message';
import { assertCommitsTogether } from '../helpers/ambient-transaction';
import { countRows, createFromSpec, typeormDataSource, type TestTable } from '../helpers/producer-harness';
import { closePool, uniqueName, vitess, vtgatePool } from '../helpers/vitess';

after(closePool);

describe('@nestjs-cls/transactional: @Transactional() with the TypeORM adapter', () => {
  const business = quoteTable(uniqueName('cls_order'), vitess.unsharded);

  @MessageTable({ name: uniqueName('cls_job'), keyspace: vitess.sharded, ackWait: '10s' })
  class ClsJob extends VitessMessage {
    @Column('varchar', { length: 64 }) label!: string;
  }

  @Injectable()
  class Orders {
    constructor(
      @InjectQueue(ClsJob) readonly jobs: EntityMessageQueue<ClsJob>,
      @Inject(TransactionHost) readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    ) {}

    @Transactional()
    async place(label: string, fail: boolean): Promise<string> {
      await this.txHost.tx.query(`insert into ${business} (id, label) values (?, ?)`, [Date.now() * 1000 + Math.floor(Math.random() * 1000), label]);
      const { id } = await this.jobs.enqueue({ label });
      if (fail) throw new Error(`declined ${id}`);
      return id;
    }
  }

  // A handler on a request-scoped class has no one instance to run on: reported, not subscribed.
  @Injectable({ scope: Scope.REQUEST })
  class PerRequest {
    @MessageHandler(ClsJob)
    handle(): void {}
  }

  class Captured extends ConsoleLogger {
    readonly warnings: string[] = [];
    override warn(message: unknown): void {
      this.warnings.push(String(message));
    }
  }
  const logger = new Captured();
  logger.setLogLevels(['error', 'warn']);

  let ds: DataSource;
  let t: TestTable;
  let app: INestApplicationContext;

  before(async () => {
    ds = await typeormDataSource([ClsJob]);
    await vtgatePool().query(`create table ${business} (id bigint not null, label varchar(64) not null, primary key (id))`);
    t = await createFromSpec(getMessageTableSpec(ClsJob, ds));
    @Global()
    @Module({ providers: [{ provide: DataSource, useValue: ds }], exports: [DataSource] })
    class DbModule {}
    @Module({
      imports: [
        DbModule,
        ClsModule.forRoot({
          global: true,
          plugins: [new ClsPluginTransactional({ imports: [DbModule], adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: DataSource }) })],
        }),
        VitessMessagesModule.forRoot({ queues: [ClsJob] }),
      ],
      providers: [Orders, PerRequest],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger });
  });
  after(async () => {
    await app?.close();
    await vtgatePool().query(`drop table if exists ${business}`);
    await t?.drop();
    await ds?.destroy();
  });

  test('the injected queue joins @Transactional(): committed with the business row, or neither', async () => {
    const orders = app.get(Orders);
    assert.equal(app.get(MessageQueues).dataSource, ds);
    await assertCommitsTogether((label, decline) => orders.place(label, decline), t.qualified, business);
  });

  test('txHost.withTransaction: the handle\'s manager is the transaction\'s inside, dataSource.manager outside', async () => {
    const { jobs, txHost } = app.get(Orders);
    let lostId = '';
    await assert.rejects(txHost.withTransaction(async () => {
      assert.equal(jobs.manager, txHost.tx);
      lostId = (await jobs.enqueue({ label: 'lost' })).id;
      throw new Error('roll back');
    }), /roll back/);
    assert.ok(lostId);
    assert.equal(await countRows(t.qualified, 'id = ?', [lostId]), 0);
    assert.equal(jobs.manager, ds.manager);
    // with(manager) pins a manager: a statement on it ignores the ambient transaction.
    const pinnedId = await txHost.withTransaction(async () => (await jobs.with(ds.manager).enqueue({ label: 'pinned' })).id).then(async (id) => id);
    assert.equal(await countRows(t.qualified, 'id = ?', [pinnedId]), 1);
  });

  test('a @MessageHandler of a request-scoped class is reported and not subscribed', () => {
    assert.deepEqual(app.get(MessageQueues).subscriptions, []);
    assert.ok(logger.warnings.some((w) => w.includes('PerRequest.handle') && w.includes('not a singleton')), logger.warnings.join('\n'));
  });

  test('ambientManager: not a function, or a manager of another DataSource → InvalidOptionError', async () => {
    assert.throws(() => messageQueue(ClsJob, { dataSource: ds, ambientManager: 5 as never }), InvalidOptionError);
    const other = await typeormDataSource([ClsJob]);
    try {
      const jobs = messageQueue(ClsJob, { dataSource: ds, ambientManager: () => other.manager });
      await assert.rejects(jobs.enqueue({ label: 'x' }), (err: unknown) => err instanceof InvalidOptionError && /ambientManager/.test(err.message));
    } finally {
      await other.destroy();
    }
    assert.throws(() => VitessMessagesModule.forRoot({ ambientManager: 'yes' as never }), InvalidOptionError);
    assert.throws(() => VitessMessagesModule.forRoot({ adress: 'x' } as never), InvalidOptionError);
  });
});
