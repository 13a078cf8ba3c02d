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
  enqueueMany, enqueueReporting, type EnqueueResult, type EnqueueManyOptions, type ExtendOptions, type FailedPage,
  type FailOptions, type ListFailedOptions, type MessageOptions, type MessageRef, type MessageStatus, type NackOptions,
} from '../core/operations';
import type { CountsOptions, CountsResult, PurgeFailedOptions, QueueMessage } from '../core/queue-admin';
import { bindQueueOperations, type QueueOperations } from '../core/queue-operations';
import type { MessageTableSpec } from '../core/spec';
import { hasValidationRules, validateWithClass } from '../core/payload';
import { tableLabel } from '../core/sql/target';
import { managerExecutor } from './entity-manager-executor';
import { persistValues, type PersistValues } from './persist-values';
import { getMessageTableSpec } from './registry';
import type { VitessMessage } from './vitess-message';

/** The bookkeeping properties, as {@link VitessMessage} declares them (ours to write, never payload). */
type Bookkeeping = keyof VitessMessage;

/** The entity's own data properties: no bookkeeping, no methods. */
type PayloadKey<T> = { [K in keyof T]-?: K extends Bookkeeping ? never : T[K] extends (...args: never[]) => unknown ? never : K }[keyof T];
/** Those whose declared type takes `null` or `undefined` (`note!: string | null`, `note?: string`). */
type OptionalKey<T> = { [K in PayloadKey<T>]-?: null extends T[K] ? K : undefined extends T[K] ? K : never }[PayloadKey<T>];

/**
 * The payload of a message entity: its own properties, without the bookkeeping
 * and methods. A property whose type includes `null` or `undefined` may be left
 * out (the column is nullable, so it is stored as its default or NULL); the
 * others are required. Entities declare columns with `!`, so optionality
 * cannot come from `?` alone. A NOT NULL column with a database default is
 * still required here (its default is not in the type); leave it out through a
 * `| undefined` in its declaration.
 */
export type MessagePayload<T> = {
  [K in Exclude<PayloadKey<T>, OptionalKey<T>>]: T[K];
} & {
  [K in OptionalKey<T>]?: T[K];
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
  /** The message's payload: the entity's own properties (see {@link MessagePayload}). */
  readonly payload: MessagePayload<T>;
}

/**
 * Options of an entity's `enqueueMany`: `chunkSize` as for the free function;
 * `validate` runs class-validator on each payload as an entity instance
 * (default: when the entity has class-validator decorators).
 */
export type EntityEnqueueManyOptions = Omit<EnqueueManyOptions, 'entity' | 'validate'> & { readonly validate?: boolean };

/**
 * The producer operations of one message entity, bound to an EntityManager.
 * Counts are "messages changed" (see each core operation).
 */
export interface MessageOperations<T> extends QueueOperations {
  /** Enqueues one message; returns its id. Inside a transactional manager, it commits with it. */
  enqueue(payload: MessagePayload<T>, options?: EntityEnqueueOptions): Promise<string>;
  /** Enqueues many in multi-row INSERTs; returns their ids in order. */
  enqueueMany(items: ReadonlyArray<EntityEnqueueItem<T>>, options?: EntityEnqueueManyOptions): Promise<string[]>;
}

interface Resolved {
  readonly spec: MessageTableSpec;
  readonly persist: PersistValues;
}

// Specs and converters are resolved once per (DataSource, entity): metadata does not change after initialize().
const resolved = new WeakMap<object, WeakMap<Function, Resolved>>();

function resolve(target: unknown, dataSource: DataSource): Resolved {
  if (typeof target !== 'function') {
    throw new InvalidOptionError('vitess-messages/typeorm', 'entity', 'must be a @MessageTable entity class', typeof target === 'string' ? target : typeof target);
  }
  let byClass = resolved.get(dataSource);
  if (!byClass) resolved.set(dataSource, (byClass = new WeakMap()));
  let entry = byClass.get(target);
  if (!entry) byClass.set(target, (entry = { spec: getMessageTableSpec(target, dataSource), persist: persistValues(target, dataSource) }));
  return entry;
}

/**
 * Converts each payload as `manager.save` would store it and runs
 * class-validator on what the caller gave (before conversion), all before any
 * SQL; core then checks the converted values against the columns.
 */
async function prepareItems<I extends { readonly payload: unknown }>(
  entity: Function,
  { spec, persist }: Resolved,
  items: readonly I[],
  validate: boolean | undefined,
  many: boolean,
): Promise<Array<Omit<I, 'payload'> & { payload: Record<string, unknown> }>> {
  const table = tableLabel(spec);
  const validator = validate === false ? undefined : validate === true || hasValidationRules(entity) ? entity : undefined;
  const out: Array<Omit<I, 'payload'> & { payload: Record<string, unknown> }> = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item === null || typeof item !== 'object') throw new InvalidOptionError(`enqueueMany(${table})`, `items[${i}]`, 'must be an object { payload, … }', item);
    const index = many ? i : undefined;
    const payload = persist(item.payload, table, index);
    if (validator) await validateWithClass(table, validator, item.payload as object, index);
    out.push({ ...item, payload });
  }
  return out;
}

/**
 * The operations of `entity` on `manager` (an EntityManager, e.g. the one
 * `dataSource.transaction(m => …)` passes): statements run on that manager's
 * connection, so they join its transaction. Payloads are stored as
 * `manager.save` would store the same entity (column transformers, then the
 * driver's conversion). Throws NotAMessageTableError or UnknownEntityError for
 * a class that is not a message table of its DataSource.
 */
export function messageOperations<T extends ObjectLiteral>(manager: EntityManager, entity: new (...args: never[]) => T): MessageOperations<T> {
  if (!manager || typeof (manager as Partial<EntityManager>).query !== 'function') {
    throw new InvalidOptionError('messageOperations', 'manager', 'must be a TypeORM EntityManager', typeof manager);
  }
  const { spec } = resolve(entity, manager.connection);
  const executor = managerExecutor(manager);
  return {
    async enqueue(payload, options) {
      return (await enqueueEntity(manager, entity, payload, options)).id;
    },
    enqueueMany: (items, options) => enqueueEntities(manager, entity, items, options),
    ...bindQueueOperations(executor, spec),
  };
}

/**
 * Enqueues many messages of `entity` on `manager` in multi-row INSERTs and
 * returns their ids in order: what `messageOperations(…).enqueueMany` and the
 * entity queue handle's `enqueueMany` run.
 */
export async function enqueueEntities<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: new (...args: never[]) => T,
  items: ReadonlyArray<EntityEnqueueItem<T>>,
  options: EntityEnqueueManyOptions = {},
): Promise<string[]> {
  const entry = resolve(entity, manager.connection);
  const executor = managerExecutor(manager);
  const { validate, ...rest } = options;
  if (!Array.isArray(items)) return enqueueMany(executor, entry.spec, items, { ...rest, validate: false }); // core's error
  return enqueueMany(executor, entry.spec, await prepareItems(entity, entry, items, validate, true), { ...rest, validate: false });
}

/**
 * Enqueues one message of `entity` on `manager` and says whether it is new
 * (`{ id, inserted }`, see `EnqueueResult`): what `messageOperations(…).enqueue`
 * and the entity queue handle's `enqueue` run.
 */
export async function enqueueEntity<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: new (...args: never[]) => T,
  payload: MessagePayload<T>,
  options: EntityEnqueueOptions = {},
): Promise<EnqueueResult> {
  const entry = resolve(entity, manager.connection);
  const { validate, ...rest } = options;
  const [item] = await prepareItems(entity, entry, [{ payload }], validate, false);
  // Class-validator already ran on the caller's payload; core sees converted values.
  return enqueueReporting(managerExecutor(manager), entry.spec, item!.payload, { ...rest, validate: false });
}

/** The methods {@link messageRepositoryMethods} adds, typed for `Repository<T>`. */
export type MessageRepository<T extends ObjectLiteral> = Repository<T> & MessageOperations<T>;

/**
 * {@link MessageOperations} as methods of any `Repository<T>`: each method takes
 * its entity type from the repository it is called on (its `this`), so
 * `repo.extend(messageRepositoryMethods).enqueue(payload)` checks `payload`
 * against `MessagePayload<T>` as {@link messageRepository} does.
 */
export interface MessageRepositoryMethods {
  /** {@link MessageOperations.enqueue}, on this repository's entity and manager. */
  enqueue<T extends ObjectLiteral>(this: Repository<T>, payload: MessagePayload<T>, options?: EntityEnqueueOptions): Promise<string>;
  /** {@link MessageOperations.enqueueMany}, on this repository's entity and manager. */
  enqueueMany<T extends ObjectLiteral>(this: Repository<T>, items: ReadonlyArray<EntityEnqueueItem<T>>, options?: EntityEnqueueManyOptions): Promise<string[]>;
  /** {@link MessageOperations.ack}, on this repository's entity and manager. */
  ack(this: Repository<ObjectLiteral>, refs: MessageRef | readonly MessageRef[]): Promise<number>;
  /** {@link MessageOperations.nack}, on this repository's entity and manager. */
  nack(this: Repository<ObjectLiteral>, refs: MessageRef | readonly MessageRef[], options?: NackOptions): Promise<number>;
  /** {@link MessageOperations.fail}, on this repository's entity and manager. */
  fail(this: Repository<ObjectLiteral>, refs: MessageRef | readonly MessageRef[], options?: FailOptions): Promise<number>;
  /** {@link MessageOperations.retry}, on this repository's entity and manager. */
  retry(this: Repository<ObjectLiteral>, refs: MessageRef | readonly MessageRef[]): Promise<number>;
  /** {@link MessageOperations.extend}, on this repository's entity and manager. */
  extend(this: Repository<ObjectLiteral>, refs: MessageRef | readonly MessageRef[], options: ExtendOptions): Promise<number>;
  /** {@link MessageOperations.listFailed}, on this repository's entity and manager. */
  listFailed(this: Repository<ObjectLiteral>, options?: ListFailedOptions): Promise<FailedPage>;
  /** {@link MessageOperations.getMessages}, on this repository's entity and manager. */
  getMessages(this: Repository<ObjectLiteral>, refs: MessageRef | readonly MessageRef[]): Promise<MessageStatus[]>;
  /** {@link MessageOperations.counts}, on this repository's entity and manager. */
  counts(this: Repository<ObjectLiteral>, options?: CountsOptions): Promise<CountsResult>;
  /** {@link MessageOperations.purgeFailed}, on this repository's entity and manager. */
  purgeFailed(this: Repository<ObjectLiteral>, options: PurgeFailedOptions): Promise<number>;
  /**
   * {@link MessageOperations.get}, on this repository's entity and manager.
   * (A repository's own `get` does not exist in TypeORM; `findOne` stays untouched.)
   */
  get(this: Repository<ObjectLiteral>, ref: MessageRef): Promise<QueueMessage | null>;
}

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
export const messageRepositoryMethods: MessageRepositoryMethods = {
  enqueue(payload, options) {
    return ops(this).enqueue(payload, options);
  },
  enqueueMany(items, options) {
    return ops(this).enqueueMany(items, options);
  },
  ack(refs) {
    return ops(this).ack(refs);
  },
  nack(refs, options) {
    return ops(this).nack(refs, options);
  },
  fail(refs, options) {
    return ops(this).fail(refs, options);
  },
  retry(refs) {
    return ops(this).retry(refs);
  },
  extend(refs, options) {
    return ops(this).extend(refs, options);
  },
  listFailed(options) {
    return ops(this).listFailed(options);
  },
  getMessages(refs) {
    return ops(this).getMessages(refs);
  },
  counts(options) {
    return ops(this).counts(options);
  },
  purgeFailed(options) {
    return ops(this).purgeFailed(options);
  },
  get(ref) {
    return ops(this).get(ref);
  },
};

/**
 * The repository of a message entity with {@link MessageOperations}, typed:
 * `messageRepository(dataSource, EmailJob)`. Checks at once that the entity is
 * a message table of this DataSource.
 */
export function messageRepository<T extends ObjectLiteral>(source: DataSource | EntityManager, entity: new (...args: never[]) => T): MessageRepository<T> {
  const manager = 'manager' in source && !('withRepository' in source) ? (source as DataSource).manager : (source as EntityManager);
  resolve(entity, manager.connection);
  return manager.getRepository(entity).extend(messageRepositoryMethods) as unknown as MessageRepository<T>;
}
