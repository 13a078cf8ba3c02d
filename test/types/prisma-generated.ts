/**
 * Compile-time test: the module `prisma generate` writes (the golden
 * test/fixtures/prisma/vitess-messages.ts) types the payload from the model.
 * Nothing here runs.
 */
import type { Executor } from '../../src/core/executor';
import { messageQueue } from '../../src/queue-handle';
import { emailJob } from '../fixtures/prisma/vitess-messages';

export async function typed(executor: Executor): Promise<void> {
  const jobs = messageQueue(emailJob, { executor });
  await jobs.enqueue({ recipient: 'a@b.c', customerId: 42n });
  await jobs.enqueue({ recipient: 'a@b.c', customerId: '42', body: { any: 1 }, kind: 'receipt', sendAt: new Date(), urgent: true });
  // @ts-expect-error recipient is a string
  await jobs.enqueue({ recipient: 1, customerId: 42n });
  // @ts-expect-error customerId is required (NOT NULL, no default)
  await jobs.enqueue({ recipient: 'a@b.c' });
  // @ts-expect-error kind takes the database's (mapped) values
  await jobs.enqueue({ recipient: 'a@b.c', customerId: 1, kind: 'RECEIPT' });
  // @ts-expect-error no such field
  await jobs.enqueue({ recipient: 'a@b.c', customerId: 1, label: 'x' });
  jobs.subscribe(async (job) => {
    const r: string = job.recipient;
    void r;
  });
}
