/**
 * What every ORM-free entry point (`vitess-messages/mysql2`, `/prisma`,
 * `/kysely`) offers besides its adapter: the operations and their types,
 * listed by name once here; each entry re-exports this list.
 */
export {
  enqueue, enqueueMany, ack, nack, fail, retry, extend, listFailed, getMessages,
  type DeliveryOptions, type MessageOptions, type ValidationOptions, type EnqueueOptions, type EnqueueItem,
  type EnqueueManyOptions, type MessageRef, type RaceOptions, type NackOptions, type FailOptions,
  type ExtendOptions, type ListFailedOptions, type FailedMessage, type FailedPage, type MessageState, type MessageStatus,
} from '../core/operations';
export {
  counts, purgeFailed, get,
  type QueueMessageState, type QueueCounts, type CountsResult, type ShardConnection, type CountsOptions,
  type PurgeFailedOptions, type QueueMessage,
} from '../core/queue-admin';
export type { Executor, ExecResult, SqlParam } from '../core/executor';
export type { MessageTableSpec, PayloadColumnSpec } from '../core/spec';
