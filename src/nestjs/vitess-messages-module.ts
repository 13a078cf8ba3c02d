/**
 * `VitessMessagesModule`: the queue handles of `@MessageTable` entities as
 * injectable providers, and `@MessageHandler` methods subscribed at bootstrap
 * and drained on shutdown.
 */
import { Module, type DynamicModule, type FactoryProvider, type InjectionToken, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { InvalidOptionError } from '../core/errors';
import { checkSubscribeOptions } from '../queue-handle';
import { MessageQueues } from './message-queues';
import type { MessageEntityClass, VitessMessagesModuleAsyncOptions, VitessMessagesModuleOptions, VitessMessagesModuleShape, VitessMessagesOptions } from './module-options';
import { getQueueToken, VITESS_MESSAGES_DATA_SOURCE, VITESS_MESSAGES_OPTIONS } from './tokens';

const SUBJECT = 'VitessMessagesModule';

function checkOptions(options: VitessMessagesOptions): VitessMessagesOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(SUBJECT, 'options', 'must be { address, … }', options);
  checkSubscribeOptions(options, SUBJECT, ['dataSource', 'ambientManager']);
  const { ambientManager } = options;
  if (ambientManager !== undefined && ambientManager !== false && typeof ambientManager !== 'function') {
    throw new InvalidOptionError(SUBJECT, 'ambientManager', 'must be a function returning an EntityManager or undefined, or false', typeof ambientManager);
  }
  return options;
}

function providers(shape: VitessMessagesModuleShape, options: Provider): Provider[] {
  const queues: readonly MessageEntityClass[] = shape.queues ?? [];
  if (!Array.isArray(queues) || queues.some((q) => typeof q !== 'function')) {
    throw new InvalidOptionError(SUBJECT, 'queues', 'must be an array of @MessageTable entity classes', queues);
  }
  const token: InjectionToken = shape.dataSourceToken ?? DataSource;
  const dataSource: FactoryProvider = {
    provide: VITESS_MESSAGES_DATA_SOURCE,
    useFactory: (resolved: VitessMessagesOptions, injected: DataSource | undefined) => {
      const ds = resolved.dataSource ?? injected;
      if (!ds) throw new InvalidOptionError(SUBJECT, 'dataSource', `is required: none given and none provided under ${String(typeof token === 'function' ? token.name : token)} (import TypeOrmModule.forRoot first, or pass dataSource)`);
      return ds;
    },
    inject: [VITESS_MESSAGES_OPTIONS, { token, optional: true }],
  };
  const handles: FactoryProvider[] = queues.map((entity) => ({
    provide: getQueueToken(entity),
    useFactory: (queues: MessageQueues) => queues.get(entity),
    inject: [MessageQueues],
  }));
  return [options, dataSource, MessageQueues, ...handles];
}

function exportsOf(shape: VitessMessagesModuleShape): Array<InjectionToken> {
  return [MessageQueues, VITESS_MESSAGES_DATA_SOURCE, ...(shape.queues ?? []).map(getQueueToken)];
}

/**
 * The NestJS module of vitess-messages (global: its handles inject anywhere).
 *
 * ```ts
 * @Module({ imports: [
 *   TypeOrmModule.forRoot({ type: 'mysql', …, entities: [Order, EmailJob] }),
 *   VitessMessagesModule.forRoot({ address: 'vtgate:15991', queues: [EmailJob] }),
 * ] })
 * export class AppModule {}
 * ```
 */
@Module({})
export class VitessMessagesModule {
  /** The module with static options. */
  static forRoot(options: VitessMessagesModuleOptions): DynamicModule {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError(SUBJECT, 'options', 'must be { address, queues?, … }', options);
    const { queues, dataSourceToken, ...rest } = options;
    const shape = { queues, dataSourceToken };
    return {
      module: VitessMessagesModule,
      global: true,
      imports: [DiscoveryModule],
      providers: providers(shape, { provide: VITESS_MESSAGES_OPTIONS, useValue: Object.freeze(checkOptions(rest)) }),
      exports: exportsOf(shape),
    };
  }

  /** The module with options from a factory (`useFactory` + `inject`, `imports` for its providers). */
  static forRootAsync(options: VitessMessagesModuleAsyncOptions): DynamicModule {
    if (options === null || typeof options !== 'object' || typeof options.useFactory !== 'function') {
      throw new InvalidOptionError(SUBJECT, 'useFactory', 'is required: a function returning the options');
    }
    const { useFactory, inject = [], imports = [] } = options;
    return {
      module: VitessMessagesModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers: providers(options, {
        provide: VITESS_MESSAGES_OPTIONS,
        useFactory: async (...args: unknown[]) => Object.freeze(checkOptions(await useFactory(...args))),
        inject: [...inject],
      }),
      exports: exportsOf(options),
    };
  }
}
