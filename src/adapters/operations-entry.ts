/**
 * What the ORM-free entry points (`vitess-messages/mysql2`, `vitess-messages/prisma`)
 * re-export besides their adapter: the operations and their types.
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
export type { Executor, ExecResult, SqlParam, Statement } from '../core/executor';
export type { MessageTableSpec, PayloadColumnSpec } from '../core/spec';
