/**
 * `messageQueue(Entity, { dataSource, address })`: the typed queue handle for
 * a `@MessageTable` entity — what `messageQueue(spec, { executor })` is for
 * mysql2 and Prisma users, with TypeORM's payload conversion and hydration.
 *
 * ```ts
 * const jobs = messageQueue(EmailJob, { dataSource, address: 'vtgate:15991' });
 * await dataSource.transaction(async (m) => {
 *   await m.save(order);
 *   await jobs.with(m).enqueue({ recipient: order.email, subject: 'Shipped', body: null }, { key: `order-${order.id}:shipped` });
 * });
 * jobs.subscribe(async (job) => send(job.recipient, job.body));
 * ```
 */
import type { DataSource, EntityManager, ObjectLiteral } from 'typeorm';
import { InvalidOptionError } from '../core/errors';
import type { Executor } from '../core/executor';
import type { EnqueueResult } from '../core/operations';
import type { MessageTableSpec } from '../core/spec';
import { bindQueueOperations, type QueueOperations } from '../core/queue-operations';
import { checkSubscribeOptions, definedOnly } from '../queue-handle';
import type { MessageStream } from '../subscriber/message-stream';
import type { MessageHandler, Subscriber } from '../subscriber/subscriber';
import { managerExecutor } from './entity-manager-executor';
import { getMessageTableSpec } from './registry';
import {
  enqueueEntities, enqueueEntity,
  type EntityEnqueueItem, type EntityEnqueueManyOptions, type EntityEnqueueOptions, type MessagePayload,
} from './repository';
import { stream, subscribe, type Delivered, type EntitySubscriberOptions } from './subscribe';

/**
 * Subscriber options an entity handle holds as defaults and each `subscribe` /
 * `stream` call may override (see `EntitySubscriberOptions`).
 */
export type EntityQueueSubscribeOptions<T> = Partial<Omit<EntitySubscriberOptions<Delivered<T>>, 'dataSource'>>;

/** Options of the entity {@link messageQueue}. */
export interface EntityQueueOptions<T> extends EntityQueueSubscribeOptions<T> {
  /**
   * The initialized DataSource the entity belongs to: its manager runs the
   * handle's statements (autocommit), and subscribers hydrate with it.
   */
  readonly dataSource: DataSource;
  /**
   * The manager of the ambient transaction, if any: asked at every call of
   * the handle (not of a `with(manager)` copy), and when it returns a manager
   * the statement runs on it, so it commits or rolls back with that
   * transaction without the manager being passed by hand; `undefined` means
   * none (the statement runs on `dataSource.manager`). For
   * `@nestjs-cls/transactional`:
   * `() => (txHost.isTransactionActive() ? txHost.tx : undefined)`
   * (`vitess-messages/nestjs` wires it when it finds
   * the TransactionHost). `typeorm-transactional` needs none: it replaces
   * `dataSource.manager` with the transaction's, and the handle reads
   * `dataSource.manager` at every call too. Default: none.
   */
  readonly ambientManager?: () => EntityManager | undefined;
}

/** A `@MessageTable` entity's queue, bound to an EntityManager (see {@link messageQueue}). */
export interface EntityMessageQueue<T extends ObjectLiteral> extends QueueOperations {
  /** The entity class. */
  readonly entity: new (...args: never[]) => T;
  /** The table, resolved through the DataSource's metadata. */
  readonly spec: MessageTableSpec;
  /**
   * Where this handle's next statement runs: the one given to `with`, else
   * the ambient transaction's (`ambientManager`, or `dataSource.manager` as
   * typeorm-transactional patches it), read when asked.
   */
  readonly manager: EntityManager;
  /**
   * The same queue on `manager` — the one `dataSource.transaction(m => …)`
   * passes — so its statements commit or roll back with that transaction;
   * this handle is unchanged.
   */
  with(manager: EntityManager): EntityMessageQueue<T>;
  /**
   * Enqueues one message, stored as `manager.save` would store the entity,
   * and says whether it is new: `{ id, inserted }` (see `EnqueueResult`).
   */
  enqueue(payload: MessagePayload<T>, options?: EntityEnqueueOptions): Promise<EnqueueResult>;
  /** Enqueues many in multi-row INSERTs; returns their ids in order. */
  enqueueMany(items: ReadonlyArray<EntityEnqueueItem<T>>, options?: EntityEnqueueManyOptions): Promise<string[]>;
  /** Subscribes `handler` (entity instances, see `Delivered`) with the handle's defaults merged with `options`. */
  subscribe(handler: MessageHandler<Delivered<T>>, options?: EntityQueueSubscribeOptions<T>): Subscriber<Delivered<T>>;
  /** The messages as an async iterator, with the handle's defaults merged with `options`. */
  stream(options?: EntityQueueSubscribeOptions<T>): MessageStream<Delivered<T>>;
}

/**
 * The queue handle of a `@MessageTable` entity: enqueue (typed by the
 * entity), the settle operations, `subscribe` and `stream`, on
 * `dataSource.manager`; `with(manager)` returns the same queue inside a
 * transaction. Immutable; build it once. The repository extension
 * (`messageRepositoryMethods`) and the free functions remain and take the same
 * options.
 *
 * @example
 * ```ts
 * import { messageQueue } from 'vitess-messages/typeorm';
 *
 * const jobs = messageQueue(EmailJob, { dataSource, address: 'vtgate:15991' });
 * const { id, inserted } = await dataSource.transaction(async (m) => {
 *   await m.save(order);
 *   return jobs.with(m).enqueue({ recipient: order.email, body: null },
 *     { key: `order-${order.id}:shipped` }); // commits with the order; a retry enqueues nothing twice
 * });
 * const worker = jobs.subscribe(async (job, ctx) => send(job.recipient, job.body), { concurrency: 10 });
 * process.once('SIGTERM', () => worker.close({ timeout: '10s' }));
 * ```
 *
 * @throws InvalidOptionError for an uninitialized DataSource or a misspelt
 *   option; NotAMessageTableError / UnknownEntityError for a class that is not
 *   a message table of the DataSource.
 */
export function messageQueue<T extends ObjectLiteral>(entity: new (...args: never[]) => T, options: EntityQueueOptions<T>): EntityMessageQueue<T> {
  const subject = `messageQueue(${typeof entity === 'function' ? entity.name : '?'})`;
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(subject, 'options', 'must be { dataSource, address?, … }', options);
  checkSubscribeOptions(options, subject, ['dataSource', 'int64', 'ambientManager']);
  const { dataSource } = options;
  if (options.ambientManager !== undefined && typeof options.ambientManager !== 'function') {
    throw new InvalidOptionError(subject, 'ambientManager', 'must be a function returning the ambient EntityManager or undefined', typeof options.ambientManager);
  }
  if (!dataSource || typeof dataSource.getMetadata !== 'function') throw new InvalidOptionError(subject, 'dataSource', 'must be an initialized TypeORM DataSource', typeof dataSource);
  if (!dataSource.isInitialized) throw new InvalidOptionError(subject, 'dataSource', 'must be initialized (await dataSource.initialize()) first');
  const spec = getMessageTableSpec(entity, dataSource);
  return bind(entity, spec, Object.freeze({ ...options }), undefined);
}

/** The manager a handle without `with` runs its next statement on (see `ambientManager`). */
function currentManager<T>(entity: Function, defaults: EntityQueueOptions<T>): EntityManager {
  const ambient = defaults.ambientManager?.();
  if (ambient === undefined || ambient === null) return defaults.dataSource.manager;
  if (typeof (ambient as Partial<EntityManager>).query !== 'function' || ambient.connection !== defaults.dataSource) {
    throw new InvalidOptionError(`messageQueue(${entity.name})`, 'ambientManager', "must return an EntityManager of the handle's DataSource (or undefined)", typeof ambient);
  }
  return ambient;
}

function bind<T extends ObjectLiteral>(
  entity: new (...args: never[]) => T,
  spec: MessageTableSpec,
  defaults: EntityQueueOptions<T>,
  bound: EntityManager | undefined,
): EntityMessageQueue<T> {
  // Unbound, the manager is read per statement (not once here), so a handle
  // built at start-up joins whatever transaction is ambient when it is called.
  const current = bound ? () => bound : () => currentManager(entity, defaults);
  const executor: Executor = { query: (sql, params) => managerExecutor(current()).query(sql, params) };
  const subscriberOptions = (options: EntityQueueSubscribeOptions<T> | undefined, operation: string): EntitySubscriberOptions<Delivered<T>> => {
    checkSubscribeOptions(options, `${operation}(${entity.name})`, ['int64']);
    const { ambientManager: _ambient, ...rest } = defaults;
    return { ...rest, ...definedOnly(options) };
  };
  const handle: EntityMessageQueue<T> = {
    entity,
    spec,
    manager: bound!, // unbound: a getter, below
    with(other) {
      if (!other || typeof (other as Partial<EntityManager>).query !== 'function' || !(other as Partial<EntityManager>).connection) {
        throw new InvalidOptionError(`messageQueue(${entity.name}).with`, 'manager', 'must be a TypeORM EntityManager (e.g. the one dataSource.transaction passes)', typeof other);
      }
      if (other.connection !== defaults.dataSource) {
        throw new InvalidOptionError(`messageQueue(${entity.name}).with`, 'manager', "must belong to the handle's DataSource");
      }
      return bind(entity, spec, defaults, other);
    },
    ...bindQueueOperations(executor, spec),
    enqueue: async (payload, options) => enqueueEntity(current(), entity, payload, options),
    enqueueMany: async (items, options) => enqueueEntities(current(), entity, items, options),
    subscribe: (handler, options) => subscribe(entity, handler, subscriberOptions(options, 'subscribe')),
    stream: (options) => stream(entity, subscriberOptions(options, 'stream')),
  };
  // Not a getter in the literal: V8 builds such a literal ≈ 10× slower, and
  // `with` builds one per transaction.
  if (!bound) Object.defineProperty(handle, 'manager', { get: current, enumerable: true });
  return Object.freeze(handle);
}
