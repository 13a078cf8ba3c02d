/**
 * A NestJS bootstrap whose handlers cannot all subscribe: one
 * `@MessageHandler` on a table that exists, one on a table that does not. The
 * bootstrap rejects with the missing table's error, and no subscriber is left
 * streaming (Nest runs no destroy hook after a failed init, so a stream left
 * open would keep the process alive).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Column, type DataSource } from 'typeorm';
import { MessageHandler, MessageQueues, VitessMessagesModule } from '../../src/nestjs';
import { MessageTable } from '../../src/typeorm/message-table';
import { getMessageTableSpec } from '../../src/typeorm/registry';
import { VitessMessage } from '../../src/typeorm/vitess-message';
import { createFromSpec, typeormDataSource } from '../helpers/producer-harness';
import { closePool, uniqueName, vitess } from '../helpers/vitess';

after(closePool);

test('nestjs: one handler cannot subscribe → bootstrap rejects and every subscriber is closed', async (t) => {
  @MessageTable({ name: uniqueName('nest_ok'), keyspace: vitess.sharded, ackWait: '10s' })
  class OkJob extends VitessMessage {
    @Column('varchar', { length: 64 }) label!: string;
  }
  @MessageTable({ name: uniqueName('nest_missing'), keyspace: vitess.sharded, ackWait: '10s' })
  class MissingJob extends VitessMessage {
    @Column('varchar', { length: 64 }) label!: string;
  }

  const ds: DataSource = await typeormDataSource([OkJob, MissingJob]);
  t.after(() => ds.destroy());
  const ok = await createFromSpec(getMessageTableSpec(OkJob, ds)); // MissingJob's table is never created
  t.after(() => ok.drop());

  let queues: MessageQueues | undefined;
  @Injectable()
  class Handlers {
    constructor(@Inject(MessageQueues) q: MessageQueues) {
      queues = q;
    }
    @MessageHandler(OkJob)
    async ok(): Promise<void> {}
    @MessageHandler(MissingJob)
    async missing(): Promise<void> {}
  }
  @Module({
    imports: [VitessMessagesModule.forRoot({ dataSource: ds, address: vitess.grpcAddr, queues: [OkJob, MissingJob] })],
    providers: [Handlers],
  })
  class AppModule {}

  // Closes whatever is left, so a failure here does not hang the test process.
  t.after(() => Promise.all((queues?.subscriptions ?? []).map((s) => s.subscriber.close())));
  await assert.rejects(NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false }), /not found/i);
  const subs = queues?.subscriptions ?? [];
  assert.deepEqual(subs.map((s) => s.name), ['Handlers.ok', 'Handlers.missing']);
  for (const s of subs) assert.equal(s.subscriber.isRunning, false, `${s.name} is closed`);
});
