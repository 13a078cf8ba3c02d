/**
 * The TypeORM form of the subscriber: `subscribe(Entity, handler, { dataSource })`
 * and `stream(Entity, { dataSource })` hand out hydrated entity instances.
 */
import type { DataSource } from 'typeorm';
import type { Executor } from '../core/executor';
import { InvalidOptionError } from '../core/errors';
import { MessageStream } from '../subscriber/message-stream';
import type { HandlerOnlyOption, SubscriberOptions } from '../subscriber/options';
import { Subscriber, type MessageHandler } from '../subscriber/subscriber';
import { fromDataSource } from './entity-manager-executor';
import { entityHydrator } from './hydrate';
import { getMessageTableSpec } from './registry';

/**
 * An entity as a subscriber delivers it: hydrated from the stream, which
 * carries `id`, `epoch` and the streamed payload columns but none of Vitess's
 * other bookkeeping, so `priority`, `timeNext`, `timeAcked`, `failureReason`,
 * `enqueuedAt` and `failedAt` are left out of its type (at run time they are absent).
 * Its `epoch` is the streamed one: earlier deliveries, 0 on the first, the
 * same as `ctx.epoch` (the row itself is one higher once the tablet postponed
 * it).
 */
export type Delivered<T> = Omit<T, 'priority' | 'timeNext' | 'timeAcked' | 'failureReason' | 'enqueuedAt' | 'failedAt'>;

/** Options of the TypeORM {@link subscribe} and {@link stream}. */
export interface EntitySubscriberOptions<T> extends Omit<SubscriberOptions<T>, 'executor' | 'hydrate'> {
  /** The initialized DataSource the entity belongs to: metadata, hydration, and (by default) acks. */
  readonly dataSource: DataSource;
  /**
   * Where acks/nacks/fails go. Default: the DataSource's pool, one autocommit
   * statement each, never an ambient transaction (see `fromDataSource`).
   */
  readonly executor?: Executor;
}

/** Options of the TypeORM {@link stream}: the handler-only options (`maxAttempts`, `retryBackoff`, `handlerTimeout`) are refused. */
export type EntityStreamOptions<T> = Omit<EntitySubscriberOptions<T>, HandlerOnlyOption>;

function prepare<T>(entity: Function, options: EntitySubscriberOptions<T>, subject: string) {
  const { dataSource } = options;
  if (!dataSource || typeof dataSource.getMetadata !== 'function') throw new InvalidOptionError(subject, 'dataSource', 'must be an initialized TypeORM DataSource', typeof dataSource);
  if (!dataSource.isInitialized) throw new InvalidOptionError(subject, 'dataSource', 'must be initialized (await dataSource.initialize()) before subscribing');
  const spec = getMessageTableSpec(entity, dataSource);
  const { dataSource: _ds, executor, ...rest } = options;
  const core: SubscriberOptions<T> = { ...rest, executor: executor ?? fromDataSource(dataSource), hydrate: entityHydrator<T>(entity, dataSource) };
  return { spec, core };
}

/**
 * Subscribes `handler` to a `@MessageTable` entity's table; messages arrive as
 * entity instances hydrated as `manager.findOneBy` would return them, less the
 * columns the stream does not carry (see {@link Delivered}). Acked when
 * the handler resolves, nacked when it throws; at least once, so handlers must
 * be idempotent.
 */
export function subscribe<T>(entity: new (...args: never[]) => T, handler: MessageHandler<Delivered<T>>, options: EntitySubscriberOptions<Delivered<T>>): Subscriber<Delivered<T>> {
  const { spec, core } = prepare<Delivered<T>>(entity, options, 'subscribe');
  return new Subscriber<Delivered<T>>(spec, handler, core);
}

/** The entity's messages as an async iterator; settle each with `m.ack()` / `m.nack()` / `m.fail()`. */
export function stream<T>(entity: new (...args: never[]) => T, options: EntityStreamOptions<Delivered<T>>): MessageStream<Delivered<T>> {
  const { spec, core } = prepare<Delivered<T>>(entity, options as EntitySubscriberOptions<Delivered<T>>, 'stream');
  return new MessageStream<Delivered<T>>(spec, core);
}
