/** One delivery of a message as a subscriber holds it, with its settle methods. */
import { checkDelayMs } from '../core/errors';
import type { NackOptions, ReceivedMessage, Settlement } from './message';

/**
 * How a delivery settled by the caller's own statement ended: settled, a
 * statement that changed no row (`missed`) or failed (`errored`; the message
 * comes back after its ack wait), or `superseded` by a newer copy of the same
 * id (the tablet sent it again): each frees its place.
 */
export type ElsewhereOutcome = Settlement | 'missed' | 'errored' | 'superseded';

/**
 * @internal What a delivery asks of the subscriber that holds it: a private
 * object of the subscriber, so none of this shows on the public classes.
 */
export interface DeliveryOwner<T> {
  settle(d: Delivery<T>, how: Settlement, delayMs?: number, reason?: string): Promise<void>;
  extendLease(d: Delivery<T>, ms: number): Promise<boolean>;
  noteSettledElsewhere(outcome: ElsewhereOutcome, d: Delivery<T>): void;
}

/** @internal A delivery as the subscriber holds it. */
export class Delivery<T> implements ReceivedMessage<T> {
  settled: Settlement | undefined;
  expiredBeforeStart = false;
  #settling: Promise<void> | undefined;
  readonly #controller = new AbortController();
  readonly #owner: DeliveryOwner<T>;

  constructor(
    owner: DeliveryOwner<T>,
    readonly id: string | bigint,
    readonly idText: string,
    readonly epoch: number,
    readonly routing: unknown,
    readonly message: T,
    readonly receivedAt: number,
    /** @internal Whether the stream carried `epoch` (nack/fail are then guarded by it). */
    readonly epochKnown: boolean,
  ) {
    this.#owner = owner;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** @internal */
  abort(reason: unknown): void {
    this.#controller.abort(reason);
  }

  get redelivered(): boolean {
    return this.epoch > 0;
  }

  get attempt(): number {
    return this.epoch + 1;
  }

  extend(ms: number): Promise<boolean> {
    return this.#owner.extendLease(this, ms);
  }

  ack(): Promise<void> {
    return (this.#settling ??= this.#owner.settle(this, 'acked'));
  }

  nack(options: NackOptions = {}): Promise<void> {
    if (this.#settling) return this.#settling;
    let delayMs: number;
    try {
      delayMs = checkDelayMs(options.delayMs ?? 0, 'ctx.nack', 'delayMs');
    } catch (err) {
      return Promise.reject(err); // not settled: the handler may still settle it
    }
    return (this.#settling = this.#owner.settle(this, 'nacked', delayMs));
  }

  fail(reason: string): Promise<void> {
    return (this.#settling ??= this.#owner.settle(this, 'failed', 0, String(reason)));
  }

  get isSettling(): boolean {
    return this.#settling !== undefined;
  }

  /**
   * @internal The caller settled it with a statement of its own (e.g. the
   * seed-compatible Queue's `ack(executor, id)` inside a transaction), or the
   * statement failed, or a newer copy replaced it: count that and free its
   * place without writing anything. False if it was settled already.
   */
  settledElsewhere(outcome: ElsewhereOutcome): boolean {
    if (this.#settling) return false;
    this.#settling = Promise.resolve();
    if (outcome === 'acked' || outcome === 'nacked' || outcome === 'failed') this.settled = outcome;
    this.#owner.noteSettledElsewhere(outcome, this);
    return true;
  }
}

