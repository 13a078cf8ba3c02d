/**
 * `npm run example:nest`: the example app (order-app.ts) on a free port, with
 * tables of its own (created here, dropped at the end). It places an order
 * over HTTP, then a declined one, waits for the confirmation e-mail, and
 * shuts down the way SIGTERM would (`app.close()`: handlers drain first).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import * as mysql from 'mysql2/promise';
import { quoteTable } from '../../src/core/identifiers';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { getMessageTableSpec } from '../../src/typeorm';
import { orderApp, type Mailer } from './order-app';

const mysqlUrl = process.env.VTGATE_MYSQL_URL ?? `mysql://root@127.0.0.1:${process.env.VTGATE_MYSQL_PORT ?? 27307}/`;
const grpcAddr = process.env.VTGATE_GRPC_ADDR ?? `127.0.0.1:${process.env.VTGATE_GRPC_PORT ?? 27991}`;
const keyspace = process.env.VITESS_SHARDED_KEYSPACE ?? 'commerce';
const unsharded = process.env.VITESS_UNSHARDED_KEYSPACE ?? 'meta';

async function main(): Promise<void> {
  const run = Date.now().toString(36);
  const sent = new Map<string, string>();
  const mailer: Mailer = {
    async send(to, orderId) {
      console.log(`e-mail to ${to}: order ${orderId} confirmed`);
      sent.set(orderId, to);
    },
  };
  const { AppModule, OrderEmail } = orderApp({ mysqlUrl, grpcAddr, keyspace, unsharded, orderTable: `nest_order_${run}`, emailTable: `nest_order_email_${run}`, mailer });
  const spec = getMessageTableSpec(OrderEmail);
  const orders = quoteTable(`nest_order_${run}`, unsharded);
  const db = await mysql.createConnection({ uri: mysqlUrl, supportBigNumbers: true, bigNumberStrings: true });
  try {
    // What migrations do in a real app: the orders table, the message table and its vindex.
    await db.query(`create table ${orders} (id bigint not null, email varchar(320) not null, status varchar(16) not null, primary key (id))`);
    for (const sql of buildSchemaSql(spec)) await db.query(sql);
    await until(async () => ((await db.query(`show vschema vindexes on ${quoteTable(spec.table, keyspace)}`).catch(() => [[]]))[0] as unknown[]).length > 0, 'vtgate to route the message table');

    const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
    app.enableShutdownHooks(); // SIGTERM/SIGINT → app.close(): the handlers drain before the DataSource closes
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    console.log(`listening on ${base}`);

    const placed = await post(`${base}/orders`, { email: 'ada@example.com' });
    console.log(`POST /orders → ${placed.status}`, placed.body);
    const declined = await post(`${base}/orders`, { email: 'grace@example.com', declined: true });
    console.log(`POST /orders (declined) → ${declined.status}: nothing written, nothing enqueued`);

    const { orderId } = placed.body as { orderId: string };
    await until(() => sent.has(orderId), 'the confirmation e-mail');
    await app.close();
    const [rows] = await db.query(`select status from ${orders} where id = ?`, [orderId]);
    console.log(`after shutdown: order ${orderId} is ${(rows as Array<{ status: string }>)[0]?.status}; orders in the table: ${await count(db, orders)}`);
  } finally {
    await db.query(`drop table if exists ${orders}`).catch(() => undefined);
    for (const sql of buildDropSchemaSql(spec)) await db.query(sql).catch(() => undefined);
    await db.end();
  }
}

async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function count(db: mysql.Connection, table: string): Promise<number> {
  const [rows] = await db.query(`select count(*) as n from ${table}`);
  return Number((rows as Array<{ n: string }>)[0]!.n);
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
