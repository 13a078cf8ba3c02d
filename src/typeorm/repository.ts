/**
 * The producer operations for `@MessageTable` entities: a repository extension
 * (TypeORM's `Repository.extend`, no patching) and the same operations on any
 * EntityManager + entity class.
 *
 * ```ts
 * const jobs = dataSource.getRepository(EmailJob).extend(messageRepositoryMethods);
 * await dataSource.transaction(async (m) => {
 *   await m.save(order);
 *   await m.withRepository(jobs).enqueue({ recipient: order.email });  // commits with the order
 * });
 * ```
 */
import type { DataSource, EntityManager, ObjectLiteral, Repository } from 'typeorm';
import { InvalidOptionError } from '../core/errors';
import {
  ack, enqueue, enqueueMany, extend, fail, getMessages, listFailed, nack, retry,
  type EnqueueManyOptions, type ExtendOptions, type FailedPage, type FailOptions, type ListFailedOptions,
  type MessageOptions, type MessageRef, type MessageStatus, type NackOptions,
} from '../core/operations';
import type { MessageTableSpec } from '../core/spec';
import { fromEntityManager } from './entity-manager-executor';
import { getMessageTableSpec } from './registry';

type Bookkeeping = 'id' | 'priority' | 'epoch' | 'timeNext' | 'timeAcked' | 'failureReason' | 'enqueuedAt' | 'failedAt';

/** The payload of a message entity: its own properties, without the bookkeeping and methods. */
export type MessagePayload<T> = {
  [K in keyof T as K extends Bookkeeping ? never : T[K] extends (...args: never[]) => unknown ? never : K]: T[K];
};

/** Options of one `enqueue` of an entity's message. */
export interface EntityEnqueueOptions extends MessageOptions {
  /**
   * Run class-validator on the payload as an instance of the entity. Default:
   * when the entity has class-validator decorators.
   */
  readonly validate?: boolean;
}

/** One message of an entity's `enqueueMany`. */
export interface EntityEnqueueItem<T> extends MessageOptions {
  readonly payload: MessagePayload<T>;
}

export type EntityEnqueueManyOptions = Omit<EnqueueManyOptions, 'entity' | 'validate'> & { readonly validate?: boolean };

/**
 * The producer operations of one message entity, bound to an EntityManager.
 * Counts are "messages changed" (see each core operation).
 */
export interface MessageOperations<T> {
  /** Enqueues one message; returns its id. Inside a transactional manager, it commits with it. */
  enqueue(payload: MessagePayload<T>, options?: EntityEnqueueOptions): Promise<string>;
  /** Enqueues many in multi-row INSERTs; returns their ids in order. */
  enqueueMany(items: ReadonlyArray<EntityEnqueueItem<T>>, options?: EntityEnqueueManyOptions): Promise<string[]>;
  /** Acks; returns how many were acked now. */
  ack(refs: MessageRef | readonly MessageRef[]): Promise<number>;
  /** Makes messages due again (now or later), epoch kept; never touches failed ones. Returns how many. */
  nack(refs: MessageRef | readonly MessageRef[], options?: NackOptions): Promise<number>;
  /** Fails messages (dead letter) with a reason; returns how many were newly failed. */
  fail(refs: MessageRef | readonly MessageRef[], options?: FailOptions): Promise<number>;
  /** Revives failed messages (due now, epoch 0, reason cleared); returns how many. */
  retry(refs: MessageRef | readonly MessageRef[]): Promise<number>;
  /** Extends leases of messages being handled; returns how many. */
  extend(refs: MessageRef | readonly MessageRef[], options: ExtendOptions): Promise<number>;
  /** One page of failed messages with their reasons. */
  listFailed(options?: ListFailedOptions): Promise<FailedPage>;
  /** Bookkeeping state (pending / acked / failed) of some messages. */
  getMessages(refs: MessageRef | readonly MessageRef[]): Promise<MessageStatus[]>;
}

// Specs are resolved once per (DataSource, entity): metadata does not change after initialize().
const specs = new WeakMap<object, WeakMap<Function, MessageTableSpec>>();

function specOf(target: unknown, dataSource: DataSource | undefined): MessageTableSpec {
  if (typeof target !== 'function') {
    throw new InvalidOptionError('vitess-messages/typeorm', 'entity', 'must be a @MessageTable entity class', typeof target === 'string' ? target : typeof target);
  }
  const key: object = dataSource ?? specs;
  let byClass = specs.get(key);
  if (!byClass) specs.set(key, (byClass = new WeakMap()));
  let spec = byClass.get(target);
  if (!spec) byClass.set(target, (spec = getMessageTableSpec(target, dataSource)));
  return spec;
}

/**
 * The operations of `entity` on `manager` (an EntityManager, e.g. the one
 * `dataSource.transaction(m => …)` passes): statements run on that manager's
 * connection, so they join its transaction. Throws NotAMessageTableError or
 * UnknownEntityError for a class that is not a message table of its DataSource.
 */
export function messageOperations<T extends ObjectLiteral>(manager: EntityManager, entity: new (...args: never[]) => T): MessageOperations<T> {
  if (!manager || typeof (manager as Partial<EntityManager>).query !== 'function') {
    throw new InvalidOptionError('messageOperations', 'manager', 'must be a TypeORM EntityManager', typeof manager);
  }
  const spec = specOf(entity, manager.connection);
  const executor = fromEntityManager(manager);
  return {
    enqueue: (payload, options = {}) => enqueue(executor, spec, payload as object, { ...options, entity }),
    enqueueMany: (items, options = {}) => enqueueMany(executor, spec, items as ReadonlyArray<{ payload: object }>, { ...options, entity }),
    ack: (refs) => ack(executor, spec, refs),
    nack: (refs, options) => nack(executor, spec, refs, options),
    fail: (refs, options) => fail(executor, spec, refs, options),
    retry: (refs) => retry(executor, spec, refs),
    extend: (refs, options) => extend(executor, spec, refs, options),
    listFailed: (options) => listFailed(executor, spec, options),
    getMessages: (refs) => getMessages(executor, spec, refs),
  };
}

/** The methods {@link messageRepositoryMethods} adds, typed for `Repository<T>`. */
export type MessageRepository<T extends ObjectLiteral> = Repository<T> & MessageOperations<T>;

function ops<T extends ObjectLiteral>(repo: Repository<T>): MessageOperations<T> {
  // `this.manager`, not a manager captured at build time: withRepository() rebinds
  // it to the transaction's manager, which is how enqueue joins the transaction.
  return messageOperations(repo.manager, repo.target as new () => T);
}

/**
 * Pass to `repository.extend(…)`: adds {@link MessageOperations} to a
 * repository of a `@MessageTable` entity. Build the repository once (from the
 * DataSource); inside `manager.transaction(m => …)` use
 * `m.withRepository(repo)` so its statements run in that transaction.
 */
export const messageRepositoryMethods: MessageOperations<any> & ThisType<Repository<any>> = {
  enqueue(this: Repository<any>, payload, options) {
    return ops(this).enqueue(payload, options);
  },
  enqueueMany(this: Repository<any>, items, options) {
    return ops(this).enqueueMany(items, options);
  },
  ack(this: Repository<any>, refs) {
    return ops(this).ack(refs);
  },
  nack(this: Repository<any>, refs, options) {
    return ops(this).nack(refs, options);
  },
  fail(this: Repository<any>, refs, options) {
    return ops(this).fail(refs, options);
  },
  retry(this: Repository<any>, refs) {
    return ops(this).retry(refs);
  },
  extend(this: Repository<any>, refs, options) {
    return ops(this).extend(refs, options);
  },
  listFailed(this: Repository<any>, options) {
    return ops(this).listFailed(options);
  },
  getMessages(this: Repository<any>, refs) {
    return ops(this).getMessages(refs);
  },
};

/**
 * The repository of a message entity with {@link MessageOperations}, typed:
 * `messageRepository(dataSource, EmailJob)`. Checks at once that the entity is
 * a message table of this DataSource.
 */
export function messageRepository<T extends ObjectLiteral>(source: DataSource | EntityManager, entity: new (...args: never[]) => T): MessageRepository<T> {
  const manager = 'manager' in source && !('withRepository' in source) ? (source as DataSource).manager : (source as EntityManager);
  specOf(entity, manager.connection);
  return manager.getRepository(entity).extend(messageRepositoryMethods) as MessageRepository<T>;
}
