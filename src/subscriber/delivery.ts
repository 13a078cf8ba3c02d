/** One delivery of a message as a subscriber holds it, with its settle methods. */
import { checkDelayMs } from '../core/errors';
import type { NackOptions, ReceivedMessage, Settlement } from './message';

/** @internal What a delivery asks of the subscriber that holds it. */
export interface DeliveryOwner<T> {
  settle(d: Delivery<T>, how: Settlement, delayMs?: number, reason?: string): Promise<void>;
  extendLease(d: Delivery<T>, ms: number): Promise<boolean>;
  noteSettledElsewhere(how: Settlement, d: Delivery<T>): void;
}

/** @internal A delivery as the subscriber holds it. */
export class Delivery<T> implements ReceivedMessage<T> {
  settled: Settlement | undefined;
  expiredBeforeStart = false;
  #settling: Promise<void> | undefined;
  readonly #controller = new AbortController();

  constructor(
    private readonly owner: DeliveryOwner<T>,
    readonly id: string | bigint,
    readonly idText: string,
    readonly epoch: number,
    readonly routing: unknown,
    readonly message: T,
    readonly receivedAt: number,
    /** @internal Whether the stream carried `epoch` (nack/fail are then guarded by it). */
    readonly epochKnown: boolean,
  ) {}

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
    return this.owner.extendLease(this, ms);
  }

  ack(): Promise<void> {
    return (this.#settling ??= this.owner.settle(this, 'acked'));
  }

  nack(options: NackOptions = {}): Promise<void> {
    if (this.#settling) return this.#settling;
    let delayMs: number;
    try {
      delayMs = checkDelayMs(options.delayMs ?? 0, 'ctx.nack', 'delayMs');
    } catch (err) {
      return Promise.reject(err); // not settled: the handler may still settle it
    }
    return (this.#settling = this.owner.settle(this, 'nacked', delayMs));
  }

  fail(reason: string): Promise<void> {
    return (this.#settling ??= this.owner.settle(this, 'failed', 0, String(reason)));
  }

  get isSettling(): boolean {
    return this.#settling !== undefined;
  }

  /**
   * @internal The caller settled it with a statement of its own (e.g. the
   * seed-compatible Queue's `ack(executor, id)` inside a transaction): count it
   * and free its place without writing anything. False if it was settled already.
   */
  settledElsewhere(how: Settlement): boolean {
    if (this.#settling) return false;
    this.#settling = Promise.resolve();
    this.settled = how;
    this.owner.noteSettledElsewhere(how, this);
    return true;
  }
}

