/**
 * `@MessageHandler(EmailJob, options)` on a provider's or controller's method:
 * the module finds it at bootstrap and subscribes it to the entity's table.
 */
import type { ObjectLiteral } from 'typeorm';
import { InvalidOptionError } from '../core/errors';
import type { MessageContext } from '../subscriber/message';
import type { Delivered } from '../typeorm/subscribe';
import type { EntityQueueSubscribeOptions } from '../typeorm/queue-handle';

/** What {@link MessageHandler} records on a method. */
export interface MessageHandlerMetadata {
  /** The `@MessageTable` entity whose messages the method handles. */
  readonly entity: new (...args: never[]) => ObjectLiteral;
  /** The subscriber options given to the decorator. */
  readonly options: EntityQueueSubscribeOptions<ObjectLiteral>;
}

const HANDLER_METADATA = Symbol('vitess-messages:message-handler');

/** The {@link MessageHandler} metadata of a method, if it has any. */
export function getMessageHandlerMetadata(method: unknown): MessageHandlerMetadata | undefined {
  return typeof method === 'function' ? (Reflect.getMetadata(HANDLER_METADATA, method) as MessageHandlerMetadata | undefined) : undefined;
}

/**
 * Marks a method as the handler of `entity`'s messages: at application
 * bootstrap `VitessMessagesModule` subscribes it (one subscriber per method,
 * the module's subscriber options merged with `options`: `concurrency`,
 * `maxAttempts`, `handlerTimeout`, …) and waits until its stream is ready; on
 * shutdown (`app.close()`, or a signal with `app.enableShutdownHooks()`) it
 * stops taking messages and drains: handlers in flight finish and are acked
 * before the DataSource closes. The method receives the delivered entity and
 * the message context; resolving acks the message, throwing nacks it with a
 * backoff (at least once: handlers must be idempotent). The class must be a
 * singleton provider or controller of the application.
 *
 * ```ts
 * @MessageHandler(EmailJob, { concurrency: 4 })
 * async send(job: Delivered<EmailJob>, ctx: MessageContext) { await this.mailer.send(job.recipient); }
 * ```
 */
export function MessageHandler<T extends ObjectLiteral>(
  entity: new (...args: never[]) => T,
  options: EntityQueueSubscribeOptions<T> = {},
): <M extends (message: Delivered<T>, ctx: MessageContext) => unknown>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>) => void {
  if (typeof entity !== 'function') throw new InvalidOptionError('@MessageHandler', 'entity', 'must be a @MessageTable entity class', typeof entity);
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(`@MessageHandler(${entity.name})`, 'options', 'must be subscriber options', options);
  return (_target, key, descriptor) => {
    if (typeof descriptor.value !== 'function') {
      throw new InvalidOptionError(`@MessageHandler(${entity.name})`, String(key), 'must decorate a method');
    }
    const metadata: MessageHandlerMetadata = { entity, options: options as EntityQueueSubscribeOptions<ObjectLiteral> };
    Reflect.defineMetadata(HANDLER_METADATA, metadata, descriptor.value);
  };
}
