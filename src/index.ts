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
export * from './subscriber/transport';
export * from './subscriber/grpc/vtgate-grpc-transport';
export { toStreamError } from './subscriber/grpc/stream-error';
