/**
 * The NestJS example app (examples/nest/order-app.ts) on a random port against
 * the real Vitess: `POST /orders` writes the order and enqueues its e-mail in
 * one `@Transactional()` (nestjs-cls) through the injected queue; the
 * `@MessageHandler` method receives it; a declined order (thrown inside the
 * transaction) leaves neither row nor message; `app.close()` drains — a
 * handler in flight when it starts finishes, and its message is acked, before
 * it resolves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { quoteTable } from '../../src/core/identifiers';
import { MessageQueues } from '../../src/nestjs';
import { getMessageTableSpec } from '../../src/typeorm/registry';
import { orderApp, type Mailer } from '../../examples/nest/order-app';
import { countRows, createFromSpec, type TestTable } from '../helpers/producer-harness';
import { closePool, uniqueName, vitess, vtgatePool, waitUntil } from '../helpers/vitess';

after(closePool);

describe('the NestJS example app', () => {
  const orderTable = uniqueName('nest_order');
  const orders = quoteTable(orderTable, vitess.unsharded);
  const sent: string[] = [];
  // A recipient whose e-mail is held until the test lets it go (to catch a handler in flight).
  const held = { started: false, release: () => {}, gate: Promise.resolve() };
  held.gate = new Promise<void>((resolve) => (held.release = resolve));
  const mailer: Mailer = {
    async send(to, orderId) {
      if (to === 'slow@example.com') {
        held.started = true;
        await held.gate;
      }
      sent.push(orderId);
    },
  };
  const { AppModule, OrderEmail } = orderApp({
    mysqlUrl: vitess.mysqlUrl, grpcAddr: vitess.grpcAddr, keyspace: vitess.sharded, unsharded: vitess.unsharded,
    orderTable, emailTable: uniqueName('nest_order_email'), mailer,
  });
  let messages: TestTable;
  let app: INestApplication;
  let base = '';

  before(async () => {
    await vtgatePool().query(`create table ${orders} (id bigint not null, email varchar(320) not null, status varchar(16) not null, primary key (id))`);
    messages = await createFromSpec(getMessageTableSpec(OrderEmail));
    app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  after(async () => {
    held.release();
    await app?.close();
    await vtgatePool().query(`drop table if exists ${orders}`);
    await messages?.drop();
  });

  const post = async (body: unknown) => {
    const res = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { orderId: string; messageId: string } };
  };
  const status = async (orderId: string) => {
    const [rows] = await vtgatePool().query(`select status from ${orders} where id = ?`, [orderId]);
    return (rows as Array<{ status: string }>)[0]?.status;
  };
  const acked = (messageId: string) => countRows(messages.qualified, 'id = ? and time_acked is not null', [messageId]);

  test('POST /orders: the order and its message commit together, and the @MessageHandler sends it', async () => {
    const res = await post({ email: 'ada@example.com' });
    assert.equal(res.status, 201);
    const { orderId, messageId } = res.body;
    assert.equal(await countRows(messages.qualified, 'id = ? and orderId = ? and recipient = ?', [messageId, orderId, 'ada@example.com']), 1);
    await waitUntil(async () => (await status(orderId)) === 'emailed', 20_000, 'the handler to mark the order');
    assert.ok(sent.includes(orderId));
    await waitUntil(async () => (await acked(messageId)) === 1, 20_000, 'the message acked');
  });

  test('a declined order (thrown inside the transaction) leaves neither the order nor its message', async () => {
    const res = await post({ email: 'declined@example.com', declined: true });
    assert.equal(res.status, 402);
    assert.equal(await countRows(orders, 'email = ?', ['declined@example.com']), 0);
    assert.equal(await countRows(messages.qualified, 'recipient = ?', ['declined@example.com']), 0);
  });

  test('app.close() drains: a handler in flight finishes and its message is acked before close resolves', async () => {
    const res = await post({ email: 'slow@example.com' });
    assert.equal(res.status, 201);
    const { orderId, messageId } = res.body;
    await waitUntil(() => held.started, 20_000, 'the handler to start');
    const queues = app.get(MessageQueues);
    assert.equal(queues.subscriptions.length, 1);
    const closing = app.close();
    // Shutdown has reached the module (its subscriptions are being closed) while the handler is held.
    await waitUntil(() => queues.subscriptions.length === 0, 10_000, 'shutdown to begin draining');
    assert.equal(await status(orderId), 'placed');
    held.release();
    await closing;
    assert.equal(await status(orderId), 'emailed');
    assert.equal(await acked(messageId), 1);
  });
});
