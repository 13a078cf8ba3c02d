/**
 * `prisma.$extends(vitessMessages({ emailJob }))`: queue handles on the Prisma
 * client, and on the transaction client inside `$transaction`:
 *
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(vitessMessages({ emailJob }, { address: 'vtgate:15991' }));
 * await prisma.$transaction(async (tx) => {
 *   await tx.order.create({ data: order });
 *   await tx.$messages().emailJob.enqueue({ recipient: order.email });   // commits with the order
 * });
 * prisma.$messages().emailJob.subscribe(async (job) => send(job.recipient));
 * ```
 *
 * `$messages` is a method, not a property: Prisma hands a client extension's
 * properties to every client as one shared value, and only a method learns
 * (as `this`) which client it was called on — the transaction's or the base.
 */
import { InvalidOptionError } from '../core/errors';
import type { MessageTableSpec } from '../core/spec';
import { checkSubscribeOptions, messageQueue, type MessageQueue, type QueueSubscribeOptions } from '../queue-handle';
import { fromPrisma, type PrismaLike } from '../adapters/prisma-executor';

/** The handles `$messages()` returns: one per table, typed by its spec. */
export type PrismaMessageQueues<T extends Readonly<Record<string, MessageTableSpec<any>>>> = {
  readonly [K in keyof T]: T[K] extends MessageTableSpec<infer P> ? MessageQueue<P> : never;
};

/** The client extension {@link vitessMessages} returns, for `prisma.$extends(…)`. */
export interface VitessMessagesExtension<T extends Readonly<Record<string, MessageTableSpec<any>>>> {
  /** The extension's name (Prisma shows it in errors). */
  readonly name: 'vitess-messages';
  /** Client-level members Prisma adds to the client and to every transaction client. */
  readonly client: {
    /**
     * The queue handles, on the client this is called on: inside
     * `$transaction(async (tx) => …)`, `tx.$messages()` runs every statement
     * in that transaction.
     */
    $messages(this: PrismaLike): PrismaMessageQueues<T>;
  };
}

/**
 * A Prisma client extension adding `$messages()`, the queue handles of
 * `tables` (e.g. the specs `vitess-messages prisma generate` writes) on the
 * client it is called on. `options` are the handles' subscriber defaults
 * (`address`, `transport`, …); acks of their subscribers go through the
 * client `$messages()` was called on (use the base client's handles to
 * subscribe). Loads nothing of Prisma's: the extension is a plain object.
 *
 * @throws InvalidOptionError when `tables` is not an object of specs or an option is misspelt.
 */
export function vitessMessages<T extends Readonly<Record<string, MessageTableSpec<any>>>>(
  tables: T,
  options: QueueSubscribeOptions = {},
): VitessMessagesExtension<T> {
  if (tables === null || typeof tables !== 'object' || Array.isArray(tables)) throw new InvalidOptionError('vitessMessages', 'tables', 'must be an object of message table specs, e.g. { emailJob }', tables);
  for (const [key, spec] of Object.entries(tables)) {
    if (spec === null || typeof spec !== 'object' || typeof spec.table !== 'string' || !Array.isArray(spec.payload)) {
      throw new InvalidOptionError('vitessMessages', `tables.${key}`, 'must be a message table spec (defineMessageTable(…))', spec);
    }
  }
  checkSubscribeOptions(options, 'vitessMessages', []);
  if ('executor' in options) throw new InvalidOptionError('vitessMessages', 'executor', 'is the Prisma client $messages() is called on; do not pass one');
  // One set of handles per client (the base one, each transaction's), made on first use.
  const made = new WeakMap<object, PrismaMessageQueues<T>>();
  return Object.freeze({
    name: 'vitess-messages' as const,
    client: Object.freeze({
      $messages(this: PrismaLike): PrismaMessageQueues<T> {
        const client = this as unknown as object;
        let queues = made.get(client);
        if (!queues) {
          const executor = fromPrisma(this);
          queues = Object.freeze(Object.fromEntries(
            Object.entries(tables).map(([key, spec]) => [key, messageQueue(spec, { ...options, executor })]),
          )) as PrismaMessageQueues<T>;
          made.set(client, queues);
        }
        return queues;
      },
    }),
  });
}
