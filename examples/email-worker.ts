/**
 * The example `npm run example` runs: a message table as a TypeORM entity
 * (examples/entities/email-job.ts), created by the generated migration
 * (migrations/), e-mails enqueued inside `dataSource.transaction` (they exist
 * only if it commits), and a subscriber that handles and acks them.
 */
import 'reflect-metadata';
import dataSource from '../ormconfig';
import { messageRepository, subscribe, type Delivered } from '../src/typeorm';
import { EmailJob } from './entities/email-job';

const grpcAddr = process.env.VTGATE_GRPC_ADDR ?? `127.0.0.1:${process.env.VTGATE_GRPC_PORT ?? 27991}`;

async function main(): Promise<void> {
  await dataSource.initialize();
  // 1. The migration generated from the entities (`vitess-messages generate`).
  const ran = await dataSource.runMigrations();
  console.log(ran.length ? `ran migrations: ${ran.map((m) => m.name).join(', ')}` : 'migrations: up to date');

  // 2. A subscriber: messages arrive as EmailJob instances; resolving acks them.
  const handled = new Map<string, Delivered<EmailJob>>(); // as streamed: no priority, timeNext, timeAcked, failureReason
  const worker = subscribe(EmailJob, async (job, ctx) => {
    console.log(`send "${job.subject}" to ${job.recipient} (id ${job.id}, attempt ${ctx.epoch + 1})`);
    handled.set(job.id, job);
  }, { dataSource, address: grpcAddr, maxInFlight: 100, concurrency: 4 });
  worker.on('error', (err) => console.error('worker error:', err));

  // 3. Enqueue in the same transaction as the business write; a rolled-back one leaves nothing.
  const jobs = messageRepository(dataSource, EmailJob);
  const ids = await dataSource.transaction(async (manager) => {
    const tx = manager.withRepository(jobs);
    return Promise.all(['ada@example.com', 'grace@example.com', 'linus@example.com'].map((recipient) =>
      tx.enqueue({ recipient, subject: 'Your order shipped', body: { text: 'It is on its way ✓' } })));
  });
  console.log(`enqueued ${ids.length} e-mails in one transaction`);
  await dataSource.transaction(async (manager) => {
    await manager.withRepository(jobs).enqueue({ recipient: 'nobody@example.com', subject: 'never sent', body: null });
    throw new Error('rolled back');
  }).catch(() => console.log('a rolled-back transaction enqueued nothing'));

  // 4. Wait for ours (earlier runs' leftovers are handled too), then drain and close.
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
