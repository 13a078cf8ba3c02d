/**
 * `messageQueue(spec, { executor, address })`: one typed object for a message
 * table — enqueue, the settle operations, subscribe and stream — bound to an
 * executor, with `with(executor)` for the same queue inside a transaction
 * (kysely's immutable-builder style). The free functions remain; the handle
 * calls them with its spec, executor and defaults, and takes the same options.
 *
 * ```ts
 * const emails = defineMessageTable({ table: 'email_job', keyspace: 'commerce', columns: { recipient: 'varchar(320)' } });
 * const jobs = messageQueue(emails, { executor: fromMysql2(pool), address: 'vtgate:15991' });
 * await jobs.with(fromMysql2(conn)).enqueue({ recipient: 'a@b.c' }, { key: 'order-42:receipt' }); // in conn's transaction
 * jobs.subscribe(async (job) => send(job.recipient));
 * ```
 */
import { InvalidOptionError } from './core/errors';
import type { Executor } from './core/executor';
import { enqueueMany, enqueueReporting, type EnqueueManyOptions, type EnqueueOptions, type EnqueueResult, type MessageOptions } from './core/operations';
import { checkOptionNames } from './core/options';
import { bindQueueOperations, type QueueOperations } from './core/queue-operations';
import type { MessageTableSpec } from './core/spec';
import { tableLabel } from './core/sql/target';
import { MessageStream } from './subscriber/message-stream';
import type { SubscriberOptions } from './subscriber/options';
import { Subscriber, type MessageHandler } from './subscriber/subscriber';

/** The payload type of a handle: the spec's, or any object for an untyped spec. */
export type QueuePayload<P> = unknown extends P ? Record<string, unknown> : P;

/**
 * What a handle's handler receives: `{ id, epoch, ...payload }` (the default
 * hydrator). Columns left out of the table's `streamedColumns` are absent at
 * run time although the type lists them.
 */
export type DeliveredMessage<P> = { readonly id: string; readonly epoch: number } & QueuePayload<P>;

/** One message of a handle's `enqueueMany`. */
export type QueueItem<P> = MessageOptions & { readonly payload: P };

/**
 * Subscriber options a handle holds as defaults (and each `subscribe` /
 * `stream` call may override): everything but the hydrator and `int64`, which
 * would change the message type the handle promises (use the free
 * `subscribe` for those). `executor` here is where acks go; default the
 * handle's own.
 */
export type QueueSubscribeOptions = Partial<Omit<SubscriberOptions<unknown>, 'hydrate' | 'int64'>>;

// Every subscriber option a handle takes, for refusing misspelt ones (kept in step with the type by `satisfies`).
const SUBSCRIBE_OPTION_NAMES = Object.keys({
  executor: 0, transport: 0, address: 0, grpc: 0, shard: 0, maxInFlight: 0, concurrency: 0, ackBatchSize: 0,
  ackInterval: 0, ackConcurrency: 0, maxAttempts: 0, retryBackoff: 0, handlerTimeout: 0, reconnect: 0,
  stallTimeout: 0, signal: 0, closeTimeout: 0, autorun: 0, connectAttempts: 0, autoExtend: 0,
} satisfies Record<keyof QueueSubscribeOptions, 0>);

/** Options of {@link messageQueue}. */
export interface QueueHandleOptions extends QueueSubscribeOptions {
  /**
   * Where the handle's statements run (an autocommit pool, e.g.
   * `fromMysql2(pool)`), and where its subscribers write acks. Required.
   */
  readonly executor: Executor;
}

/** A message table bound to an executor, typed by its spec's payload (see {@link messageQueue}). */
export interface MessageQueue<P = unknown> extends QueueOperations {
  /** The table. */
  readonly spec: MessageTableSpec<P>;
  /** Where this handle's statements run. */
  readonly executor: Executor;
  /**
   * The same queue with its statements on `executor` (e.g. the connection of
   * your transaction: they then commit or roll back with it); this handle is
   * unchanged. Subscribers of the copy still write acks where this one does.
   */
  with(executor: Executor): MessageQueue<P>;
  /**
   * Enqueues one message ({@link enqueue}) and says whether it is new:
   * `{ id, inserted }`. With `key` (or `id`) a repeat keeps the first message
   * and reports `inserted: false`.
   */
  enqueue(payload: QueuePayload<P>, options?: EnqueueOptions): Promise<EnqueueResult>;
  /** Enqueues many in multi-row INSERTs ({@link enqueueMany}); returns their ids in order. */
  enqueueMany(items: ReadonlyArray<QueueItem<QueuePayload<P>>>, options?: EnqueueManyOptions): Promise<string[]>;
  /**
   * Subscribes `handler` ({@link subscribe}) with the handle's defaults
   * (address, transport, …) merged with `options`.
   */
  subscribe(handler: MessageHandler<DeliveredMessage<P>>, options?: QueueSubscribeOptions): Subscriber<DeliveredMessage<P>>;
  /** The messages as an async iterator ({@link stream}), with the handle's defaults merged with `options`. */
  stream(options?: QueueSubscribeOptions): MessageStream<DeliveredMessage<P>>;
}

/** Throws unless `executor` looks like an {@link Executor}. */
export function checkExecutor(executor: unknown, subject: string): Executor {
  if (executor === null || typeof executor !== 'object' || typeof (executor as Partial<Executor>).query !== 'function') {
    throw new InvalidOptionError(subject, 'executor', 'must be an Executor (an object with query(sql, params)), e.g. fromMysql2(pool)', executor);
  }
  return executor as Executor;
}

/** Checks a handle's or a call's subscriber options (names only; values are checked when a subscriber starts). */
export function checkSubscribeOptions(options: unknown, subject: string, extra: readonly string[] = []): void {
  checkOptionNames(options, [...SUBSCRIBE_OPTION_NAMES, ...extra], subject);
}

/**
 * A handle on a message table: `enqueue`, `enqueueMany`, `ack`, `nack`,
 * `fail`, `retry`, `extend`, `listFailed`, `getMessages`, `subscribe` and
 * `stream`, all on `options.executor`, typed by the spec's payload (see
 * `defineMessageTable`). Immutable: `with(executor)` returns a copy on
 * another executor, so one handle built at start-up serves every transaction.
 * TypeORM users: `messageQueue(Entity, { dataSource })` from
 * `vitess-messages/typeorm`.
 *
 * @example
 * ```ts
 * import { defineMessageTable, messageQueue } from 'vitess-messages';
 * import { fromMysql2 } from 'vitess-messages/mysql2';
 *
 * const emails = defineMessageTable({ table: 'email_job', keyspace: 'commerce',
 *   columns: { recipient: 'varchar(320)', body: { type: 'json', nullable: true } } });
 * const jobs = messageQueue(emails, { executor: fromMysql2(pool), address: 'vtgate:15991' });
 *
 * const conn = await pool.getConnection();
 * await conn.beginTransaction();
 * await jobs.with(fromMysql2(conn)).enqueue({ recipient: 'a@b.c' }, { delay: '30s' }); // commits with the transaction
 * await conn.commit();
 *
 * const worker = jobs.subscribe(async (job) => send(job.recipient, job.body)); // resolve → ack, throw → nack
 * ```
 *
 * @throws InvalidOptionError for a missing executor or a misspelt option.
 */
export function messageQueue<P>(spec: MessageTableSpec<P>, options: QueueHandleOptions): MessageQueue<P> {
  const subject = `messageQueue(${spec && typeof spec === 'object' && typeof spec.table === 'string' ? tableLabel(spec) : '?'})`;
  if (spec === null || typeof spec !== 'object' || typeof spec.table !== 'string' || !Array.isArray(spec.payload)) {
    throw new InvalidOptionError(subject, 'spec', 'must be a message table spec (defineMessageTable(…))', spec);
  }
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(subject, 'options', 'must be { executor, address?, … }', options);
  checkSubscribeOptions(options, subject);
  const defaults: QueueHandleOptions = Object.freeze({ ...options, executor: checkExecutor(options.executor, subject) });
  return bind(spec, defaults, defaults.executor);
}

function bind<P>(spec: MessageTableSpec<P>, defaults: QueueHandleOptions, executor: Executor): MessageQueue<P> {
  const subscriberOptions = (options: QueueSubscribeOptions | undefined, operation: string): SubscriberOptions<DeliveredMessage<P>> => {
    checkSubscribeOptions(options, `${operation}(${tableLabel(spec)})`);
    return { ...defaults, ...definedOnly(options) } as SubscriberOptions<DeliveredMessage<P>>;
  };
  const handle: MessageQueue<P> = {
    spec,
    executor,
    with: (other) => bind(spec, defaults, checkExecutor(other, `messageQueue(${tableLabel(spec)}).with`)),
    enqueue: (payload, options) => enqueueReporting(executor, spec, payload as object, options),
    enqueueMany: (items, options) => enqueueMany(executor, spec, items as ReadonlyArray<QueueItem<object>>, options),
    ...bindQueueOperations(executor, spec),
    subscribe: (handler, options) => new Subscriber<DeliveredMessage<P>>(spec, handler, subscriberOptions(options, 'subscribe')),
    stream: (options) => new MessageStream<DeliveredMessage<P>>(spec, subscriberOptions(options, 'stream')),
  };
  return Object.freeze(handle);
}

/** `options` without its `undefined` entries, so they do not hide the handle's defaults. */
export function definedOnly<O extends object>(options: O | undefined): Partial<O> {
  return options ? (Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<O>) : {};
}
