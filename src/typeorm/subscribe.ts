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
import { fromEntityManager } from './entity-manager-executor';
import { entityHydrator } from './hydrate';
import { getMessageTableSpec } from './registry';

/** Options of the TypeORM {@link subscribe} and {@link stream}. */
export interface EntitySubscriberOptions<T> extends Omit<SubscriberOptions<T>, 'executor' | 'hydrate'> {
  /** The initialized DataSource the entity belongs to: metadata, hydration, and (by default) acks. */
  readonly dataSource: DataSource;
  /** Where acks/nacks/fails go. Default: `dataSource.manager`. */
  readonly executor?: Executor;
}

/** Options of the TypeORM {@link stream}: the handler-only options (`maxAttempts`, `retryBackoff`, `handlerTimeoutMs`) are refused. */
export type EntityStreamOptions<T> = Omit<EntitySubscriberOptions<T>, HandlerOnlyOption>;

function prepare<T>(entity: Function, options: EntitySubscriberOptions<T>, subject: string) {
  const { dataSource } = options;
  if (!dataSource || typeof dataSource.getMetadata !== 'function') throw new InvalidOptionError(subject, 'dataSource', 'must be an initialized TypeORM DataSource', typeof dataSource);
  if (!dataSource.isInitialized) throw new InvalidOptionError(subject, 'dataSource', 'must be initialized (await dataSource.initialize()) before subscribing');
  const spec = getMessageTableSpec(entity, dataSource);
  const { dataSource: _ds, executor, ...rest } = options;
  const core: SubscriberOptions<T> = { ...rest, executor: executor ?? fromEntityManager(dataSource.manager), hydrate: entityHydrator<T>(entity, dataSource) };
  return { spec, core };
}

/**
 * Subscribes `handler` to a `@MessageTable` entity's table; messages arrive as
 * entity instances hydrated as `manager.findOneBy` would return them. Acked when
 * the handler resolves, nacked when it throws; at least once, so handlers must
 * be idempotent.
 */
export function subscribe<T>(entity: new (...args: never[]) => T, handler: MessageHandler<T>, options: EntitySubscriberOptions<T>): Subscriber<T> {
  const { spec, core } = prepare(entity, options, 'subscribe');
  return new Subscriber<T>(spec, handler, core);
}

/** The entity's messages as an async iterator; settle each with `m.ack()` / `m.nack()` / `m.fail()`. */
export function stream<T>(entity: new (...args: never[]) => T, options: EntityStreamOptions<T>): MessageStream<T> {
  const { spec, core } = prepare<T>(entity, options as EntitySubscriberOptions<T>, 'stream');
  return new MessageStream<T>(spec, core);
}
