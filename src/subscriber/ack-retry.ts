/**
 * What the settler does with an ack batch whose UPDATE failed (a dropped
 * connection, vtgate restarting): acks are idempotent (`time_acked IS NULL`
 * guards them), so they are kept and written again once the connection is
 * back, rather than dropped (a dropped ack is a duplicate delivery after the
 * ack wait). Pure, so the rules are pinned by unit tests.
 */

/** First retry of a failed ack batch: short, the common cause (a reconnect) is over in well under a second. */
export const ACK_RETRY_MIN_MS = 100;
/** Longest pause between retries: an outage of a few seconds is noticed within this once it ends. */
export const ACK_RETRY_MAX_MS = 1_000;

/** The pause before the `failures`-th retry (1-based): doubling from {@link ACK_RETRY_MIN_MS}, capped at {@link ACK_RETRY_MAX_MS}. */
export function ackRetryDelayMs(failures: number): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(ACK_RETRY_MAX_MS, ACK_RETRY_MIN_MS * 2 ** Math.min(n - 1, 20));
}

/**
 * Whether an ack that first failed at `firstFailedAt` is still worth writing
 * at `now`: until the table's ack wait has passed since then. Past it the
 * tablet sends the message again anyway (the ack can no longer prevent the
 * duplicate), so it is dropped and counted. `ackWaitMs` ≤ 0 (unknown) is
 * taken as 30 s, Vitess's default.
 */
export function ackRetryVerdict(firstFailedAt: number, now: number, ackWaitMs: number): 'retry' | 'drop' {
  const wait = ackWaitMs > 0 ? ackWaitMs : 30_000;
  return now - firstFailedAt < wait ? 'retry' : 'drop';
}

/** What the settler reports of one failed ack write (one `error` event each). */
export interface AckBatchFailure {
  /** Acks in the failed UPDATE. */
  readonly count: number;
  /** Of those, kept to be written again. */
  readonly retrying: number;
  /** Of those, dropped: their ack wait passed since their first failure. */
  readonly dropped: number;
  /** The pause before the next try, in ms (0 when nothing is retried). */
  readonly retryInMs: number;
  /** The driver's error. */
  readonly cause: unknown;
}
