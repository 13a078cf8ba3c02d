/**
 * Everything a subscriber does but the consumption style: holding deliveries
 * (at most `maxInFlight`), settling them through the {@link Settler}, and
 * closing gracefully. {@link Subscriber} (handlers) and {@link MessageStream}
 * (iterator) build on it; the {@link StreamReader} feeds it rows.
 */
import { decodeRow, decodeValue, RowDecodeError, splitRow, type StreamField, type WireRow } from '../core/decode';
import { AckWriteError, InvalidOptionError, VitessMessagesError } from '../core/errors';
import { clipReason } from '../core/reason';
import type { MessageTableSpec } from '../core/spec';
import { DEFAULT_RETRY_BACKOFF } from './backoff';
import { Delivery, type DeliveryOwner, type ElsewhereOutcome } from './delivery';
import { zeroCounters, type SubscriberEvents, type SubscriberStats } from './events';
import { plainHydrator, type Hydrator } from './hydrator';
import { InFlight } from './in-flight';
import type { Settlement } from './message';
import { resolveSubscriberOptions, type CloseOptions, type ResolvedSubscriberOptions, type SubscriberOptions } from './options';
import { afterHandlerError } from './retry-policy';
import { Settler, type SettleEntry } from './settler';
import { StreamReader } from './stream-reader';
import { TypedEmitter } from './typed-emitter';

/** Ids a subscriber remembers having started, to count `duplicates`. */
const RECENT_IDS = 10_000;

export abstract class SubscriberCore<T> extends TypedEmitter<SubscriberEvents> {
  protected readonly spec: MessageTableSpec;
  protected readonly opts: ResolvedSubscriberOptions<T>;
  readonly #settler: Settler;
  readonly #hydrate: Hydrator<T>;
  readonly #reader: StreamReader;
  readonly #inFlight: InFlight;
  readonly #counts = zeroCounters();
  /** What deliveries call back; kept off the public class. */
  readonly #owner: DeliveryOwner<T>;
  /** Ids started lately (oldest first), for `duplicates`. */
  readonly #recentIds = new Set<string>();
  /** Handlers aborted by their timeout that have not returned (a gauge). */
  protected stuck = 0;
  /** Deliveries whose handler (or iterator consumer) started and that are not settled. */
  protected readonly started = new Set<Delivery<T>>();
  protected readonly queue: Delivery<T>[] = [];
  protected running = 0;
  protected closed = false;
  #routingColumn: string | undefined;
  #closing: Promise<void> | undefined;
  #onAbort: (() => void) | undefined;

  constructor(spec: MessageTableSpec, options: SubscriberOptions<T>, subject: string) {
    super();
    this.spec = spec;
    this.opts = resolveSubscriberOptions(spec, options, subject);
    this.#routingColumn = spec.vindex && spec.vindex.column !== 'id' ? spec.vindex.column : undefined;
    this.#settler = new Settler(spec, options.executor, {
      ackBatchSize: this.opts.ackBatchSize,
      ackIntervalMs: this.opts.ackIntervalMs,
      ackConcurrency: this.opts.ackConcurrency,
      routingColumn: this.#routingColumn,
      // One event per failed ack UPDATE (not per message): its acks are retried.
      onAckFailure: (f) => void this.emit('error', new AckWriteError(spec.table, f.count, f.retrying, f.dropped, f.cause)),
    });
    this.#hydrate = options.hydrate ?? plainHydrator<T>(spec);
    this.#inFlight = new InFlight(this.opts.maxInFlight);
    this.#owner = {
      settle: (d, how, delayMs, reason) => this.#settle(d, how, delayMs, reason),
      extendLease: (d, ms) => this.#extendLease(d, ms),
      noteSettledElsewhere: (outcome, d) => this.#noteSettledElsewhere(outcome, d),
    };
    if (options.signal) {
      this.#onAbort = () => void this.close({ timeoutMs: this.opts.closeTimeoutMs });
      if (options.signal.aborted) queueMicrotask(this.#onAbort);
      else options.signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    this.#reader = new StreamReader(spec, this.opts as ResolvedSubscriberOptions<unknown>, {
      inFlight: this.#inFlight,
      counts: this.#counts,
      admit: (row, fields, receivedAt) => this.#admit(row, fields, receivedAt),
      emit: (event, ...args) => void this.emit(event, ...args),
      ended: () => void this.close({ timeoutMs: this.opts.closeTimeoutMs }),
    });
  }

  /** A snapshot of the counters. */
  stats(): SubscriberStats {
    return { ...this.#counts, inFlight: this.#inFlight.held, queued: this.queue.length, running: this.running, stuckHandlers: this.stuck };
  }

  /** The stream columns, once the first packet came. */
  get fields(): readonly StreamField[] {
    return this.#reader.fields;
  }

  // ---- holding --------------------------------------------------------------

  #admit(row: WireRow, fields: readonly StreamField[], receivedAt: number): void {
    let decoded: Record<string, unknown>;
    let message: T;
    try {
      decoded = decodeRow(fields, row, { int64: this.opts.int64 });
      message = this.#hydrate(decoded, fields);
    } catch (err) {
      this.#undecodable(row, fields, err);
      return;
    }
    const id = decoded.id as string | bigint;
    const epoch = decoded.epoch === undefined ? 0 : Number(decoded.epoch);
    const routing = this.#routingColumn ? decoded[this.#routingColumn] : undefined;
    const d = new Delivery<T>(this.#owner, id, String(id), epoch, routing, message, receivedAt, decoded.epoch !== undefined);
    this.#inFlight.take();
    this.#counts.received++;
    if (epoch > 0) this.#counts.redelivered++;
    this.queue.push(d);
    this.emit('message', d);
    this.onQueued();
  }

  /**
   * A row that could not be decoded or hydrated. One bad row must not end the
   * subscription: it is not held, so the tablet sends it again after the ack
   * wait, each time one epoch higher. That makes each delivery an attempt: at
   * the attempt limit it is failed (dead letter) with a reason naming the
   * column, instead of cycling forever. Needs its id and epoch readable.
   */
  #undecodable(row: WireRow, fields: readonly StreamField[], err: unknown): void {
    this.#counts.decodeErrors++;
    const what = err instanceof RowDecodeError ? err.message : `the row could not be hydrated: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
    const max = this.opts.maxAttempts ?? this.spec.options.maxAttempts ?? 0;
    let entry: SettleEntry | undefined;
    try {
      const cells = splitRow(row);
      const at = (name: string) => fields.findIndex((f) => f.name === name);
      const [idAt, epochAt, routingAt] = [at('id'), at('epoch'), this.#routingColumn ? at(this.#routingColumn) : -1];
      const value = (i: number) => decodeValue(fields[i]!.type, cells[i] ?? null);
      // An unreadable vindex value leaves the fail to scatter by id.
      const routing = (): unknown => {
        try {
          return routingAt >= 0 ? value(routingAt) : undefined;
        } catch {
          return undefined;
        }
      };
      if (idAt >= 0 && epochAt >= 0) entry = { id: String(value(idAt)), epoch: Number(value(epochAt)), routing: routing() };
    } catch {
      entry = undefined; // not even its id or epoch: nothing to fail it by
    }
    const attempt = entry ? entry.epoch! + 1 : undefined;
    const last = entry !== undefined && max > 0 && attempt! >= max;
    this.emit('error', new VitessMessagesError(
      `a row of ${this.spec.table}${entry ? ` (id ${entry.id}, attempt ${attempt})` : ''} could not be read: ${what}; ${last ? 'it is failed (attempt limit)' : 'it comes back after the ack wait'}`,
      { cause: err },
    ));
    if (!last) return;
    // Held while its fail is written, so close() waits for it.
    this.#inFlight.take();
    const reason = clipReason(`attempt ${attempt} of ${max}: ${what}`);
    this.#settler.fail(entry!, reason).then((changed) => {
      if (changed > 0) {
        this.#counts.failed++;
        this.emit('failed', entry!.id, reason);
      } else this.#counts.settleMisses++;
    }, (e: unknown) => {
      this.#counts.settleErrors++;
      this.emit('error', new VitessMessagesError(`fail of unreadable ${this.spec.table} id ${entry!.id} failed; it comes back after the ack wait`, { cause: e }));
    }).finally(() => this.#inFlight.release());
  }

  /** A delivery joined the queue. */
  protected abstract onQueued(): void;

  /** Marks a delivery as started (expiry is judged here). */
  protected start(d: Delivery<T>): void {
    this.started.add(d);
    if (this.#recentIds.has(d.idText)) {
      this.#counts.duplicates++;
      this.#recentIds.delete(d.idText); // re-added below as the newest
    } else if (this.#recentIds.size >= RECENT_IDS) {
      this.#recentIds.delete(this.#recentIds.values().next().value!);
    }
    this.#recentIds.add(d.idText);
    if (Date.now() - d.receivedAt > this.spec.options.ackWaitMs) {
      d.expiredBeforeStart = true;
      this.#counts.expiredBeforeStart++;
    }
  }

  protected countHandlerError(): void {
    this.#counts.handlerErrors++;
  }

  /** A handler ran past `handlerTimeoutMs`. */
  protected noteTimeout(): void {
    this.#counts.timeouts++;
  }

  // ---- settling -------------------------------------------------------------

  /** Called by a delivery's ack/nack/fail (once per delivery). */
  async #settle(d: Delivery<T>, how: Settlement, delayMs = 0, rawReason = ''): Promise<void> {
    // Cut to fit failure_reason (TEXT, in bytes): a reason too long fails the UPDATE in strict mode.
    const reason = how === 'failed' ? clipReason(rawReason) : rawReason;
    const entry: SettleEntry = { id: d.idText, epoch: d.epochKnown ? d.epoch : undefined, routing: d.routing };
    try {
      if (how === 'acked') {
        await this.#settler.ack(entry);
        this.#counts.acked++;
        this.emit('acked', d.idText, d.epoch);
      } else if (how === 'nacked') {
        if (await this.#settler.nack([entry], delayMs)) {
          this.#counts.nacked++;
          this.emit('nacked', d.idText, d.epoch);
        } else this.#miss(d, 'nack');
      } else {
        if (await this.#settler.fail(entry, reason)) {
          this.#counts.failed++;
          this.emit('failed', d.idText, reason);
        } else this.#miss(d, 'fail');
      }
      d.settled = how;
    } catch (err) {
      this.#counts.settleErrors++;
      // A dropped ack was reported with its batch (one AckWriteError event).
      if (!(err instanceof AckWriteError)) this.emit('error', new VitessMessagesError(`${how === 'acked' ? 'ack' : how === 'nacked' ? 'nack' : 'fail'} of ${this.spec.table} id ${d.idText} failed; it comes back after the ack wait`, { cause: err }));
      throw err;
    } finally {
      this.started.delete(d);
      this.#inFlight.release();
    }
  }

  #miss(d: Delivery<T>, what: string): void {
    this.#counts.settleMisses++;
    this.emit('error', new VitessMessagesError(`${what} of ${this.spec.table} id ${d.idText} (epoch ${d.epoch}) changed no row: it was acked, failed or sent again meanwhile, or the tablet's postpone did not land within the ack wait`));
  }

  /** See {@link Delivery.settledElsewhere}. */
  #noteSettledElsewhere(outcome: ElsewhereOutcome, d: Delivery<T>): void {
    if (outcome === 'missed') this.#counts.settleMisses++;
    else if (outcome === 'errored') this.#counts.settleErrors++;
    else if (outcome !== 'superseded') this.#counts[outcome]++;
    this.started.delete(d);
    this.#inFlight.release();
  }

  /** See {@link MessageContext.extend}. */
  async #extendLease(d: Delivery<T>, ms: number): Promise<boolean> {
    if (!Number.isFinite(ms) || ms <= 0) throw new InvalidOptionError('extend', 'ms', 'must be a number of ms > 0', ms);
    if (d.isSettling) return false;
    return (await this.#settler.extend({ id: d.idText, epoch: d.epochKnown ? d.epoch : undefined, routing: d.routing }, ms)) > 0;
  }

  /** How a failed handler's message is settled: dead letter, a delay, or the backoff. */
  protected settleAfterError(d: Delivery<T>, err: unknown): void {
    if (d.isSettling) return;
    const max = this.opts.maxAttempts ?? this.spec.options.maxAttempts ?? 0;
    const next = afterHandlerError(err, d.attempt, max, this.opts.retryBackoff ?? DEFAULT_RETRY_BACKOFF);
    ('fail' in next ? d.fail(next.fail) : d.nack({ delayMs: next.nackDelayMs })).catch(() => undefined);
  }

  // ---- closing --------------------------------------------------------------

  /**
   * Stops receiving, nacks what was received but not started (so it comes back
   * at once), waits up to `timeoutMs` for running handlers (then aborts their
   * signals), writes pending acks and ends the stream. Idempotent: later calls
   * return the first call's promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return (this.#closing ??= this.#close(options.timeoutMs ?? this.opts.closeTimeoutMs));
  }

  async #close(timeoutMs: number): Promise<void> {
    this.opts.signal?.removeEventListener('abort', this.#onAbort!);
    this.#reader.stop();
    await this.#reader.done;
    this.onClosing();
    // Unstarted: nack them in one go so the tablet sends them again now, with
    // their epoch restored: a delivery no handler saw is not an attempt.
    const unstarted = this.queue.splice(0).filter((d) => !d.isSettling);
    if (unstarted.length > 0) {
      try {
        // Rows no longer matched were acked or re-sent meanwhile: not ours to count.
        const entries = unstarted.map((d) => ({ id: d.idText, epoch: d.epochKnown ? d.epoch : undefined, routing: d.routing }));
        const changed = await this.#settler.nack(entries, 0, { uncount: true });
        this.#counts.nackedOnClose += changed;
        this.#counts.nacked += changed;
        for (const d of unstarted) d.settled = 'nacked';
      } catch (err) {
        this.#counts.settleErrors++;
        this.emit('error', new VitessMessagesError(`nack on close of ${unstarted.length} messages of ${this.spec.table} failed; they come back after the ack wait`, { cause: err }));
      }
      for (let i = 0; i < unstarted.length; i++) this.#inFlight.release();
    }
    this.#reader.dropPending(); // never admitted: they come back after the ack wait
    // Wait for running handlers (and the settles they start).
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight.held > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(20, Math.max(1, deadline - Date.now()))));
    }
    if (this.#inFlight.held > 0) {
      const reason = new VitessMessagesError(`subscriber of ${this.spec.table} closed after ${timeoutMs} ms with ${this.#inFlight.held} messages unsettled`);
      for (const d of this.started) d.abort(reason);
    }
    // Failed acks are retried until the close deadline (at least one try each), then dropped.
    await this.#settler.flush(deadline).catch((err: unknown) => {
      this.#counts.settleErrors++;
      this.emit('error', err);
    });
    this.#reader.closeTransport();
    this.closed = true;
    this.onClosed();
    this.emit('closed');
  }

  /** True once `close()` was called (or the stream ended). */
  protected get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Hook: receiving stopped; the queue is about to be nacked. */
  protected onClosing(): void {}
  /** Hook: close finished. */
  protected onClosed(): void {}

  /** Resolves when the subscriber has closed; rejects with the stream's error if it ended with one. */
  async wait(): Promise<void> {
    await this.#reader.done;
    await this.#closing;
    if (this.#reader.fatal !== undefined) throw this.#reader.fatal;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ timeoutMs: this.opts.closeTimeoutMs });
  }
}
