/**
 * Compile-time tests of `vitess-messages/nestjs`: `@MessageHandler` methods
 * take the entity as delivered and the context, its options are the
 * subscriber's; the module's options are checked. Checked by every
 * `tsc -p tsconfig.json`; nothing here runs.
 */
import { Column } from 'typeorm';
import { InjectQueue, MessageHandler, VitessMessagesModule, type Delivered, type EntityMessageQueue, type MessageContext } from '../../src/nestjs';
import { MessageTable, VitessMessage } from '../../src/typeorm';

@MessageTable({ name: 'nest_typed_job', keyspace: 'commerce' })
class NestTypedJob extends VitessMessage {
  @Column({ type: 'varchar', length: 320 }) recipient!: string;
}

export class TypedHandlers {
  constructor(@InjectQueue(NestTypedJob) readonly jobs: EntityMessageQueue<NestTypedJob>) {}

  @MessageHandler(NestTypedJob, { concurrency: 2, maxAttempts: 5, handlerTimeout: '30s' })
  async send(job: Delivered<NestTypedJob>, ctx: MessageContext): Promise<void> {
    const to: string = job.recipient;
    void [to, ctx.attempt];
    // @ts-expect-error payload typed by the entity
    await this.jobs.enqueue({ recipient: 42 });
  }

  @MessageHandler(NestTypedJob)
  noArguments(): void {}

  // @ts-expect-error the method must take the entity as delivered
  @MessageHandler(NestTypedJob)
  wrongMessage(job: { orderId: number }): void {
    void job;
  }

  // @ts-expect-error a misspelt subscriber option
  @MessageHandler(NestTypedJob, { concurency: 2 })
  misspelt(): void {}
}

export const modules = [
  VitessMessagesModule.forRoot({ address: 'vtgate:15991', queues: [NestTypedJob], closeTimeout: '10s' }),
  VitessMessagesModule.forRootAsync({ useFactory: () => ({ address: 'vtgate:15991' }), queues: [NestTypedJob] }),
  // @ts-expect-error a misspelt module option
  VitessMessagesModule.forRoot({ adress: 'vtgate:15991' }),
];
