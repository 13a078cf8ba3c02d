/**
 * Everything a subscriber does but the consumption style: holding deliveries
 * (at most `maxInFlight`), settling them through the {@link Settler}, and
 * closing gracefully. {@link Subscriber} (handlers) and {@link MessageStream}
 * (iterator) build on it; the {@link StreamReader} feeds it rows.
 */
import { leaseNs } from '../core/due';
import { decodeRow, decodeValue, RowDecodeError, splitRow, type StreamField, type WireRow } from '../core/decode';
import { AckWriteError, VitessMessagesError } from '../core/errors';
import { clipReason } from '../core/reason';
import type { MessageTableSpec } from '../core/spec';
import { DEFAULT_RETRY_BACKOFF } from './backoff';
import { Delivery, type DeliveryOwner, type ElsewhereOutcome, type SettleDetail } from './delivery';
import { zeroCounters, type SubscriberEvents, type SubscriberStats } from './events';
import { plainHydrator, type Hydrator } from './hydrator';
import { InFlight } from './in-flight';
import { LeaseRenewer } from './lease-renewal';
import type { Settlement } from './message';
import { checkCloseOptions, DEFAULT_CONNECT_ATTEMPTS, resolveSubscriberOptions, SUBSCRIBER_OPTION_NAMES, type CloseOptions, type ResolvedSubscriberOptions, type SubscriberOptions } from './options';
import { afterHandlerError } from './retry-policy';
import { Readiness } from './readiness';
import { RecentIds } from './recent-ids';
import { Settler, type SettleEntry } from './settler';
import { StreamReader } from './stream-reader';
import { TypedEmitter } from './typed-emitter';
import { SubscriberTelemetry, type RowTelemetry } from '../telemetry/subscriber-telemetry';

/** Ids a subscriber always remembers having started (up to twice as many), to count `duplicates`. */
const RECENT_IDS = 10_000;

/**
 * What both subscriber forms share — {@link Subscriber} (a handler per
 * message) and {@link MessageStream} (an async iterator): reading the stream
 * with flow control, lifecycle (`run`, `pause`, `resume`, `close`), stats and
 * the typed events. Not for subclassing: its protected members are internal.
 */
export abstract class SubscriberCore<T> extends TypedEmitter<SubscriberEvents<T>> {
  /** @internal */
  protected readonly spec: MessageTableSpec;
  /** @internal */
  protected readonly opts: ResolvedSubscriberOptions<T>;
  readonly #settler: Settler;
  readonly #hydrate: Hydrator<T>;
  /** Made by {@link run} (at once unless `autorun: false`). */
  #reader: StreamReader | undefined;
  #paused = false;
  /** For {@link waitUntilReady}. */
  readonly #readiness: Readiness;
  /** Callers of {@link pause} waiting for started messages to settle. */
  #idleWaiters: Array<() => void> = [];
  /** Why a delivery was dead-lettered by the retry policy (for `deadLettered`). */
  readonly #failCause = new WeakMap<Delivery<T>, unknown>();
  /** Deliveries whose nack or fail changed no row. */
  readonly #missed = new WeakSet<Delivery<T>>();
  /** Resolves when close finished (what {@link wait} waits for, also before `run()`). */
  #markClosed!: () => void;
  readonly #closedDone = new Promise<void>((resolve) => (this.#markClosed = resolve));
  readonly #inFlight: InFlight;
  readonly #counts = zeroCounters();
  /** What deliveries call back; kept off the public class. */
  readonly #owner: DeliveryOwner<T>;
  /** Ids started lately (oldest first), for `duplicates`. */
  readonly #recentIds = new RecentIds(RECENT_IDS);
  /** @internal Handlers aborted by their timeout that have not returned (a gauge). */
  protected stuck = 0;
  /** @internal Deliveries whose handler (or iterator consumer) started and that are not settled. */
  protected readonly started = new Set<Delivery<T>>();
  /** @internal */
  protected readonly queue: Delivery<T>[] = [];
  /** @internal */
  protected running = 0;
  /** @internal */
  protected closed = false;
  #routingColumn: string | undefined;
  #closing: Promise<void> | undefined;
  #onAbort: (() => void) | undefined;
  /** Deliveries handed back unsettled (the iterator was left): nacked on close with their epoch restored. */
  readonly #handedBack: Delivery<T>[] = [];
  /** `autoExtend`: the leases of running handlers, renewed on one timer. */
  readonly #leases: LeaseRenewer<Delivery<T>>;
  /** @internal OpenTelemetry hooks (no-ops without a registered provider). */
  protected readonly telemetry: SubscriberTelemetry;
  /** @internal The option names this form accepts (the iterator form accepts fewer). */
  static readonly optionNames: readonly string[] = SUBSCRIBER_OPTION_NAMES;

  constructor(spec: MessageTableSpec, options: SubscriberOptions<T>, subject: string) {
    super();
    this.spec = spec;
    this.opts = resolveSubscriberOptions(spec, options, subject, (new.target as unknown as typeof SubscriberCore).optionNames);
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
    this.telemetry = new SubscriberTelemetry(spec, () => this.#inFlight.held);
    const ackWaitMs = spec.options.ackWaitMs;
    this.#leases = new LeaseRenewer<Delivery<T>>({
      everyMs: ackWaitMs / 2,
      extend: (d) => this.#extendLease(d, leaseNs(ackWaitMs, 'autoExtend'), undefined),
      done: (d) => d.isSettling || this.closed,
      extended: () => void this.#counts.extensions++,
      failed: (d, err) => this.emit('error', new VitessMessagesError(`lease extension of ${this.spec.table} id ${d.idText} failed; it is tried again`, { cause: err })),
    });
    this.#owner = {
      settle: (d, how, detail) => this.#settle(d, how, detail),
      extendLease: (d, timeNextNs, waitMs) => this.#extendLease(d, timeNextNs, waitMs),
      noteSettledElsewhere: (outcome, d) => this.#noteSettledElsewhere(outcome, d),
    };
    if (options.signal) {
      this.#onAbort = () => void this.close({ timeout: this.opts.closeTimeoutMs });
      if (options.signal.aborted) queueMicrotask(this.#onAbort);
      else options.signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    const address = this.opts.address !== undefined && this.opts.transport === undefined ? this.opts.address : '(transport)';
    this.#readiness = new Readiness(spec.table, address, this.opts.connectAttempts ?? DEFAULT_CONNECT_ATTEMPTS);
    if (this.opts.autorun !== false) this.run();
  }

  /**
   * Starts reading the stream (what the constructor does unless
   * `autorun: false`). Idempotent; returns the subscriber. Throws a
   * {@link VitessMessagesError} once it is closing.
   */
  run(): this {
    if (this.closing) throw new VitessMessagesError(`subscriber of ${this.spec.table} is closed: run() cannot start it again`);
    if (this.#reader) return this;
    this.#reader = new StreamReader(this.spec, this.opts as ResolvedSubscriberOptions<unknown>, {
      inFlight: this.#inFlight,
      counts: this.#counts,
      admit: (row, fields, receivedAt) => this.#admit(row, fields, receivedAt),
      emit: (event, ...args) => void (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
      ended: () => void this.close({ timeout: this.opts.closeTimeoutMs }),
      opened: () => this.#readiness.opened(),
      streamDown: (delivered, error, final) => this.#readiness.down(delivered, error, final),
    });
    if (this.#paused) this.#reader.pause();
    return this;
  }

  /** True once {@link run} started reading. */
  get isRunning(): boolean {
    return this.#reader !== undefined && !this.closed;
  }

  // ---- readiness --------------------------------------------------------------

  /**
   * Resolves once the stream is open: vtgate sent its first packet (the
   * fields), which it does as soon as the first shard's tablet set up its
   * stream — the other shards' follow within milliseconds, and a message on
   * a shard not yet streaming is sent when it is (nothing is missed). Rejects
   * with a {@link ConnectError} (address, attempts, last cause) after
   * `connectAttempts` failed opens in a row, at once when the stream failed
   * for good (a non-retryable status), or when the subscriber closes first.
   * The subscriber itself keeps reconnecting after a rejection: close it if
   * you give up. Before `run()` (with `autorun: false`) it waits for it.
   */
  waitUntilReady(): Promise<void> {
    if (this.closing) return Promise.reject(new VitessMessagesError(`subscriber of ${this.spec.table} is closed: its stream is not open`));
    return this.#readiness.wait();
  }

  // ---- pause ----------------------------------------------------------------

  /**
   * Stops starting handlers (the iterator: handing out items) and reading the
   * stream until {@link resume}. What is held stays held — queued messages are
   * not nacked, and rows vtgate already sent wait in the transport — so keep
   * pauses shorter than the table's ack wait, or the tablet sends those
   * messages again (to this subscriber or another). Resolves once every
   * started message is settled (running handlers finished). Idempotent; a
   * no-op once closing.
   */
  pause(): Promise<void> {
    if (!this.#paused && !this.closing) {
      this.#paused = true;
      this.#reader?.pause();
      this.emit('paused');
    }
    if (this.started.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Undoes {@link pause}: handlers start again on what is queued, and reading goes on. */
  resume(): void {
    if (!this.#paused || this.closing) return;
    this.#paused = false;
    this.#reader?.resume();
    this.emit('resumed');
    this.onResumed();
  }

  /** True between {@link pause} and {@link resume}. */
  get isPaused(): boolean {
    return this.#paused;
  }

  /** @internal Hook: resumed; start what is queued. */
  protected onResumed(): void {}

  #settledOne(d: Delivery<T>): void {
    this.started.delete(d);
    this.#inFlight.release();
    if (this.started.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  /** A snapshot of the counters. */
  stats(): SubscriberStats {
    return { ...this.#counts, inFlight: this.#inFlight.held, queued: this.queue.length, running: this.running, stuckHandlers: this.stuck };
  }

  /** The stream columns, once the first packet came. */
  get fields(): readonly StreamField[] {
    return this.#reader?.fields ?? [];
  }

  // ---- holding --------------------------------------------------------------

  #admit(row: WireRow, fields: readonly StreamField[], receivedAt: number): void {
    let decoded: Record<string, unknown>;
    let message: T;
    let telemetry: RowTelemetry | undefined;
    try {
      decoded = decodeRow(fields, row, { int64: this.opts.int64 });
      telemetry = this.telemetry.takeColumns(decoded);
      message = this.#hydrate(decoded, this.telemetry.visibleFields(fields));
    } catch (err) {
      this.#undecodable(row, fields, err);
      return;
    }
    const id = decoded.id as string | bigint;
    const epoch = decoded.epoch === undefined ? 0 : Number(decoded.epoch);
    const routing = this.#routingColumn ? decoded[this.#routingColumn] : undefined;
    const d = new Delivery<T>(this.#owner, id, String(id), epoch, routing, message, receivedAt, decoded.epoch !== undefined);
    if (telemetry !== undefined) d.telemetry = telemetry;
    this.#inFlight.take();
    this.#counts.received++;
    this.telemetry.consumed();
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
        this.telemetry.settled('failed');
        this.emit('failed', entry!.id, reason);
      } else this.#counts.settleMisses++;
    }, (e: unknown) => {
      this.#counts.settleErrors++;
      this.emit('error', new VitessMessagesError(`fail of unreadable ${this.spec.table} id ${entry!.id} failed; it comes back after the ack wait`, { cause: e }));
    }).finally(() => this.#inFlight.release());
  }

  /** @internal A delivery joined the queue. */
  protected abstract onQueued(): void;

  /** @internal Marks a delivery as started (expiry is judged here). */
  protected start(d: Delivery<T>): void {
    this.started.add(d);
    if (this.#recentIds.seen(d.idText)) {
      this.#counts.duplicates++;
      this.telemetry.duplicate();
    }
    if (Date.now() - d.receivedAt > this.spec.options.ackWaitMs) {
      d.expiredBeforeStart = true;
      this.#counts.expiredBeforeStart++;
    }
    this.telemetry.started(d);
    this.emit('active', d.message, d);
  }

  /** @internal */
  protected countHandlerError(): void {
    this.#counts.handlerErrors++;
  }

  /** @internal A handler ran past `handlerTimeout`. */
  protected noteTimeout(): void {
    this.#counts.timeouts++;
  }

  // ---- settling -------------------------------------------------------------

  /** Called by a delivery's ack/nack/fail (once per delivery). */
  #settle(d: Delivery<T>, how: Settlement, detail: SettleDetail = {}): Promise<void> {
    return how === 'acked' ? this.#ack(d) : this.#settleOther(d, how, detail);
  }

  /** An ack (what nearly every message ends with): one callback pair on the settler's promise, no async frame. */
  #ack(d: Delivery<T>): Promise<void> {
    const failed = (err: unknown): never => {
      this.#settleFailed(d, 'acked', err);
      throw err;
    };
    return this.#settler.ack({ id: d.idText, epoch: d.epochKnown ? d.epoch : undefined, routing: d.routing }).then(() => {
      try {
        this.#counts.acked++;
        this.telemetry.settled('acked');
        d.settled = 'acked'; // before the events: their listeners see it settled
        this.emit('acked', d.idText, d.epoch);
        this.emit('completed', d.message, d);
      } catch (err) {
        failed(err);
      }
      this.#settledOne(d);
    }, failed);
  }

  async #settleOther(d: Delivery<T>, how: Exclude<Settlement, 'acked'>, detail: SettleDetail): Promise<void> {
    const entry: SettleEntry = { id: d.idText, epoch: d.epochKnown ? d.epoch : undefined, routing: d.routing };
    try {
      if (how === 'nacked') {
        if (await this.#settler.nack([entry], detail.timeNextNs, detail.waitMs === undefined ? {} : { waitMs: detail.waitMs })) {
          this.#counts.nacked++;
          this.telemetry.settled('nacked');
          this.emit('nacked', d.idText, d.epoch);
        } else this.#miss(d, 'nack');
      } else {
        // Cut to fit failure_reason (TEXT, in bytes): a reason too long fails the UPDATE in strict mode.
        const reason = clipReason(detail.reason ?? '');
        if (await this.#settler.fail(entry, reason)) {
          this.#counts.failed++;
          this.telemetry.settled('failed');
          this.emit('failed', d.idText, reason);
          this.emit('deadLettered', d.message, this.#failCause.get(d) ?? new VitessMessagesError(reason), d);
        } else this.#miss(d, 'fail');
      }
      d.settled = how;
      this.#settledOne(d);
    } catch (err) {
      this.#settleFailed(d, how, err);
      throw err;
    }
  }

  /** A settle statement failed: counted and reported; the delivery's place is freed (it comes back after the ack wait). */
  #settleFailed(d: Delivery<T>, how: Settlement, err: unknown): void {
    this.#counts.settleErrors++;
    // A dropped ack was reported with its batch (one AckWriteError event).
    if (!(err instanceof AckWriteError)) this.emit('error', new VitessMessagesError(`${how === 'acked' ? 'ack' : how === 'nacked' ? 'nack' : 'fail'} of ${this.spec.table} id ${d.idText} failed; it comes back after the ack wait`, { cause: err }));
    this.#settledOne(d);
  }

  #miss(d: Delivery<T>, what: string): void {
    this.#missed.add(d);
    this.#counts.settleMisses++;
    this.emit('error', new VitessMessagesError(`${what} of ${this.spec.table} id ${d.idText} (epoch ${d.epoch}) changed no row: it was acked, failed or sent again meanwhile, or the tablet's postpone did not land within the ack wait`));
  }

  /** See {@link Delivery.settledElsewhere}. */
  #noteSettledElsewhere(outcome: ElsewhereOutcome, d: Delivery<T>): void {
    if (outcome === 'missed') this.#counts.settleMisses++;
    else if (outcome === 'errored') this.#counts.settleErrors++;
    else if (outcome !== 'superseded') {
      this.#counts[outcome]++;
      this.telemetry.settled(outcome);
    }
    this.#settledOne(d);
  }

  /** See {@link MessageContext.extend}. */
  async #extendLease(d: Delivery<T>, timeNextNs: string, waitMs: number | undefined): Promise<boolean> {
    if (d.isSettling) return false;
    return (await this.#settler.extend({ id: d.idText, epoch: d.epochKnown ? d.epoch : undefined, routing: d.routing }, timeNextNs, waitMs)) > 0;
  }

  /**
   * `autoExtend`: pushes `d`'s lease out to now + the table's ack wait every
   * half ack wait until it settles, {@link releaseLease} is called or the
   * subscriber closes (see {@link LeaseRenewer}).
   * @internal
   */
  protected keepLeased(d: Delivery<T>): void {
    this.#leases.start(d);
  }

  /** @internal Ends {@link keepLeased} for `d` (its handler returned). */
  protected releaseLease(d: Delivery<T>): void {
    this.#leases.stop(d);
  }

  /** @internal How a failed handler's message is settled: dead letter, a delay, or the backoff. */
  protected settleAfterError(d: Delivery<T>, err: unknown): void {
    if (d.isSettling) return;
    const max = this.opts.maxAttempts ?? this.spec.options.maxAttempts ?? 0;
    const next = afterHandlerError(err, d.attempt, max, this.opts.retryBackoff ?? DEFAULT_RETRY_BACKOFF);
    if ('fail' in next) {
      this.#failCause.set(d, err);
      d.fail(next.fail).catch(() => undefined);
      return;
    }
    d.nack({ delay: next.nackDelayMs }).then(() => {
      if (!this.#missed.has(d)) this.emit('retrying', d.message, err, next.nackDelayMs);
    }, () => undefined);
  }

  // ---- closing --------------------------------------------------------------

  /**
   * Stops receiving; nacks what was received but not started, with its epoch
   * restored (it comes back at once and uses no attempt) — queued deliveries,
   * rows read from a packet but not yet admitted, and a delivery handed back by
   * leaving the iterator; waits for running handlers (then aborts their
   * signals) and writes pending acks. `timeout` bounds all of it: a nack or
   * an ack write still running then is left to finish in the background (an
   * `error` event says so). Idempotent: later calls return the first call's
   * promise. A misspelt option or a bad timeout rejects without closing.
   */
  close(options: CloseOptions = {}): Promise<void> {
    let timeoutMs: number | undefined;
    try {
      timeoutMs = checkCloseOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    return (this.#closing ??= this.#close(timeoutMs ?? this.opts.closeTimeoutMs));
  }

  /** @internal The iterator was left with `d` in hand and unsettled: nack it on close, epoch restored. */
  protected handBack(d: Delivery<T>): void {
    // Marked settled (and its place freed) now, so a late ack() of it writes nothing.
    if (d.settledElsewhere('nacked')) this.#handedBack.push(d);
  }

  async #close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.opts.signal?.removeEventListener('abort', this.#onAbort!);
    this.#reader?.stop();
    if (this.#reader) await beforeDeadline(this.#reader.done, deadline).catch(() => undefined);
    this.#readiness.rejectAll(new VitessMessagesError(`subscriber of ${this.spec.table} closed before its stream was open`));
    this.onClosing();
    // Never handed to a handler: nack them in one go, epoch restored, so the
    // tablet sends them again now; a delivery no handler saw is not an attempt.
    const unstarted = this.queue.splice(0).filter((d) => !d.isSettling);
    for (let i = 0; i < unstarted.length; i++) this.#inFlight.release();
    const handedBack = this.#handedBack.splice(0);
    const entries: SettleEntry[] = [...handedBack, ...unstarted].map((d) => ({ id: d.idText, epoch: d.epochKnown ? d.epoch : undefined, routing: d.routing }));
    entries.push(...this.#unadmittedEntries());
    const nacking = entries.length > 0 ? this.#settler.nack(entries, undefined, { uncount: true }) : undefined;
    nacking?.catch(() => undefined); // reported below, or left to the background after the deadline
    // Meanwhile, running handlers (and the settles they start) finish.
    while (this.#inFlight.held > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(20, Math.max(1, deadline - Date.now()))));
    }
    if (this.#inFlight.held > 0) {
      const reason = new VitessMessagesError(`subscriber of ${this.spec.table} closed after ${timeoutMs} ms with ${this.#inFlight.held} messages unsettled`);
      for (const d of this.started) d.abort(reason);
    }
    if (nacking) {
      try {
        const done = await beforeDeadline(nacking, deadline);
        if (done) {
          // Rows no longer matched were acked or re-sent meanwhile: not ours to count.
          const changed = done.value;
          this.#counts.nackedOnClose += changed;
          this.#counts.nacked += Math.max(0, changed - handedBack.length); // handed-back ones are counted already
          this.telemetry.settled('nacked', Math.max(0, changed - handedBack.length));
          for (const d of unstarted) d.settled = 'nacked';
        } else {
          this.emit('error', new VitessMessagesError(`nack on close of ${entries.length} messages of ${this.spec.table} did not finish within ${timeoutMs} ms; it goes on in the background (otherwise they come back after the ack wait)`));
        }
      } catch (err) {
        this.#counts.settleErrors++;
        this.emit('error', new VitessMessagesError(`nack on close of ${entries.length} messages of ${this.spec.table} failed; they come back after the ack wait`, { cause: err }));
      }
    }
    try {
      // Failed acks are retried until the close deadline (at least one try each), then dropped.
      if (!(await beforeDeadline(this.#settler.flush(deadline), deadline))) {
        this.emit('error', new VitessMessagesError(`ack writes of ${this.spec.table} did not finish within ${timeoutMs} ms of close; they go on in the background`));
      }
    } catch (err) {
      this.#counts.settleErrors++;
      this.emit('error', err);
    }
    this.#reader?.closeTransport();
    this.closed = true;
    this.telemetry.close();
    for (const w of this.#idleWaiters.splice(0)) w();
    this.onClosed();
    this.emit('closed');
    this.#markClosed();
  }

  /** Rows the reader took off a packet but never admitted, as nack entries (an undecodable one comes back after the ack wait). */
  #unadmittedEntries(): SettleEntry[] {
    if (!this.#reader) return [];
    const { rows, fields } = this.#reader.takePending();
    const out: SettleEntry[] = [];
    for (const row of rows) {
      try {
        const decoded = decodeRow(fields, row, { int64: 'string' });
        out.push({
          id: String(decoded.id),
          epoch: decoded.epoch === undefined ? undefined : Number(decoded.epoch),
          routing: this.#routingColumn ? decoded[this.#routingColumn] : undefined,
        });
      } catch {
        this.#counts.decodeErrors++;
      }
    }
    return out;
  }

  /** @internal True once `close()` was called (or the stream ended). */
  protected get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** @internal Hook: receiving stopped; the queue is about to be nacked. */
  protected onClosing(): void {}
  /** @internal Hook: close finished. */
  protected onClosed(): void {}

  /** Resolves when the subscriber has closed; rejects with the stream's error if it ended with one. */
  async wait(): Promise<void> {
    await this.#closedDone;
    if (this.#reader?.fatal !== undefined) throw this.#reader.fatal;
  }

  /** `await using sub = subscribe(…)`: closes it on scope exit, bounded by `closeTimeout`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ timeout: this.opts.closeTimeoutMs });
  }
}

/** `{ value }` once `p` resolves, or undefined when `deadline` (`Date.now()` ms) passes first; rejects as `p` does. */
function beforeDeadline<V>(p: Promise<V>, deadline: number): Promise<{ value: V } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), undefined)));
  return Promise.race([p.then((value) => ({ value })), expired]).finally(() => clearTimeout(timer));
}
