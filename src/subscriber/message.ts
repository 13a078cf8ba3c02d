import type { MessageId } from '../core/ids';
import type { ExtendOptions, NackOptions } from '../core/operations';

export type { ExtendOptions, NackOptions };

/** How a delivery was settled: acked, nacked (due again), failed (dead letter). */
export type Settlement = 'acked' | 'nacked' | 'failed';

/**
 * One delivery of a message and the ways to settle it. Exactly one of `ack`,
 * `nack` and `fail` takes effect; later calls return the first one's promise.
 */
export interface MessageContext {
  /** The message id: a decimal string, or a bigint with `int64: 'bigint'`. */
  readonly id: MessageId;
  /** Earlier deliveries of this message (0 on the first). */
  readonly epoch: number;
  /** `epoch > 0`: the tablet sent it before and it was not acked in time. */
  readonly redelivered: boolean;
  /**
   * `epoch + 1`: which delivery this is; `maxAttempts` compares with this
   * number. Deliveries received but never started are nacked on close with
   * their epoch restored, so they do not count; a copy that expired in
   * transport buffers does (the tablet re-sent it with a higher epoch).
   */
  readonly attempt: number;
  /**
   * `Date.now()` when the packet carrying the row came off the transport (for
   * the MySQL transport: off the socket, before its read-ahead queue), so time
   * spent waiting for room under `maxInFlight` and in the queue counts. Time
   * the row spent before that — in the tablet, vtgate, HTTP/2 windows and
   * socket buffers (README "Flow control") — cannot be seen here.
   */
  readonly receivedAt: number;
  /**
   * True when the table's ack wait had already passed, measured from
   * `receivedAt`, when the handler started: the tablet has probably sent it
   * again, so this copy may be a duplicate. Counted in the stats as
   * `expiredBeforeStart`. An undercount: the tablet's clock started when it
   * sent the row, before it sat in transport buffers (see `receivedAt`).
   */
  readonly expiredBeforeStart: boolean;
  /** Aborted when the handler timeout passes or the subscriber closes past its timeout. */
  readonly signal: AbortSignal;
  /** Whether (and how) this delivery was settled yet. */
  readonly settled: Settlement | undefined;
  /**
   * Acks it: never delivered again. Batched with other acks (one UPDATE per
   * tick); resolves once the batch is written.
   */
  ack(): Promise<void>;
  /**
   * Makes it due again, keeping its epoch: now, or after `delay` (ms or
   * `'30s'`), at `deliverAt` or `deliverAtNs` — the {@link NackOptions} of
   * `nack()`. `raceWait` defaults to the table's ack wait. A bad option
   * rejects without settling the delivery.
   */
  nack(options?: NackOptions): Promise<void>;
  /**
   * Parks it as failed (dead letter) with `reason`, cut to the column's
   * 65,535 utf8mb4 bytes (see `clipReason`); `retry` revives it.
   */
  fail(reason: string): Promise<void>;
  /**
   * Lease extension: the tablet will not send it again before now + `by` (ms
   * or `'30s'`, above 0) — the {@link ExtendOptions} of `extend()`, e.g.
   * `ctx.extend({ by: '2m' })`. For handlers that may outlive the table's ack
   * wait. Resolves true when extended (false when it was acked, failed or sent
   * again meanwhile); rejects with an InvalidOptionError on bad options.
   */
  extend(options: ExtendOptions): Promise<boolean>;
}

/** An item of {@link stream}: the decoded message and its settle methods. */
export interface ReceivedMessage<T> extends MessageContext {
  /** The decoded message: id, epoch and the streamed payload columns (or what `hydrate` made of them). */
  readonly message: T;
}
