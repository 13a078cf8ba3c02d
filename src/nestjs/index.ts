/**
 * `vitess-messages/nestjs`: the NestJS module. Loads `@nestjs/common`,
 * `@nestjs/core` and TypeORM (the message entities' ORM); never
 * `@nestjs/typeorm`, `nestjs-cls` or `typeorm-transactional`, which it works
 * with when the application has them.
 */
import 'reflect-metadata';
export { VitessMessagesModule } from './vitess-messages-module';
export { MessageQueues, type HandlerSubscription } from './message-queues';
export { InjectQueue } from './inject-queue';
export { MessageHandler, getMessageHandlerMetadata, type MessageHandlerMetadata } from './message-handler';
export { getQueueToken, VITESS_MESSAGES_OPTIONS, VITESS_MESSAGES_DATA_SOURCE } from './tokens';
export type {
  VitessMessagesOptions, VitessMessagesModuleOptions, VitessMessagesModuleAsyncOptions, VitessMessagesModuleShape, MessageEntityClass,
} from './module-options';
export type { EntityMessageQueue, EntityQueueSubscribeOptions } from '../typeorm/queue-handle';
export type { Delivered } from '../typeorm/subscribe';
export type { MessageContext } from '../subscriber/message';
