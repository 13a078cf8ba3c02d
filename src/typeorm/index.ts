/**
 * `vitess-messages/typeorm`: message tables as TypeORM entities. Importing this
 * entry loads TypeORM; the main entry never does.
 */
import 'reflect-metadata';
export { MessageTable, type MessageTableDecoratorOptions } from './message-table';
export { VitessMessage } from './vitess-message';
export { getMessageTableSpec, isMessageTable, messageTableClasses } from './registry';
export { generateMigration, messageTablesOf, type GenerateMigrationOptions, type GenerateMigrationResult } from './generate-migration';
export { subscribe, stream, type EntitySubscriberOptions, type EntityStreamOptions, type Delivered } from './subscribe';
export { entityHydrator } from './hydrate';
export { fromEntityManager, fromDataSource, type EntityManagerLike, type QueryRunnerLike, type DataSourceLike } from './entity-manager-executor';
export {
  messageRepositoryMethods, messageRepository, messageOperations,
  type MessageRepository, type MessageRepositoryMethods, type MessageOperations, type MessagePayload, type EntityEnqueueOptions,
  type EntityEnqueueItem, type EntityEnqueueManyOptions,
} from './repository';
export { messageQueue, type EntityMessageQueue, type EntityQueueOptions, type EntityQueueSubscribeOptions } from './queue-handle';
export type { EnqueueResult } from '../core/operations';
