/**
 * The README's code samples, compiled by every `tsc -p tsconfig.json` so they
 * cannot drift from the API: each function holds one sample as the README
 * shows it (top-level awaits become an async function, and the names a
 * sample takes from its surroundings are declared below). Nothing here runs.
 */
import type { Pool, PoolConnection } from 'mysql2/promise';
import { Column, type DataSource } from 'typeorm';
import { counts, defineMessageTable, enqueue, messageQueue as specQueue, UnrecoverableError, type ShardConnection } from '../../src';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { fromPrisma, type PrismaLike } from '../../src/adapters/prisma';
import { MessageTable, VitessMessage, messageQueue, messageRepositoryMethods } from '../../src/typeorm';

declare const dataSource: DataSource;
declare const order: { id: number; email: string };
declare const pool: Pool;
declare const conn: PoolConnection;
declare const prisma: { $transaction<T>(fn: (tx: PrismaLike) => Promise<T>): Promise<T> };
declare const signal: AbortSignal;
declare const openConnection: () => Promise<ShardConnection>;
declare function sendMail(to: string, body?: unknown, options?: { signal?: AbortSignal }): Promise<void>;

/** The first lines. */
export async function atAGlance(): Promise<void> {
  @MessageTable({ name: 'readme_glance_job', keyspace: 'commerce' })
  class EmailJob extends VitessMessage { @Column({ type: 'varchar', length: 320 }) recipient!: string }

  const jobs = messageQueue(EmailJob, { dataSource, address: 'vtgate:15991' });
  await dataSource.transaction(async (m) => {
    await m.save(order);
    await jobs.with(m).enqueue({ recipient: order.email }, { key: `order-${order.id}:shipped` });
  });
  jobs.subscribe(async (job) => sendMail(job.recipient));
}

/** "Message tables and migrations". */
@MessageTable({ name: 'readme_email_job', keyspace: 'commerce', ackWait: '1m' })
export class EmailJob extends VitessMessage {
  @Column({ type: 'varchar', length: 320 }) recipient!: string;
  @Column({ type: 'varchar', length: 200 }) subject!: string;
  @Column({ type: 'json', nullable: true }) body!: object | null;
}

/** "The queue handle", and "Inspecting a queue". */
export async function handle(): Promise<void> {
  const jobs = messageQueue(EmailJob, { dataSource, address: 'vtgate:15991', concurrency: 4 });
  const { id, inserted } = await dataSource.transaction(async (m) => {
    await m.save(order);
    return jobs.with(m).enqueue({ recipient: order.email, subject: 'Shipped', body: null },
      { key: `order-${order.id}:shipped`, delay: '30s' });
  });
  const worker = jobs.subscribe(async (job, ctx) => {
    if (!job.recipient.includes('@')) throw new UnrecoverableError('no address');
    await sendMail(job.recipient, job.body, { signal: ctx.signal });
  }, { maxInFlight: 1000 });
  worker.on('deadLettered', (job, err) => console.warn(`gave up on ${job.id}`, err));
  process.once('SIGTERM', () => void worker.close({ timeout: '10s' }));
  console.log(await jobs.counts());

  await jobs.counts();
  await jobs.counts({ openConnection });
  await jobs.get(id);
  await jobs.purgeFailed({ olderThan: '30d' });
  void inserted;
}

/** "mysql2, Prisma and raw SQL". */
export async function withoutTypeorm(): Promise<void> {
  const emails = defineMessageTable({ table: 'email_job', keyspace: 'commerce',
    columns: { recipient: 'varchar(320)', body: { type: 'json', nullable: true } }, ackWait: '1m' });
  const jobs = specQueue(emails, { executor: fromMysql2(pool), address: 'vtgate:15991' });
  await jobs.with(fromMysql2(conn)).enqueue({ recipient: 'a@b.c' });
  await prisma.$transaction((tx) => jobs.with(fromPrisma(tx)).enqueue({ recipient: 'a@b.c' }));
  // @ts-expect-error recipient is a string
  await jobs.enqueue({ recipient: 42 });
  jobs.subscribe(async (job) => sendMail(job.recipient));

  // "The lower layer".
  await enqueue(fromMysql2(conn), emails, { recipient: 'a@b.c' });
  await counts(fromMysql2(pool), emails);
}

/** "Subscribe". */
export async function subscribing(): Promise<void> {
  const jobs = messageQueue(EmailJob, { dataSource, address: 'vtgate:15991' });
  const worker = jobs.subscribe(async (job, ctx) => {
    await sendMail(job.recipient, job.body);
    void ctx;
  }, { maxInFlight: 1000, concurrency: 10 });
  process.once('SIGTERM', () => void worker.close({ timeout: '10s' }));

  for await (const m of jobs.stream({ signal })) {
    try { await sendMail(m.message.recipient, m.message.body); await m.ack(); } catch (e) { await m.fail(String(e)); }
  }
}

/** "The lower layer": the repository extension. */
export async function repository(): Promise<void> {
  const repo = dataSource.getRepository(EmailJob).extend(messageRepositoryMethods);
  await dataSource.transaction((m) => m.withRepository(repo).enqueue({ recipient: 'a@b.c', subject: 'Hi', body: null }));
}
