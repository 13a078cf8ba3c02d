/**
 * The subscriber's options: what each means and defaults to, and the checks
 * that turn a bad one into an {@link InvalidOptionError} before anything runs.
 */
import { InvalidOptionError } from '../core/errors';
import type { Executor } from '../core/executor';
import { checkIdentifier, checkKeyspace } from '../core/identifiers';
import type { MessageTableSpec } from '../core/spec';
import { toMs, type Duration } from '../core/time';
import { checkBackoff, type Backoff } from './backoff';
import { VTGATE_GRPC_OPTION_NAMES, type VtgateGrpcOptions } from './grpc/vtgate-grpc-transport';
import type { Hydrator } from './hydrator';
import { checkNames } from './option-names';
import type { StreamTransport } from './transport';

/** Options shared by {@link subscribe} and {@link stream}. */
export interface SubscriberOptions<T = Record<string, unknown>> {
  /**
   * Where acks, nacks and fails are written (any MySQL-protocol client on
   * vtgate, through an adapter). Required: the stream itself is read-only.
   */
  readonly executor: Executor;
  /**
   * The stream source. Default: a {@link VtgateGrpcTransport} on `address`,
   * owned (and closed) by the subscriber. A transport passed in is neither
   * renewed nor closed; pass a factory (`() => new VtgateMysqlTransport(…)`)
   * instead so that the subscriber can replace it after a stall or a
   * connection error (a half-dead connection is then not reused) — what the
   * factory returns is the subscriber's to close.
   */
  readonly transport?: StreamTransport | (() => StreamTransport);
  /** vtgate's gRPC `host:port`, when no `transport` is given. */
  readonly address?: string;
  /** Further gRPC options (TLS credentials, caller id, metadata hook, keepalive) for the default transport. */
  readonly grpc?: Omit<VtgateGrpcOptions, 'address'>;
  /**
   * Read one shard only (e.g. `-80`); default all shards of the keyspace. The
   * stall watchdog then counts that shard's due rows only (computed for a
   * `hash` vindex; with another vindex type it looks at the whole keyspace).
   */
  readonly shard?: string;
  /**
   * Most messages held but not settled (queued or running, plus acks not yet
   * written). When reached, the subscriber stops reading the stream; what the
   * transport has buffered by then is bounded separately (see the README's
   * "Flow control"). Default 1000: two packets of the default `vt_batch_size`
   * (500), enough to keep handlers busy while acks are written, small enough
   * that held messages do not outlive a 30 s ack wait at ~50 messages/s.
   * Measured (bench/grid.ts, 20,000 no-op messages, 5 interleaved rounds,
   * median ratio to the defaults): 250 drained at 0.74× (0.59–0.92); 4000 at
   * 0.86× (0.78–1.15), no gain for four times the memory held.
   */
  readonly maxInFlight?: number;
  /**
   * Handlers running at once (handler form). Default 10: handlers are usually
   * I/O bound; raise it for many slow handlers, lower it for CPU-bound ones.
   * For no-op handlers it does not bound the drain (bench/grid.ts: 1 and 50
   * within the noise of 10), so the default is sized for real handlers.
   */
  readonly concurrency?: number;
  /**
   * Most ids in one ack UPDATE. Default 500: one statement per 500 acks kept a
   * Go consumer at ≈20k/s here (DESIGN §3), and it is the Go consumer's batch
   * in bench/drain.ts. bench/grid.ts: 100 drained at 0.67× (0.21–0.93) of
   * 500; 1000 at 1.22× (1.06–1.60) on the loaded 2-core machine, to be
   * confirmed on a quiet one before the default moves.
   */
  readonly ackBatchSize?: number;
  /**
   * How long an ack may wait for others to join its batch (milliseconds or
   * `'50ms'`). Default 0: acks are written on the next tick, and while one ack
   * UPDATE runs the next batch fills up, so batches grow with load by themselves.
   */
  readonly ackInterval?: Duration;
  /**
   * Ack UPDATEs in flight at once. Default 2: while one batch is written the
   * next is already on its way, which kept the stream flowing here, and it is
   * the Go consumer's ack writers in bench/drain.ts. bench/grid.ts on 2 shards:
   * 1 and 4 within the noise of 2 (1.04×, 1.25×, ranges spanning 1).
   */
  readonly ackConcurrency?: number;
  /** 64-bit integers (ids, bigint columns) as decimal `'string'` (default) or `'bigint'`; never a lossy number. */
  readonly int64?: 'string' | 'bigint';
  /** Builds the message from a decoded row. Default: `{ id, epoch, ...payload by property name }`. */
  readonly hydrate?: Hydrator<T>;
  /**
   * Deliveries after which a throwing handler's message is failed (dead letter,
   * last error as the reason) instead of nacked. Default: the table's
   * `maxAttempts` (25 unless set); `0` = unlimited. See {@link MessageContext.attempt}.
   */
  readonly maxAttempts?: number;
  /** Backoff of a throwing handler's nack, from the message's epoch (`{ base, max }`, durations). Default 1 s doubling to 5 min, ±25 %. */
  readonly retryBackoff?: Backoff;
  /**
   * Aborts `ctx.signal` and nacks the message when a handler runs longer than
   * this (milliseconds or `'30s'`, above 0). Keep it below the table's ack
   * wait, or extend the lease. Default: none.
   */
  readonly handlerTimeout?: Duration;
  /**
   * Reopen the stream when it ends or fails with a retryable status (vtgate or
   * a tablet restarting, a dropped connection), waiting this backoff between
   * tries; `false` to end the subscriber instead. Non-retryable statuses (an
   * unknown table, not a message table, a non-primary target) always end it.
   * Default 100 ms doubling to 500 ms (±25 %): back within about half a
   * second of vtgate serving again, at most 160 tries a minute while it is
   * down; the backoff starts afresh once a reopened stream delivered.
   */
  readonly reconnect?: false | Backoff;
  /**
   * Stall watchdog (milliseconds or `'1m'`): when nothing came off the stream for this long
   * while the subscriber had room and the table has messages due for longer
   * than two poller intervals, emit `stalled` and resubscribe on a new channel
   * (Vitess #8910: a stream alive but silent). Default 60 s; `0` = off. A
   * subscriber paused because it is full never counts as stalled.
   */
  readonly stallTimeout?: Duration;
  /** Closing the subscriber when aborted (`close()` with `closeTimeout`). */
  readonly signal?: AbortSignal;
  /**
   * The timeout of a `close()` given none, or triggered by `signal` or
   * `Symbol.asyncDispose` (milliseconds or `'10s'`). Default 30 s: the
   * table's default ack wait, after which unsettled messages come back anyway.
   */
  readonly closeTimeout?: Duration;
  /**
   * Start reading at once (default `true`). With `false` nothing is read
   * until `run()` (the iterator form also starts when iterated), as BullMQ's
   * `Worker` with `autorun: false`: attach listeners, then start.
   */
  readonly autorun?: boolean;
  /**
   * Failed stream opens in a row after which `waitUntilReady()` rejects with a
   * {@link ConnectError} naming the address and the last cause. Default 5
   * (about 1.5 s of the default reconnect backoff). The subscriber keeps
   * reconnecting meanwhile, as BullMQ keeps its worker; `close()` it to stop.
   */
  readonly connectAttempts?: number;
  /**
   * Handler form: while a handler runs, push its message's lease out by the
   * table's ack wait every half ack wait (as BullMQ renews a job's lock), so a
   * handler that outlives the ack wait is not sent again meanwhile. Stops when
   * the message is settled (or its timeout nacks it). Default `true`; `false`
   * leaves leases to `ctx.extend`.
   */
  readonly autoExtend?: boolean;
}

/** Options of {@link stream}: the iterator's consumer settles each message itself, so the handler-only options are not among them. */
export type StreamOptions<T = Record<string, unknown>> = Omit<SubscriberOptions<T>, HandlerOnlyOption>;

/** Options honoured by {@link subscribe} only (they steer what happens when a handler throws or hangs). */
export type HandlerOnlyOption = 'maxAttempts' | 'retryBackoff' | 'handlerTimeout' | 'autoExtend';

/** Options of {@link Subscriber.close}. */
export interface CloseOptions {
  /**
   * The bound of the whole close (milliseconds or `'10s'`): the wait for
   * running handlers (then their signals are aborted), the nack of what was
   * received but not started, the last ack writes. Default: the subscriber's
   * `closeTimeout` (30 s).
   */
  readonly timeout?: Duration;
}

/** Default of {@link SubscriberOptions.connectAttempts}. */
export const DEFAULT_CONNECT_ATTEMPTS = 5;

/** Every option name of {@link SubscriberOptions}, for refusing misspelt ones. */
export const SUBSCRIBER_OPTION_NAMES: readonly string[] = Object.freeze([
  'executor', 'transport', 'address', 'grpc', 'shard', 'maxInFlight', 'concurrency', 'ackBatchSize', 'ackInterval',
  'ackConcurrency', 'int64', 'hydrate', 'maxAttempts', 'retryBackoff', 'handlerTimeout', 'reconnect', 'stallTimeout',
  'signal', 'closeTimeout', 'autorun', 'connectAttempts', 'autoExtend',
]);

const HANDLER_ONLY: readonly HandlerOnlyOption[] = ['maxAttempts', 'retryBackoff', 'handlerTimeout', 'autoExtend'];

/** Every option name of {@link StreamOptions}. */
export const STREAM_OPTION_NAMES: readonly string[] = Object.freeze(SUBSCRIBER_OPTION_NAMES.filter((n) => !(HANDLER_ONLY as readonly string[]).includes(n)));

/** Why the iterator refuses a handler-only option. */
const STREAM_HINTS: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(HANDLER_ONLY.map((n) => [n, 'is honoured by subscribe() only (the iterator\'s consumer settles each message itself)'])));

/**
 * Checks the options of `close()`; throws {@link InvalidOptionError}.
 * @returns the timeout in ms, or undefined when none was given.
 */
export function checkCloseOptions(options: CloseOptions, subject = 'close'): number | undefined {
  checkNames(options, ['timeout'], subject);
  return options.timeout === undefined ? undefined : toMs(options.timeout, 'timeout', subject);
}

/** The durations of {@link SubscriberOptions}, as given (a Duration) and resolved (ms). */
type DurationOption = 'ackInterval' | 'handlerTimeout' | 'stallTimeout' | 'closeTimeout';

const DEFAULTS = { maxInFlight: 1000, concurrency: 10, ackBatchSize: 500, ackConcurrency: 2, ackIntervalMs: 0, closeTimeoutMs: 30_000, stallTimeoutMs: 60_000 };

/** Options with every default filled in and the durations in ms (`ackIntervalMs`, `handlerTimeoutMs`, …). */
export type ResolvedSubscriberOptions<T> = typeof DEFAULTS & Omit<SubscriberOptions<T>, DurationOption> & { readonly handlerTimeoutMs?: number };

/** The options with their defaults, checked; throws {@link InvalidOptionError} naming the first bad one. */
export function resolveSubscriberOptions<T>(spec: MessageTableSpec, options: SubscriberOptions<T>, subject: string, names: readonly string[] = SUBSCRIBER_OPTION_NAMES): ResolvedSubscriberOptions<T> {
  checkNames(options, names, subject, names === STREAM_OPTION_NAMES ? STREAM_HINTS : {});
  if (options.grpc !== undefined) checkNames(options.grpc, VTGATE_GRPC_OPTION_NAMES.filter((n) => n !== 'address'), `${subject} (grpc)`);
  const { ackInterval, handlerTimeout, stallTimeout, closeTimeout, ...rest } = stripUndefined(options);
  const ms = (v: Duration | undefined, name: DurationOption): number | undefined => (v === undefined ? undefined : toMs(v, name, subject));
  const durations = stripUndefined({
    ackIntervalMs: ms(ackInterval, 'ackInterval'),
    closeTimeoutMs: ms(closeTimeout, 'closeTimeout'),
    stallTimeoutMs: ms(stallTimeout, 'stallTimeout'),
    handlerTimeoutMs: ms(handlerTimeout, 'handlerTimeout'),
  });
  const resolved = { ...DEFAULTS, ...rest, ...durations, executor: options.executor };
  validate(spec, resolved, subject);
  return resolved;
}

function validate(spec: MessageTableSpec, o: ResolvedSubscriberOptions<unknown>, subject: string): void {
  checkIdentifier(spec.table, 'table', subject);
  if (spec.keyspace !== undefined) checkKeyspace(spec.keyspace, subject);
  else throw new InvalidOptionError(subject, 'keyspace', 'is required for a stream (vtgate needs a target keyspace)', spec.keyspace);
  if (!o.executor || typeof o.executor.query !== 'function') throw new InvalidOptionError(subject, 'executor', 'must be an Executor (an object with query(sql, params))', o.executor);
  if (o.transport !== undefined && typeof o.transport !== 'function' && (typeof o.transport !== 'object' || o.transport === null || typeof o.transport.stream !== 'function')) throw new InvalidOptionError(subject, 'transport', 'must be a StreamTransport or a function returning one', o.transport);
  if (!o.transport && (typeof o.address !== 'string' || o.address.length === 0)) throw new InvalidOptionError(subject, 'address', "is required without a 'transport' (vtgate's gRPC host:port)", o.address);
  if (o.shard !== undefined && !/^[0-9a-fA-F]*-[0-9a-fA-F]*$|^0$/.test(o.shard)) throw new InvalidOptionError(subject, 'shard', "must be a shard name like '-80', '80-' or '0'", o.shard);
  for (const key of ['maxInFlight', 'concurrency', 'ackBatchSize', 'ackConcurrency'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new InvalidOptionError(subject, key, 'must be an integer >= 1', o[key]);
  }
  if (o.concurrency > o.maxInFlight) throw new InvalidOptionError(subject, 'concurrency', `must not exceed maxInFlight (${o.maxInFlight})`, o.concurrency);
  if (o.maxAttempts !== undefined && (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 0)) throw new InvalidOptionError(subject, 'maxAttempts', 'must be an integer >= 0 (0 = unlimited)', o.maxAttempts);
  // Durations were read by toMs (>= 0, finite); only the handler timeout must be above 0.
  if (o.handlerTimeoutMs === 0) throw new InvalidOptionError(subject, 'handlerTimeout', 'must be above 0 (leave it out for none)', 0);
  for (const key of ['retryBackoff', 'reconnect'] as const) {
    const b = o[key];
    if (b === undefined || b === false) continue;
    checkBackoff(b, subject, key);
  }
  for (const key of ['autorun', 'autoExtend'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new InvalidOptionError(subject, key, 'must be true or false', o[key]);
  }
  if (o.connectAttempts !== undefined && (!Number.isInteger(o.connectAttempts) || o.connectAttempts < 1)) throw new InvalidOptionError(subject, 'connectAttempts', 'must be an integer >= 1', o.connectAttempts);
  if (o.int64 !== undefined && o.int64 !== 'string' && o.int64 !== 'bigint') throw new InvalidOptionError(subject, 'int64', "must be 'string' or 'bigint'", o.int64);
  if (!spec.streamed.includes('epoch')) throw new InvalidOptionError(subject, 'streamed', "must include 'epoch' (vt_message_cols=id|epoch|…): nacks and fails of a streamed message are guarded by it", spec.streamed);
}

function stripUndefined<O extends object>(o: O): Partial<O> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<O>;
}
