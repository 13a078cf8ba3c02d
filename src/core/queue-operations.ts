/**
 * The settle and inspection operations of one message table bound to one
 * executor: what the queue handles and the TypeORM repository methods share.
 */
import type { Executor } from './executor';
import {
  ack, extend, fail, getMessages, listFailed, nack, retry,
  type ExtendOptions, type FailedPage, type FailOptions, type ListFailedOptions, type MessageRef, type MessageStatus, type NackOptions,
} from './operations';
import { counts, get, purgeFailed, type CountsOptions, type CountsResult, type PurgeFailedOptions, type QueueMessage } from './queue-admin';
import type { MessageTableSpec } from './spec';

/** The settle and inspection operations every handle has (see the free functions of the same names). */
export interface QueueOperations {
  /** Acks; returns how many were acked now ({@link ack}). */
  ack(refs: MessageRef | readonly MessageRef[]): Promise<number>;
  /** Makes messages due again, epoch kept; never touches failed ones ({@link nack}). */
  nack(refs: MessageRef | readonly MessageRef[], options?: NackOptions): Promise<number>;
  /** Dead-letters messages with a reason ({@link fail}). */
  fail(refs: MessageRef | readonly MessageRef[], options?: FailOptions): Promise<number>;
  /** Revives failed messages: due now, epoch 0, reason cleared ({@link retry}). */
  retry(refs: MessageRef | readonly MessageRef[]): Promise<number>;
  /** Extends the leases of messages being handled ({@link extend}). */
  extend(refs: MessageRef | readonly MessageRef[], options: ExtendOptions): Promise<number>;
  /** One page of failed messages with their reasons ({@link listFailed}). */
  listFailed(options?: ListFailedOptions): Promise<FailedPage>;
  /** The bookkeeping state of some messages ({@link getMessages}). */
  getMessages(refs: MessageRef | readonly MessageRef[]): Promise<MessageStatus[]>;
  /** How many messages are in each state, per shard with `openConnection` ({@link counts}). */
  counts(options?: CountsOptions): Promise<CountsResult>;
  /** Deletes failed messages older than `olderThan` ({@link purgeFailed}). */
  purgeFailed(options: PurgeFailedOptions): Promise<number>;
  /** One message with its payload and state, or null ({@link get}). */
  get(ref: MessageRef): Promise<QueueMessage | null>;
}

/** {@link QueueOperations} of `spec` with every statement on `executor`. */
export function bindQueueOperations(executor: Executor, spec: MessageTableSpec): QueueOperations {
  return {
    ack: (refs) => ack(executor, spec, refs),
    nack: (refs, options) => nack(executor, spec, refs, options),
    fail: (refs, options) => fail(executor, spec, refs, options),
    retry: (refs) => retry(executor, spec, refs),
    extend: (refs, options) => extend(executor, spec, refs, options),
    listFailed: (options) => listFailed(executor, spec, options),
    getMessages: (refs) => getMessages(executor, spec, refs),
    counts: (options) => counts(executor, spec, options),
    purgeFailed: (options) => purgeFailed(executor, spec, options),
    get: (ref) => get(executor, spec, ref),
  };
}
