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
 * This entry point loads neither TypeORM nor Prisma. Every export is listed by
 * name: what is not here is internal and may change in any release. The public
 * surface is pinned by `api/vitess-messages.api.md` (`npm run api` regenerates it).
 *
 * @packageDocumentation
 */

// The queue handle: a table bound to where its statements run.
export {
  messageQueue, type MessageQueue, type QueueHandleOptions, type QueueSubscribeOptions,
  type QueuePayload, type DeliveredMessage, type QueueItem,
} from './queue-handle';
export type { QueueOperations } from './core/queue-operations';

// Message tables without TypeORM, and their DDL (what `print-sql` prints).
export { defineMessageTable, type DefineMessageTableInput, type ColumnInput, type VindexInput } from './core/define';
export type { InferPayload, ColumnValue, SqlTypeValue } from './core/payload-type';
export type { MessageTableSpec, PayloadColumnSpec, IndexSpec, MessageTableOptions, payloadType } from './core/spec';
export type { MessageTableOptionsInput } from './core/options';
export { buildSchemaSql, buildDropSchemaSql } from './migration/ddl';
export { buildUpgradeSql, buildDowngradeSql } from './migration/upgrade';

// Producer: operations over any Executor, in the caller's transaction.
export type { Executor, ExecResult, SqlParam } from './core/executor';
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
export { COUNTS_INDEX_COLUMNS } from './core/sql/counts';
export { fromMysql2, type Mysql2Like, type Mysql2PromiseLike, type Mysql2CallbackLike } from './adapters/mysql2';
export { fromPrisma, type PrismaLike } from './adapters/prisma-executor';
export { idFromKey, type MessageId } from './core/ids';
export type { Duration, DurationUnit } from './core/time';

// Consumer: a subscriber (handler per message) or a stream (async iterator).
export { subscribe, Subscriber, type MessageHandler } from './subscriber/subscriber';
export { stream, MessageStream } from './subscriber/message-stream';
export type { SubscriberCore } from './subscriber/subscriber-core';
export type { TypedEmitter, EventMap } from './subscriber/typed-emitter';
export type { Hydrator } from './subscriber/hydrator';
export type { SubscriberOptions, StreamOptions, CloseOptions, HandlerOnlyOption } from './subscriber/options';
export type { SubscriberStats, SubscriberEvents } from './subscriber/events';
export type { MessageContext, ReceivedMessage, Settlement } from './subscriber/message';
export type { Backoff } from './subscriber/backoff';

// Transports: vtgate's gRPC port (the default) or its MySQL port, and the seam for another.
export { VtgateGrpcTransport, type VtgateGrpcOptions } from './subscriber/grpc/vtgate-grpc-transport';
export { VtgateMysqlTransport, type VtgateMysqlOptions } from './subscriber/mysql/vtgate-mysql-transport';
export type { StreamTransport, StreamRequest, StreamCall, StreamPacket } from './subscriber/transport';
export type { StreamField, WireRow } from './core/decode';

// Errors: every one a VitessMessagesError.
export {
  VitessMessagesError, InvalidOptionError, StreamError, ConnectError, PayloadValidationError, QueryError,
  PayloadTooLongError, DuplicateIdError, UnknownEntityError, NotAMessageTableError, UnrecoverableError,
  RetryLaterError, AckWriteError, type PayloadProblem, type DuplicateIdClash,
} from './core/errors';
export { RowDecodeError } from './core/decode';

// The Go client's Queue, for people porting from it.
export { Queue, type QueueOptions, type QueueOpenOptions, type QueueGetOptions, type QueueMessage as QueueReceivedMessage } from './queue';

// The dashboard: one page over node:http for a team on call.
export { serveDashboard, type DashboardOptions, type Dashboard } from './dashboard/server';
export { DashboardRequestError } from './dashboard/request-error';
export type { BasicAuthCredentials } from './dashboard/request-guard';

// Admin reads and repairs (the CLI's and the dashboard's): why a message is (not)
// delivered, the live tables, batches of dead letters. None of them streams.
export { explainMessage, formatExplanation, type Explanation, type ExplainState, type ExplainFacts, type ExplainOptions } from './admin/explain';
export { listMessageTables, describeTable, specFromTable, type MessageTableInfo, type ColumnInfo, type ListTablesOptions } from './admin/tables';
export { readTabletCounters, TabletHttpError, type TabletCounters, type TableCounters } from './admin/tablet-counters';
export {
  retryAllFailed, purgeFailedBatches,
  type BatchProgress, type BatchOptions, type BatchResult, type RetryAllFailedOptions, type PurgeFailedBatchesOptions,
} from './admin/failed-batches';
