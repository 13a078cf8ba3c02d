/** What a subscriber counts and emits: its stats and its one typed event map. */
import type { MessageContext } from './message';

/** A snapshot of what a subscriber did and holds. */
export interface SubscriberStats {
  /** Held and unsettled: queued + running (+ settling). Never above `maxInFlight`. */
  readonly inFlight: number;
  /** Received, waiting for a handler (or for the iterator to be pulled). */
  readonly queued: number;
  /** Handlers running now. */
  readonly running: number;
  /** Rows received from the stream. */
  readonly received: number;
  /** Messages acked (their ack written). */
  readonly acked: number;
  /** Messages nacked: by a throwing handler, a timeout, `ctx.nack` or close. */
  readonly nacked: number;
  /** Messages failed (dead letters): `UnrecoverableError`, the attempt limit, `ctx.fail`, unreadable rows. */
  readonly failed: number;
  /**
   * Deliveries with an epoch above 0: the tablet sent the message before, to this
   * subscriber or to any other stream — including copies it sent into a
   * stream that was already dead (a crashed or closed subscriber), which no
   * handler saw. So it overstates work done twice; see {@link duplicates}.
   */
  readonly redelivered: number;
  /**
   * Deliveries of an id this subscriber had already started (handled or
   * handed out) before: work it really did again — a nack, a handler that
   * outlived the ack wait, a copy that expired in transport buffers. Judged
   * against the last 10,000 ids it started, so older repeats are missed.
   */
  readonly duplicates: number;
  /**
   * Deliveries whose ack wait had passed before their handler started,
   * measured from when their packet came off the transport (so queueing in
   * the subscriber counts, time in transport buffers before it cannot).
   */
  readonly expiredBeforeStart: number;
  /** Handlers that threw (each nacked). */
  readonly handlerErrors: number;
  /**
   * Acks/nacks/fails whose SQL failed (the message comes back after its ack
   * wait). A failed ack is first kept and retried: it counts here only when
   * dropped (its ack wait passed, or the close deadline did).
   */
  readonly settleErrors: number;
  /**
   * Nacks and fails that changed no row (each also an `error` event): the
   * message was acked, failed or sent again meanwhile (its ack wait passed),
   * or the tablet's postpone did not land within the ack wait. Not counted as
   * nacked / failed. (Acks are written in batches and not checked per id.)
   */
  readonly settleMisses: number;
  /**
   * Rows that could not be decoded or hydrated (each an `error` event). Not
   * held: the tablet sends them again after the ack wait, and each delivery
   * counts as an attempt: at `maxAttempts` (streamed epoch + 1) the row is
   * failed with a reason naming the column. Without `epoch` in the stream, or
   * with `maxAttempts` 0, they keep coming back.
   */
  readonly decodeErrors: number;
  /** Streams reopened after an end, an error or a stall. */
  readonly reconnects: number;
  /** Stalls the watchdog detected. */
  readonly stalls: number;
  /** Handlers that ran past `handlerTimeout`. */
  readonly timeouts: number;
  /**
   * Handlers running now that were aborted by `handlerTimeout` and had not
   * returned a second later: they ignore
   * `ctx.signal` and keep their `concurrency` slot. With every slot stuck the
   * subscriber takes no work (and, once `maxInFlight` is reached, reads
   * nothing): a cause the stall watchdog is not. Each one is also a `stuck` event.
   */
  readonly stuckHandlers: number;
  /** Received but never started when the subscriber closed; nacked so they come back at once. */
  readonly nackedOnClose: number;
  /** Leases pushed out by `autoExtend` while handlers ran (each a one-row UPDATE that changed its row). */
  readonly extensions: number;
}

/**
 * The subscriber's events: one typed map for every event it emits. `T` is the
 * message type. For BullMQ `Worker` users: `active` → `active`, `completed` →
 * `completed`, a `failed` job that will be retried → `retrying`, a `failed`
 * job out of attempts → `deadLettered` (`failed` here is the older
 * `(id, reason)` event of every dead letter, unreadable rows included),
 * `error` → `error` (infrastructure only: a handler's throw is `retrying` or
 * `deadLettered`, and also still an `error`), `paused`/`resumed`, `closed`.
 */
export type SubscriberEvents<T = unknown> = {
  /** A message came off the stream and is held (queued for a handler or the iterator). */
  message: [ctx: MessageContext];
  /** A handler started on a message (the iterator form: the item was handed out). */
  active: [message: T, ctx: MessageContext];
  /** A message's ack was written (it is never delivered again). */
  completed: [message: T, ctx: MessageContext];
  /**
   * A handler threw (or ran past `handlerTimeoutMs`) and the message was
   * nacked to come back after `delayMs` (the retry backoff, or a
   * `RetryLaterError`'s delay).
   */
  retrying: [message: T, error: unknown, delayMs: number];
  /**
   * A message was failed (dead letter): an `UnrecoverableError`, the attempt
   * limit, or `ctx.fail(reason)` (then `error` is a `VitessMessagesError`
   * carrying the reason). Emitted after the fail is written, next to `failed`.
   */
  deadLettered: [message: T, error: unknown, ctx: MessageContext];
  /** `pause()` was called: no handler starts and nothing is read until `resume()`. */
  paused: [];
  resumed: [];
  /** Something went wrong that did not stop the subscriber (a settle, a handler). */
  error: [error: unknown];
  /** The stream ended with an error; the subscriber closes. */
  streamError: [error: unknown];
  /** A delivery's ack was written. */
  acked: [id: string, epoch: number];
  nacked: [id: string, epoch: number];
  failed: [id: string, reason: string];
  /** The stream ended or failed (retryably); it is reopened after `delayMs`. */
  reconnecting: [info: { attempt: number; delayMs: number; error?: unknown }];
  /** A reopened stream delivered its first packet. */
  reconnected: [info: { attempts: number }];
  /**
   * A handler aborted a second ago (its `handlerTimeout` passed) is still
   * running: it ignores `ctx.signal` and keeps its slot until it returns. Its
   * message was already nacked (or failed at the attempt limit).
   */
  stuck: [info: { id: string; epoch: number; stuckHandlers: number }];
  /** The watchdog found the stream silent while messages were due; it resubscribes. */
  stalled: [info: { silentMs: number }];
  /**
   * Handler form: a handler finished and nothing is queued or running now (the
   * subscriber may still be writing acks, and more may arrive). Not emitted by
   * the iterator form, whose consumer knows when it waits.
   */
  drained: [];
  /** `close()` finished (or the stream ended and everything was settled). */
  closed: [];
};

/** The counters behind {@link SubscriberStats} (the rest is computed when asked). */
export type SubscriberCounters = { -readonly [K in Exclude<keyof SubscriberStats, 'inFlight' | 'queued' | 'running' | 'stuckHandlers'>]: number };

/** All counters at zero. */
export function zeroCounters(): SubscriberCounters {
  return {
    received: 0, acked: 0, nacked: 0, failed: 0, redelivered: 0, duplicates: 0, expiredBeforeStart: 0, handlerErrors: 0,
    settleErrors: 0, settleMisses: 0, decodeErrors: 0, reconnects: 0, stalls: 0, timeouts: 0, nackedOnClose: 0, extensions: 0,
  };
}
