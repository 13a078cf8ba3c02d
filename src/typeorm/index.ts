/**
 * `vitess-messages/typeorm`: message tables as TypeORM entities. Importing this
 * entry loads TypeORM; the main entry never does. Every export is listed by
 * name; the surface is pinned by `api/typeorm.api.md`.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';
export { MessageTable, type MessageTableDecoratorOptions } from './message-table';
export { VitessMessage } from './vitess-message';
export { getMessageTableSpec, isMessageTable } from './registry';
export { generateMigration, messageTablesOf, type GenerateMigrationOptions, type GenerateMigrationResult } from './generate-migration';
export type { GenerateMigrationOptions as SpecGenerateMigrationOptions } from '../migration/generate';
export { subscribe, stream, type EntitySubscriberOptions, type EntityStreamOptions, type Delivered } from './subscribe';
export { fromEntityManager, fromDataSource, type EntityManagerLike, type QueryRunnerLike, type DataSourceLike } from './entity-manager-executor';
export {
  messageRepositoryMethods, messageRepository, messageOperations,
  type MessageRepository, type MessageRepositoryMethods, type MessageOperations, type MessagePayload, type EntityEnqueueOptions,
  type EntityEnqueueItem, type EntityEnqueueManyOptions,
} from './repository';
export { messageQueue, type EntityMessageQueue, type EntityQueueOptions, type EntityQueueSubscribeOptions } from './queue-handle';
export type { EnqueueResult } from '../core/operations';
