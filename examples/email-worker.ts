/**
 * The example `npm run example` runs: a message table as a TypeORM entity
 * (examples/entities/email-job.ts), created by the generated migration
 * (migrations/), one queue handle for it (`messageQueue`), e-mails enqueued
 * inside `dataSource.transaction` through `jobs.with(manager)` (they exist only
 * if it commits; a dedupe key makes a retried enqueue a no-op), and a
 * subscriber on the same handle that handles and acks them.
 */
import 'reflect-metadata';
import dataSource from '../ormconfig';
import { messageQueue, type Delivered } from '../src/typeorm';
import { EmailJob } from './entities/email-job';

const grpcAddr = process.env.VTGATE_GRPC_ADDR ?? `127.0.0.1:${process.env.VTGATE_GRPC_PORT ?? 27991}`;

async function main(): Promise<void> {
  await dataSource.initialize();
  // 1. The migration generated from the entities (`vitess-messages generate`).
  const ran = await dataSource.runMigrations();
  console.log(ran.length ? `ran migrations: ${ran.map((m) => m.name).join(', ')}` : 'migrations: up to date');

  // 2. One handle for the table, built once: enqueue, settle, subscribe.
  const jobs = messageQueue(EmailJob, { dataSource, address: grpcAddr });

  // 3. A subscriber: messages arrive as EmailJob instances; resolving acks them.
  const handled = new Map<string, Delivered<EmailJob>>(); // as streamed: no priority, timeNext, timeAcked, failureReason
  const worker = jobs.subscribe(async (job, ctx) => {
    console.log(`send "${job.subject}" to ${job.recipient} (id ${job.id}, attempt ${ctx.attempt})`);
    handled.set(job.id, job);
  }, { maxInFlight: 100, concurrency: 4 });
  worker.on('error', (err) => console.error('worker error:', err));

  // 4. Enqueue in the same transaction as the business write; a rolled-back one leaves nothing.
  const run = Date.now().toString(36);
  const ids = await dataSource.transaction(async (manager) => {
    const tx = jobs.with(manager);
    return Promise.all(['ada@example.com', 'grace@example.com', 'linus@example.com'].map(async (recipient) =>
      (await tx.enqueue({ recipient, subject: 'Your order shipped', body: { text: 'It is on its way ✓' } }, { key: `${run}:shipped:${recipient}` })).id));
  });
  console.log(`enqueued ${ids.length} e-mails in one transaction`);
  // A producer that retries (a timeout, a crash before it heard back) enqueues nothing twice.
  const again = await jobs.enqueue({ recipient: 'ada@example.com', subject: 'Your order shipped', body: null }, { key: `${run}:shipped:ada@example.com` });
  console.log(`the same key again: id ${again.id}, new: ${again.inserted}`);
  await dataSource.transaction(async (manager) => {
    await jobs.with(manager).enqueue({ recipient: 'nobody@example.com', subject: 'never sent', body: null });
    throw new Error('rolled back');
  }).catch(() => console.log('a rolled-back transaction enqueued nothing'));

  // 5. Wait for ours (earlier runs' leftovers are handled too), then drain and close.
  const deadline = Date.now() + 30_000;
  while (!ids.every((id) => handled.has(id))) {
    if (Date.now() > deadline) throw new Error(`not handled within 30 s: ${ids.filter((id) => !handled.has(id)).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await worker.close({ timeout: '5s' });
  const s = worker.stats();
  console.log(`done: received ${s.received}, acked ${s.acked}, nacked ${s.nacked}, in flight ${s.inFlight}`);
  await dataSource.destroy();
}

main().catch(async (err) => {
  console.error(err);
  await dataSource.destroy().catch(() => undefined);
  process.exit(1);
});
