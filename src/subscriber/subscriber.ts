/**
 * The handler form of the subscriber: `subscribe(spec, handler, options)` runs
 * at most `concurrency` handlers at once; a handler that resolves acks its
 * message, one that throws has it nacked with a backoff or failed (dead
 * letter) by the retry policy.
 */
import { InvalidOptionError, VitessMessagesError } from '../core/errors';
import type { MessageTableSpec } from '../core/spec';
import type { Delivery } from './delivery';
import type { MessageContext } from './message';
import type { SubscriberOptions } from './options';
import { SubscriberCore } from './subscriber-core';

/**
 * How long after its abort (`handlerTimeout`) a handler that has not
 * returned counts as stuck: long enough for one that honours `ctx.signal` to
 * unwind, short enough to say so while it matters.
 */
const STUCK_AFTER_ABORT_MS = 1_000;

/** A handler: resolve → acked; throw → nacked (due again now). Settle `ctx` yourself to override. */
export type MessageHandler<T> = (message: T, ctx: MessageContext) => unknown | Promise<unknown>;

/** A running handler-form subscription (see {@link subscribe}). */
export class Subscriber<T = Record<string, unknown>> extends SubscriberCore<T> {
  readonly #handler: MessageHandler<T>;

  constructor(spec: MessageTableSpec, handler: MessageHandler<T>, options: SubscriberOptions<T>) {
    if (typeof handler !== 'function') throw new InvalidOptionError('subscribe', 'handler', 'must be a function', handler);
    super(spec, options, 'subscribe');
    this.#handler = handler;
  }

  /** @internal */
  protected onQueued(): void {
    this.#drain();
  }

  /** @internal */
  protected override onResumed(): void {
    this.#drain();
  }

  #drain(): void {
    // Once close() is called nothing new starts: the queue is nacked instead. Paused: it waits.
    while (this.running < this.opts.concurrency && this.queue.length > 0 && !this.closing && !this.isPaused) {
      const d = this.queue.shift()!;
      this.running++;
      void this.#runOne(d);
    }
  }

  async #runOne(d: Delivery<T>): Promise<void> {
    this.start(d);
    const leased = this.opts.autoExtend !== false;
    if (leased) this.keepLeased(d);
    let timer: NodeJS.Timeout | undefined;
    let stuck = false;
    if (this.opts.handlerTimeoutMs !== undefined) {
      const ms = this.opts.handlerTimeoutMs;
      timer = setTimeout(() => {
        // Nack at once; the handler keeps its slot until it returns (its late result is ignored).
        const err = new VitessMessagesError(`handler of ${this.spec.table} id ${d.idText} ran past handlerTimeout (${ms} ms)`);
        this.noteTimeout();
        d.abort(err);
        this.emit('error', err);
        this.settleAfterError(d, err);
        // One that ignores its abort keeps its slot: count it and say so.
        timer = setTimeout(() => {
          stuck = true;
          this.stuck++;
          this.emit('stuck', { id: d.idText, epoch: d.epoch, stuckHandlers: this.stuck });
        }, STUCK_AFTER_ABORT_MS);
      }, ms);
    }
    // The handler slot is free as soon as the handler returns; the settle is
    // written in the background and still counts against maxInFlight until then.
    try {
      // Inside a `process` span linked to the producer's when a provider is registered (no closure otherwise).
      await (this.telemetry.enabled() ? this.telemetry.process(d, () => this.#handler(d.message, d)) : this.#handler(d.message, d));
      if (!d.isSettling) d.ack().catch(() => undefined);
    } catch (err) {
      this.countHandlerError();
      this.emit('error', err);
      this.settleAfterError(d, err);
    } finally {
      if (leased) this.releaseLease(d);
      clearTimeout(timer);
      if (stuck) this.stuck--;
      this.running--;
      this.#drain();
      if (this.running === 0 && this.queue.length === 0) this.emit('drained');
    }
  }
}

/**
 * Subscribes `handler` to a message table: each message is handled once per
 * delivery (at least once overall — handlers must be idempotent), acked when the
 * handler resolves, nacked (due again now) when it throws.
 *
 * @example
 * ```ts
 * const emails = defineMessageTable({ table: 'email_job', keyspace: 'commerce', columns: { recipient: 'varchar(320)' } });
 * const worker = subscribe(emails, async (job, ctx) => send(job.recipient), {
 *   executor: fromMysql2(pool), address: 'vtgate:15991', concurrency: 10,
 * });
 * process.on('SIGTERM', () => worker.close({ timeout: '10s' })); // drains: running handlers finish
 * ```
 */
export function subscribe<T = Record<string, unknown>>(spec: MessageTableSpec, handler: MessageHandler<T>, options: SubscriberOptions<T>): Subscriber<T> {
  return new Subscriber<T>(spec, handler, options);
}
