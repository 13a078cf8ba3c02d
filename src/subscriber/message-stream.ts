/**
 * The iterator form of the subscriber: `for await (const m of stream(spec, options))`.
 */
import type { MessageTableSpec } from '../core/spec';
import type { ReceivedMessage } from './message';
import type { CloseOptions, SubscriberOptions } from './options';
import { SubscriberCore } from './subscriber-core';

/**
 * The iterator form (see {@link stream}): each item must be settled with
 * `ack()`, `nack()` or `fail()`; unsettled items count against `maxInFlight`.
 * Breaking out of the loop closes the stream.
 */
export class MessageStream<T = Record<string, unknown>> extends SubscriberCore<T> implements AsyncIterable<ReceivedMessage<T>> {
  #waiter: (() => void) | undefined;

  constructor(spec: MessageTableSpec, options: SubscriberOptions<T>) {
    super(spec, options, 'stream');
  }

  protected onQueued(): void {
    this.#wake();
  }

  protected override onClosing(): void {
    this.#wake();
  }

  protected override onClosed(): void {
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedMessage<T>> {
    try {
      for (;;) {
        const d = this.queue.shift();
        if (d) {
          this.start(d);
          yield d;
          continue;
        }
        if (this.closing) break;
        await new Promise<void>((resolve) => (this.#waiter = resolve));
      }
    } finally {
      await this.close();
    }
    await this.wait();
  }

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
 * for await (const m of stream(spec, { executor, address, signal })) { await work(m.message); await m.ack(); }
 */
export function stream<T = Record<string, unknown>>(spec: MessageTableSpec, options: SubscriberOptions<T>): MessageStream<T> {
  return new MessageStream<T>(spec, options);
}
