/**
 * vitess-messages: Vitess Messaging as a transactional job queue.
 *
 * Glossary
 * - message: a row of a message table; delivered at least once until acked.
 * - message table: a table whose comment starts `vitess_message,`; vttablet
 *   streams its due rows to subscribers.
 * - epoch: how many times a message was delivered before (0 on a first delivery).
 * - ack: mark done (`time_acked` set); never delivered again, purged later.
 * - nack: make due again now or after a delay, keeping its epoch.
 * - fail (dead letter): park a message forever with a reason; `retry` revives it.
 * - lease: the ack wait during which a delivered message is not sent again.
 * - drain: stop taking messages, finish the running ones, settle the rest.
 *
 * This entry point loads neither TypeORM nor Prisma.
 */
export * from './core/errors';
export * from './core/ids';
export * from './core/time';
export * from './core/identifiers';
export * from './core/decode';
export * from './core/spec';
export * from './core/options';
export type { InferPayload, ColumnValue, SqlTypeValue } from './core/payload-type';
export { defineMessageTable, BOOKKEEPING_COLUMNS, LEGACY_BOOKKEEPING_NAMES, type DefineMessageTableInput, type ColumnInput, type VindexInput } from './core/define';
export * from './migration/ddl';
export { buildUpgradeSql, buildDowngradeSql, missingBookkeeping, BOOKKEEPING_NAMES, type MissingBookkeeping } from './migration/upgrade';
export * from './subscriber/transport';
export * from './subscriber/grpc/vtgate-grpc-transport';
export { toStreamError } from './subscriber/grpc/stream-error';
export { subscribe, Subscriber, type MessageHandler } from './subscriber/subscriber';
export { stream, MessageStream } from './subscriber/message-stream';
export { plainHydrator, type Hydrator } from './subscriber/hydrator';
export type { SubscriberOptions, StreamOptions, CloseOptions } from './subscriber/options';
export type { SubscriberStats, SubscriberEvents } from './subscriber/events';
export type { MessageContext, ReceivedMessage, Settlement } from './subscriber/message';
export { backoffDelayMs, DEFAULT_RETRY_BACKOFF, DEFAULT_RECONNECT_BACKOFF, type Backoff } from './subscriber/backoff';
export * from './subscriber/mysql/vtgate-mysql-transport';
export { mysqlToStreamError } from './subscriber/mysql/mysql-stream-error';
// Producer: operations over any Executor, adapters, pure SQL builders, the seed-compatible Queue.
export type { Executor, ExecResult, SqlParam, Statement } from './core/executor';
export {
  enqueue, enqueueReporting, enqueueMany, ack, nack, fail, retry, extend, listFailed, getMessages,
  type EnqueueResult, type DeliveryOptions, type MessageOptions, type ValidationOptions, type EnqueueOptions, type EnqueueItem,
  type EnqueueManyOptions, type MessageRef, type RaceOptions, type FailOptions, type ExtendOptions,
  type ListFailedOptions, type FailedMessage, type FailedPage, type MessageState, type MessageStatus, type NackOptions,
} from './core/operations';
export {
  counts, purgeFailed, get,
  type QueueMessageState, type QueueCounts, type CountsResult, type ShardConnection, type CountsOptions,
  type PurgeFailedOptions, type QueueMessage,
} from './core/queue-admin';
export { fromMysql2, type Mysql2Like, type Mysql2PromiseLike, type Mysql2CallbackLike } from './adapters/mysql2';
export { fromPrisma, type PrismaLike } from './adapters/prisma';
export {
  buildEnqueue, buildAck, buildNack, buildFail, buildRetry, buildExtend, buildListFailed, buildGetMessages,
  buildCounts, buildPurgeFailed, buildGet, buildShowShards, buildUseShard,
  DEFAULT_VALUE, DB_NOW_NS, type EnqueueRow, type TargetBatch,
} from './core/sql';
export { Queue, type QueueOptions } from './queue';
export type { QueueOperations } from './core/queue-operations';
export {
  messageQueue, type MessageQueue, type QueueHandleOptions, type QueueSubscribeOptions,
  type QueuePayload, type DeliveredMessage, type QueueItem,
} from './queue-handle';
// Admin reads and repairs (the CLI's and the dashboard's): why a message is (not) delivered, the live tables, batches of dead letters.
export {
  explainMessage, formatExplanation, backoffRange,
  type Explanation, type ExplainState, type ExplainFacts, type ExplainOptions,
} from './admin/explain';
export {
  listMessageTables, describeTable, specFromTable, servedKeyspaces,
  type MessageTableInfo, type ColumnInfo, type ListTablesOptions,
} from './admin/tables';
export {
  readTabletCounters, readTablets, parseTabletVars, countersFor, TabletHttpError,
  type TabletCounters, type TableCounters,
} from './admin/tablet-counters';
export {
  retryAllFailed, purgeFailedBatches,
  type BatchProgress, type BatchOptions, type BatchResult, type RetryAllFailedOptions, type PurgeFailedBatchesOptions,
} from './admin/failed-batches';
export { parseMessageComment, messageTableProblem, type ParsedMessageComment } from './core/message-comment';
