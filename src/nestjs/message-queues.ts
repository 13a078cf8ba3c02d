/**
 * The module's one service: builds the queue handles (one per entity, with the
 * module's defaults and the ambient transaction), subscribes every
 * `@MessageHandler` method at bootstrap and drains them on shutdown.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { DataSource, EntityManager, ObjectLiteral } from 'typeorm';
import type { Subscriber } from '../subscriber/subscriber';
import { messageQueue, type EntityMessageQueue } from '../typeorm/queue-handle';
import type { Delivered } from '../typeorm/subscribe';
import { findAmbientManager } from './ambient-transaction-host';
import { getMessageHandlerMetadata } from './message-handler';
import type { VitessMessagesOptions } from './module-options';
import { VITESS_MESSAGES_DATA_SOURCE, VITESS_MESSAGES_OPTIONS } from './tokens';

/** One subscribed `@MessageHandler` method. */
export interface HandlerSubscription {
  /** `ClassName.method`. */
  readonly name: string;
  /** The running subscriber: its events, `stats()` and lifecycle. */
  readonly subscriber: Subscriber<Delivered<ObjectLiteral>>;
}

/**
 * The queue handles and handler subscriptions of the application; inject it
 * for `queues.get(Entity)` (any message entity, listed in `queues` or not) or
 * to watch the subscribers (`queues.subscriptions`, their events and stats).
 */
@Injectable()
export class MessageQueues implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger('VitessMessages');
  readonly #handles = new Map<Function, EntityMessageQueue<ObjectLiteral>>();
  readonly #subscriptions: HandlerSubscription[] = [];
  #ambient: (() => EntityManager | undefined) | undefined | null = null; // null: not looked up yet

  constructor(
    @Inject(VITESS_MESSAGES_OPTIONS) private readonly options: VitessMessagesOptions,
    /** The DataSource the handles and handlers use. */
    @Inject(VITESS_MESSAGES_DATA_SOURCE) readonly dataSource: DataSource,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
  ) {}

  /** The queue handle of a `@MessageTable` entity of the module's DataSource (built once). */
  get<T extends ObjectLiteral>(entity: new (...args: never[]) => T): EntityMessageQueue<T> {
    let handle = this.#handles.get(entity);
    if (!handle) {
      const { dataSource: _ds, ambientManager: _ambient, ...defaults } = this.options;
      handle = messageQueue(entity as new (...args: never[]) => ObjectLiteral, {
        ...defaults,
        dataSource: this.dataSource,
        // Looked up at the first call, when every provider of the application exists.
        ambientManager: () => this.#ambientManager()?.(),
      });
      this.#handles.set(entity, handle);
    }
    return handle as unknown as EntityMessageQueue<T>;
  }

  /** The subscribed `@MessageHandler` methods. */
  get subscriptions(): readonly HandlerSubscription[] {
    return this.#subscriptions;
  }

  #ambientManager(): (() => EntityManager | undefined) | undefined {
    if (this.#ambient === null) {
      const given = this.options.ambientManager;
      this.#ambient = given === false ? undefined : given ?? findAmbientManager(this.discovery, this.dataSource);
    }
    return this.#ambient;
  }

  /**
   * Subscribes every `@MessageHandler` method and waits until each stream is
   * ready. If one cannot open (an unknown table, vtgate unreachable), every
   * subscriber is closed and the first error (in handler order) is thrown, so
   * a failed bootstrap leaves no stream running.
   */
  async onApplicationBootstrap(): Promise<void> {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const instance: unknown = wrapper.isDependencyTreeStatic() ? wrapper.instance : undefined;
      if (!wrapper.isDependencyTreeStatic()) {
        // A request- or transient-scoped class has no one instance to subscribe: say so rather than ignore it.
        const proto = (wrapper.metatype as { prototype?: object } | null | undefined)?.prototype ?? null;
        const marked = proto ? this.scanner.getAllMethodNames(proto).filter((k) => getMessageHandlerMetadata((proto as Record<string, unknown>)[k])) : [];
        if (marked.length > 0) this.#logger.warn(`@MessageHandler on ${wrapper.name}.${marked.join(', ')} is ignored: the class is not a singleton`);
        continue;
      }
      if (instance === null || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      for (const key of this.scanner.getAllMethodNames(prototype)) {
        const method = (instance as Record<string, unknown>)[key] as (...args: unknown[]) => unknown;
        const metadata = getMessageHandlerMetadata(method);
        if (!metadata) continue;
        const name = `${instance.constructor.name}.${key}`;
        const subscriber = this.get(metadata.entity).subscribe((message, ctx) => method.call(instance, message, ctx), metadata.options);
        subscriber.on('error', (err) => this.#logger.error(`${name}: ${err instanceof Error ? err.message : String(err)}`));
        this.#subscriptions.push({ name, subscriber });
      }
    }
    const ready = await Promise.allSettled(this.#subscriptions.map((s) => s.subscriber.waitUntilReady()));
    const failed = ready.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Nest runs no destroy hook after a failed bootstrap: streams left open would keep the process alive.
      await Promise.allSettled(this.#subscriptions.map((s) => s.subscriber.close()));
      throw failed.reason;
    }
  }

  /**
   * Drains on shutdown: each subscriber stops taking messages, lets its
   * running handlers finish (up to `closeTimeout`) and writes their acks,
   * before `@nestjs/typeorm` closes the DataSource (its
   * `onApplicationShutdown` comes later).
   */
  async onModuleDestroy(): Promise<void> {
    const subscriptions = this.#subscriptions.splice(0);
    await Promise.all(subscriptions.map((s) => s.subscriber.close()));
  }
}
