/** The options of `VitessMessagesModule.forRoot` / `forRootAsync`. */
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import type { DataSource, EntityManager, ObjectLiteral } from 'typeorm';
import type { EntityQueueSubscribeOptions } from '../typeorm/queue-handle';

/** A `@MessageTable` entity class. */
export type MessageEntityClass = new (...args: never[]) => ObjectLiteral;

/**
 * What the module's handles and subscribers run with: the subscriber options
 * (`address` — vtgate's gRPC host:port — `transport`, `concurrency`,
 * `closeTimeout`, …) are the defaults of every `@MessageHandler` and
 * injected handle; each `@MessageHandler(…, options)` may override them.
 */
export interface VitessMessagesOptions extends EntityQueueSubscribeOptions<ObjectLiteral> {
  /**
   * The initialized DataSource of the message entities. Default: the one
   * `@nestjs/typeorm` provides under `dataSourceToken` (its default
   * connection unless told otherwise).
   */
  readonly dataSource?: DataSource;
  /**
   * The ambient transaction's manager (see `EntityQueueOptions.ambientManager`).
   * Default: `@nestjs-cls/transactional`'s TransactionHost of this DataSource
   * when the application has one (`txHost.tx` while a transaction is active),
   * else none; `false` turns it off. `typeorm-transactional` needs nothing
   * here (it patches `dataSource.manager`, which handles read at each call).
   */
  readonly ambientManager?: (() => EntityManager | undefined) | false;
}

/** Options that shape the module itself (known when it is declared, not computed by a factory). */
export interface VitessMessagesModuleShape {
  /** The entities whose handles `@InjectQueue(Entity)` injects. `@MessageHandler` entities need not be listed. */
  readonly queues?: readonly MessageEntityClass[];
  /**
   * Where to find the DataSource when the options name none: `@nestjs/typeorm`'s
   * `getDataSourceToken(name)`. Default: TypeORM's `DataSource` class, the
   * token of `@nestjs/typeorm`'s default connection.
   */
  readonly dataSourceToken?: InjectionToken;
}

/** `VitessMessagesModule.forRoot(options)`. */
export type VitessMessagesModuleOptions = VitessMessagesOptions & VitessMessagesModuleShape;

/** `VitessMessagesModule.forRootAsync(options)`: the options from a factory (e.g. `ConfigService`). */
export interface VitessMessagesModuleAsyncOptions extends VitessMessagesModuleShape, Pick<ModuleMetadata, 'imports'> {
  /** Builds the options; receives `inject`'s providers. */
  readonly useFactory: (...args: any[]) => VitessMessagesOptions | Promise<VitessMessagesOptions>;
  /** Providers the factory receives, in order. */
  readonly inject?: ReadonlyArray<InjectionToken | OptionalFactoryDependency>;
}
