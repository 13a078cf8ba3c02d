/** One delivery of a message as a subscriber holds it, with its settle methods. */
import { dueNs, leaseNs } from '../core/due';
import { InvalidOptionError } from '../core/errors';
import { EXTEND_OPTIONS, NACK_OPTIONS, type ExtendOptions, type NackOptions } from '../core/operations';
import { checkOptionNames } from '../core/options';
import { toMs } from '../core/time';
import type { ReceivedMessage, Settlement } from './message';
import type { RowTelemetry } from '../telemetry/subscriber-telemetry';

/**
 * How a delivery settled by the caller's own statement ended: settled, a
 * statement that changed no row (`missed`) or failed (`errored`; the message
 * comes back after its ack wait), or `superseded` by a newer copy of the same
 * id (the tablet sent it again): each frees its place.
 */
export type ElsewhereOutcome = Settlement | 'missed' | 'errored' | 'superseded';

/** @internal A nack's due time (decimal Unix ns; default now) and race wait (ms; default the subscriber's), or a fail's reason. */
export interface SettleDetail {
  readonly timeNextNs?: string;
  readonly waitMs?: number;
  readonly reason?: string;
}

/**
 * @internal What a delivery asks of the subscriber that holds it: a private
 * object of the subscriber, so none of this shows on the public classes.
 */
export interface DeliveryOwner<T> {
  settle(d: Delivery<T>, how: Settlement, detail?: SettleDetail): Promise<void>;
  extendLease(d: Delivery<T>, timeNextNs: string, waitMs: number | undefined): Promise<boolean>;
  noteSettledElsewhere(outcome: ElsewhereOutcome, d: Delivery<T>): void;
}

/** @internal A delivery as the subscriber holds it. */
export class Delivery<T> implements ReceivedMessage<T> {
  settled: Settlement | undefined;
  expiredBeforeStart = false;
  /** @internal What the row's telemetry columns said (tables with `traceContext: true`): the producer's traceparent, the due time. */
  telemetry: RowTelemetry | undefined;
  #settling: Promise<void> | undefined;
  /** Made on first use: most handlers never look at their signal, and one per message is not free. */
  #controller: AbortController | undefined;
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
    return (this.#controller ??= new AbortController()).signal;
  }

  /** @internal */
  abort(reason: unknown): void {
    (this.#controller ??= new AbortController()).abort(reason);
  }

  get redelivered(): boolean {
    return this.epoch > 0;
  }

  get attempt(): number {
    return this.epoch + 1;
  }

  extend(options: ExtendOptions): Promise<boolean> {
    let timeNextNs: string;
    let waitMs: number | undefined;
    try {
      if (options === null || typeof options !== 'object') {
        throw new InvalidOptionError('ctx.extend', 'options', "must be { by } (e.g. ctx.extend({ by: '30s' }) or { by: 30000 })", options);
      }
      checkOptionNames(options, EXTEND_OPTIONS, 'ctx.extend');
      timeNextNs = leaseNs(options.by, 'ctx.extend');
      waitMs = options.raceWait === undefined ? undefined : toMs(options.raceWait, 'raceWait', 'ctx.extend');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#owner.extendLease(this, timeNextNs, waitMs);
  }

  ack(): Promise<void> {
    return (this.#settling ??= this.#owner.settle(this, 'acked'));
  }

  nack(options: NackOptions = {}): Promise<void> {
    if (this.#settling) return this.#settling;
    let detail: { timeNextNs: string; waitMs?: number };
    try {
      checkOptionNames(options, NACK_OPTIONS, 'ctx.nack');
      detail = { timeNextNs: dueNs(options ?? {}, 'ctx.nack', false) };
      if (options?.raceWait !== undefined) detail.waitMs = toMs(options.raceWait, 'raceWait', 'ctx.nack');
    } catch (err) {
      return Promise.reject(err); // not settled: the handler may still settle it
    }
    return (this.#settling = this.#owner.settle(this, 'nacked', detail));
  }

  fail(reason: string): Promise<void> {
    return (this.#settling ??= this.#owner.settle(this, 'failed', { reason: String(reason) }));
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

