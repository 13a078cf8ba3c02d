/**
 * The NestJS example: `POST /orders` writes an order and enqueues its
 * confirmation e-mail in one transaction (`@Transactional()` of
 * `@nestjs-cls/transactional`; the injected queue joins it with no manager
 * passed by hand), and a `@MessageHandler` sends the e-mail and marks the
 * order. `orderApp(config)` builds the entities and the module for the given
 * table names, so each test (and each run of `npm run example:nest`) has its own.
 */
import { randomBytes } from 'node:crypto';
import { Body, Controller, HttpException, HttpStatus, Inject, Injectable, Module, Post, type Type } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional, Transactional, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { InjectQueue, MessageHandler, VitessMessagesModule, type Delivered, type EntityMessageQueue } from '../../src/nestjs';
import { MessageTable, VitessMessage } from '../../src/typeorm';

/** Where the e-mails go: the example logs them; tests count and hold them. */
export interface Mailer {
  send(to: string, orderId: string): Promise<void>;
}
export const MAILER = Symbol('Mailer');

export interface OrderAppConfig {
  /** vtgate's MySQL URL (`mysql://root@127.0.0.1:15306/`). */
  readonly mysqlUrl: string;
  /** vtgate's gRPC host:port, where subscribers stream from. */
  readonly grpcAddr: string;
  /** The sharded keyspace of the message table. */
  readonly keyspace: string;
  /** The unsharded keyspace: the DataSource's `database`, and the orders' table. */
  readonly unsharded: string;
  readonly orderTable: string;
  readonly emailTable: string;
  readonly mailer?: Mailer;
}

/** A fresh 63-bit id as a decimal string (64-bit ids never pass through a JS number). */
function newId(): string {
  return ((randomBytes(8).readBigUInt64BE() >> 1n) + 1n).toString();
}

export function orderApp(config: OrderAppConfig) {
  @Entity({ name: config.orderTable, database: config.unsharded })
  class Order {
    @PrimaryColumn('bigint') id!: string;
    @Column('varchar', { length: 320 }) email!: string;
    /** `placed`, then `emailed` once the confirmation went out. */
    @Column('varchar', { length: 16 }) status!: string;
  }

  @MessageTable({ name: config.emailTable, keyspace: config.keyspace, ackWait: '10s', pollerInterval: '1s', minBackoff: '1s' })
  class OrderEmail extends VitessMessage {
    @Column('bigint') orderId!: string;
    @Column('varchar', { length: 320 }) recipient!: string;
  }

  @Injectable()
  class OrdersService {
    constructor(
      @Inject(TransactionHost) private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
      @InjectQueue(OrderEmail) private readonly emails: EntityMessageQueue<OrderEmail>,
    ) {}

    /** The order and its e-mail commit together; `declined` throws after both were written, and neither remains. */
    @Transactional()
    async place(email: string, declined: boolean): Promise<{ orderId: string; messageId: string }> {
      const orderId = newId();
      await this.txHost.tx.insert(Order, { id: orderId, email, status: 'placed' });
      const { id: messageId } = await this.emails.enqueue({ orderId, recipient: email }, { key: `order-${orderId}:confirmation` });
      if (declined) throw new HttpException('payment declined', HttpStatus.PAYMENT_REQUIRED);
      return { orderId, messageId };
    }
  }

  @Controller('orders')
  class OrdersController {
    constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

    @Post()
    place(@Body() body: { email?: unknown; declined?: unknown }) {
      if (typeof body?.email !== 'string') throw new HttpException('email is required', HttpStatus.BAD_REQUEST);
      return this.orders.place(body.email, body.declined === true);
    }
  }

  @Injectable()
  class OrderEmailHandler {
    constructor(@Inject(MAILER) private readonly mailer: Mailer, @InjectDataSource() private readonly dataSource: DataSource) {}

    /** Sends the confirmation and marks the order; acked when it resolves, retried when it throws. */
    @MessageHandler(OrderEmail, { concurrency: 4 })
    async send(job: Delivered<OrderEmail>): Promise<void> {
      await this.mailer.send(job.recipient, job.orderId);
      await this.dataSource.manager.update(Order, { id: job.orderId }, { status: 'emailed' });
    }
  }

  const url = new URL(config.mysqlUrl);
  const consoleMailer: Mailer = { send: async (to, orderId) => console.log(`e-mail to ${to}: order ${orderId} confirmed`) };

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'mysql',
        host: url.hostname,
        port: Number(url.port || 3306),
        username: decodeURIComponent(url.username || 'root'),
        password: decodeURIComponent(url.password),
        database: config.unsharded,
        supportBigNumbers: true,
        bigNumberStrings: true,
        entities: [Order, OrderEmail],
        synchronize: false,
        logging: ['error'],
      }),
      ClsModule.forRoot({
        global: true,
        plugins: [new ClsPluginTransactional({ imports: [TypeOrmModule], adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: DataSource }) })],
      }),
      VitessMessagesModule.forRoot({ address: config.grpcAddr, queues: [OrderEmail] }),
    ],
    controllers: [OrdersController],
    providers: [OrdersService, OrderEmailHandler, { provide: MAILER, useValue: config.mailer ?? consoleMailer }],
  })
  class AppModule {}

  return { AppModule: AppModule as Type<unknown>, Order, OrderEmail };
}
