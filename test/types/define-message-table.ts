/**
 * Compile-time tests of `defineMessageTable`'s payload type and of the queue
 * handle's typing without TypeORM: checked by the `tsc -p tsconfig.json` of
 * every build and test run (an `@ts-expect-error` that finds no error fails
 * it). Nothing here runs.
 */
import { defineMessageTable } from '../../src/core/define';
import type { Executor } from '../../src/core/executor';
import type { MessageTableSpec } from '../../src/core/spec';
import { enqueue } from '../../src/core/operations';
import { messageQueue } from '../../src/queue-handle';

const emails = defineMessageTable({
  table: 'email_job',
  keyspace: 'commerce',
  columns: {
    recipient: 'varchar(320)',
    body: { type: 'json', nullable: true },
    attempts: { type: 'int', default: '0' },
    customerId: 'BIGINT UNSIGNED',
    sendAt: { type: 'datetime(6)', nullable: true },
    urgent: 'boolean',
    ratio: 'double',
    price: 'decimal(10,2)',
    blob: { type: 'varbinary(16)', nullable: true },
    lower: { type: 'varchar(320)', asExpression: 'lower(recipient)' },
    kind: { type: "ENUM('welcome', 'Receipt')", default: "'welcome'" },
    odd: { type: "enum('it''s','b')", nullable: true },
  },
});

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function same<A, B>(_proof: Equal<A, B>): void {}
type EmailPayload = typeof emails extends MessageTableSpec<infer P> ? P : never;

// Column types map to what enqueue accepts at run time.
same<EmailPayload, {
  recipient: string;
  customerId: number | bigint | string;
  urgent: boolean;
  ratio: number;
  price: number | bigint | string;
  body?: unknown;
  odd?: string | null;
  kind?: 'welcome' | 'Receipt';
  attempts?: number | bigint | string;
  sendAt?: Date | string | null;
  blob?: Buffer | Uint8Array | null;
}>(true);

export async function withoutTypeorm(executor: Executor): Promise<void> {
  const jobs = messageQueue(emails, { executor, address: 'vtgate:15991' });
  const { id, inserted } = await jobs.enqueue({ recipient: 'a@b.c', customerId: 42n, urgent: false, ratio: 0.5, price: '9.99', odd: 'b' }, { key: 'order-42:receipt' });
  const idText: string = id;
  const isNew: boolean | undefined = inserted;
  void [idText, isNew];
  // @ts-expect-error recipient is required (NOT NULL, no default)
  await jobs.enqueue({ customerId: 1, urgent: false, ratio: 1, price: 1 });
  // @ts-expect-error recipient is a varchar: a string
  await jobs.enqueue({ recipient: 7, customerId: 1, urgent: false, ratio: 1, price: 1 });
  // @ts-expect-error not a column
  await jobs.enqueue({ recipient: 'a', customerId: 1, urgent: false, ratio: 1, price: 1, nope: true });
  // @ts-expect-error an enum column takes its declared values
  await jobs.enqueue({ recipient: 'a', customerId: 1, urgent: false, ratio: 1, price: 1, odd: 'b', kind: 'receipt' });
  // @ts-expect-error a generated column is never part of a payload
  await jobs.enqueue({ recipient: 'a', customerId: 1, urgent: false, ratio: 1, price: 1, lower: 'a' });
  // @ts-expect-error a misspelt option
  await jobs.enqueue({ recipient: 'a', customerId: 1, urgent: false, ratio: 1, price: 1 }, { dealy: '3s' });
  await jobs.enqueueMany([{ payload: { recipient: 'a', customerId: '1', urgent: true, ratio: 1, price: 1 }, delay: '1s' }]);
  // @ts-expect-error enqueueMany payloads are typed too
  await jobs.enqueueMany([{ payload: { recipient: 'a' } }]);
  // Inside a transaction: the same typed handle on another executor.
  await jobs.with(executor).enqueue({ recipient: 'a', customerId: 1, urgent: false, ratio: 1, price: 1 });
  // @ts-expect-error still typed after with()
  await jobs.with(executor).enqueue({ recipient: null, customerId: 1, urgent: false, ratio: 1, price: 1 });
  jobs.subscribe(async (job, ctx) => {
    const r: string = job.recipient;
    const id: string = job.id;
    const epoch: number = job.epoch;
    void [r, id, epoch, ctx.attempt];
    // @ts-expect-error not a column
    void job.nope;
  });
  // @ts-expect-error ids are never JS numbers
  await jobs.ack(1);
  // The free functions take typed specs too.
  await enqueue(executor, emails, { recipient: 'a' });
}

// An explicit payload type instead of the inferred one.
interface OrderEvent { orderId: string; kind: 'created' | 'paid' }
const events = defineMessageTable<OrderEvent>({ table: 'order_event', columns: { orderId: 'bigint', kind: "enum('created','paid')" } });
export async function explicit(executor: Executor): Promise<void> {
  const q = messageQueue(events, { executor });
  await q.enqueue({ orderId: '1', kind: 'paid' });
  // @ts-expect-error the explicit type rules: kind is 'created' | 'paid'
  await q.enqueue({ orderId: '1', kind: 'refunded' });
}

// @ts-expect-error a misspelt table option is a compile error too
defineMessageTable({ table: 't', columns: { a: 'int' }, ackWiat: '1m' });
