/**
 * The iterator form of the subscriber: `for await (const m of stream(spec, options))`.
 */
import type { MessageTableSpec } from '../core/spec';
import type { ReceivedMessage } from './message';
import type { Delivery } from './delivery';
import { STREAM_OPTION_NAMES, type CloseOptions, type StreamOptions } from './options';
import { SubscriberCore } from './subscriber-core';

/**
 * The iterator form (see {@link stream}): each item must be settled with
 * `ack()`, `nack()` or `fail()`; unsettled items count against `maxInFlight`.
 * Leaving the loop (`break`, `return`, a throw) closes the stream at once and
 * nacks the message in hand, if unsettled, with its epoch restored: it comes
 * back now and does not use an attempt.
 */
export class MessageStream<T = Record<string, unknown>> extends SubscriberCore<T> implements AsyncIterable<ReceivedMessage<T>> {
  #waiter: (() => void) | undefined;
  /** @internal */
  static override readonly optionNames: readonly string[] = STREAM_OPTION_NAMES;

  constructor(spec: MessageTableSpec, options: StreamOptions<T>) {
    super(spec, options, 'stream');
  }

  /** @internal */
  protected onQueued(): void {
    this.#wake();
  }

  /** @internal */
  protected override onResumed(): void {
    this.#wake();
  }

  /** @internal */
  protected override onClosing(): void {
    this.#wake();
  }

  /** @internal */
  protected override onClosed(): void {
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /**
   * The messages, one per pull; each must be settled (`ack`, `nack`, `fail`).
   * Iterating starts a stream made with `autorun: false`; leaving the loop
   * closes it and hands the unsettled message in hand back.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedMessage<T>> {
    // The delivery the consumer's loop body is running with: still set when
    // the loop is left from inside the body (break, return, throw).
    let inHand: Delivery<T> | undefined;
    // Iterating starts a stream made with `autorun: false`.
    if (!this.closing) this.run();
    try {
      for (;;) {
        // Paused: nothing is handed out until resume() (close() still ends the loop).
        const d = this.isPaused && !this.closing ? undefined : this.queue.shift();
        if (d) {
          this.start(d);
          inHand = d;
          yield d;
          inHand = undefined;
          continue;
        }
        if (this.closing) break;
        await new Promise<void>((resolve) => (this.#waiter = resolve));
      }
    } finally {
      if (inHand && !inHand.isSettling) this.handBack(inHand);
      await this.close();
    }
    await this.wait();
  }

  /** Closes the stream as {@link SubscriberCore.close} does, and ends a loop waiting for the next message. */
  override close(options?: CloseOptions): Promise<void> {
    const p = super.close(options);
    this.#wake();
    return p;
  }
}

/**
 * The messages of a table as an async iterator; settle each with
 * `m.ack()` / `m.nack()` / `m.fail(reason)`.
 *
 * @example
 * ```ts
 * const emails = defineMessageTable({ table: 'email_job', keyspace: 'commerce', columns: { recipient: 'varchar(320)' } });
 * for await (const m of stream(emails, { executor: fromMysql2(pool), address: 'vtgate:15991', signal })) {
 *   await send(m.message.recipient);
 *   await m.ack(); // or m.nack({ delay: '30s' }), m.fail('reason')
 * }
 * ```
 */
export function stream<T = Record<string, unknown>>(spec: MessageTableSpec, options: StreamOptions<T>): MessageStream<T> {
  return new MessageStream<T>(spec, options);
}
