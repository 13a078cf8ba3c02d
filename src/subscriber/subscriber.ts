/**
 * The streaming subscriber: reads `stream * from ks.t` through a
 * {@link StreamTransport}, holds at most `maxInFlight` unsettled messages (and
 * stops reading the stream while full, so vtgate and the tablet hold the rest),
 * runs handlers with bounded concurrency, batches acks, and closes gracefully.
 */
import { decodeRow, type StreamField, type WireRow } from '../core/decode';
import { checkDelayMs, InvalidOptionError, RetryLaterError, StreamError, UnrecoverableError, VitessMessagesError } from '../core/errors';
import type { Executor } from '../core/executor';
import { checkIdentifier, checkKeyspace, quoteIdentifier, quoteTable } from '../core/identifiers';
import { nowNs, msToNs } from '../core/time';
import type { MessageTableSpec } from '../core/spec';
import { backoffDelayMs, DEFAULT_RECONNECT_BACKOFF, DEFAULT_RETRY_BACKOFF, type Backoff } from './backoff';
import type { VtgateGrpcOptions } from './grpc/vtgate-grpc-transport';
import { VtgateGrpcTransport } from './grpc/vtgate-grpc-transport';
import type { MessageContext, NackOptions, ReceivedMessage, Settlement } from './message';
import { Settler, type SettleEntry } from './settler';
import type { StreamCall, StreamPacket, StreamTransport } from './transport';
import { asStreamError } from './stream-status';
import { TypedEmitter } from './typed-emitter';

/** Turns a decoded row (column name → value) into what handlers receive. */
export type Hydrator<T> = (row: Record<string, unknown>, fields: readonly StreamField[]) => T;

/** Options shared by {@link subscribe} and {@link stream}. */
export interface SubscriberOptions<T = Record<string, unknown>> {
  /**
   * Where acks, nacks and fails are written (any MySQL-protocol client on
   * vtgate, through an adapter). Required: the stream itself is read-only.
   */
  readonly executor: Executor;
  /**
   * The stream source. Default: a {@link VtgateGrpcTransport} on `address`,
   * owned (and closed) by the subscriber. A transport passed in is not closed.
   */
  readonly transport?: StreamTransport;
  /** vtgate's gRPC `host:port`, when no `transport` is given. */
  readonly address?: string;
  /** Further gRPC options (TLS credentials, caller id, metadata hook, keepalive) for the default transport. */
  readonly grpc?: Omit<VtgateGrpcOptions, 'address'>;
  /** Read one shard only (e.g. `-80`); default all shards of the keyspace. */
  readonly shard?: string;
  /**
   * Most messages held but not settled (queued or running, plus acks not yet
   * written). When reached, the subscriber stops reading the stream; what the
   * transport has buffered by then is bounded separately (see the README's
   * "Flow control"). Default 1000: two packets of the default `vt_batch_size`
   * (500), enough to keep handlers busy while acks are written, small enough
   * that held messages do not outlive a 30 s ack wait at ~50 messages/s.
   */
  readonly maxInFlight?: number;
  /**
   * Handlers running at once (handler form). Default 10: handlers are usually
   * I/O bound; raise it for many slow handlers, lower it for CPU-bound ones.
   */
  readonly concurrency?: number;
  /**
   * Most ids in one ack UPDATE. Default 500: one statement per 500 acks kept a
   * Go consumer at ≈20k/s here (DESIGN §3); larger statements gained nothing.
   */
  readonly ackBatchSize?: number;
  /**
   * How long an ack may wait for others to join its batch, in ms. Default 0:
   * acks are written on the next tick, and while one ack UPDATE runs the next
   * batch fills up, so batches grow with load by themselves.
   */
  readonly ackIntervalMs?: number;
  /**
   * Ack UPDATEs in flight at once. Default 2: while one batch is written the
   * next is already on its way, which kept the stream flowing here; more gained
   * little on 2 shards (see bench/drain.ts).
   */
  readonly ackConcurrency?: number;
  /** 64-bit integers (ids, bigint columns) as decimal `'string'` (default) or `'bigint'`; never a lossy number. */
  readonly int64?: 'string' | 'bigint';
  /** Builds the message from a decoded row. Default: `{ id, epoch, ...payload by property name }`. */
  readonly hydrate?: Hydrator<T>;
  /**
   * Deliveries after which a throwing handler's message is failed (dead letter,
   * last error as the reason) instead of nacked. Default: the table's
   * `maxAttempts` (25 unless set); `0` = unlimited. See {@link MessageContext.attempt}.
   */
  readonly maxAttempts?: number;
  /** Backoff of a throwing handler's nack, from the message's epoch. Default 1 s doubling to 5 min, ±25 %. */
  readonly retryBackoff?: Backoff;
  /**
   * Aborts `ctx.signal` and nacks the message when a handler runs longer than
   * this (ms). Keep it below the table's ack wait, or extend the lease. Default:
   * none.
   */
  readonly handlerTimeoutMs?: number;
  /**
   * Reopen the stream when it ends or fails with a retryable status (vtgate or
   * a tablet restarting, a dropped connection), waiting this backoff between
   * tries; `false` to end the subscriber instead. Non-retryable statuses (an
   * unknown table, not a message table, a non-primary target) always end it.
   * Default 100 ms doubling to 10 s.
   */
  readonly reconnect?: false | Backoff;
  /**
   * Stall watchdog, in ms: when nothing came off the stream for this long
   * while the subscriber had room and the table has messages due for longer
   * than two poller intervals, emit `stalled` and resubscribe on a new channel
   * (Vitess #8910: a stream alive but silent). Default 60 s; `0` = off. A
   * subscriber paused because it is full never counts as stalled.
   */
  readonly stallTimeoutMs?: number;
  /** Closing the subscriber when aborted (`close()` with `closeTimeoutMs`). */
  readonly signal?: AbortSignal;
  /** The timeout of a `close()` triggered by `signal` or `Symbol.asyncDispose`. Default 30 s. */
  readonly closeTimeoutMs?: number;
}

/** A handler: resolve → acked; throw → nacked (due again now). Settle `ctx` yourself to override. */
export type MessageHandler<T> = (message: T, ctx: MessageContext) => unknown | Promise<unknown>;

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
  readonly acked: number;
  readonly nacked: number;
  readonly failed: number;
  /** Deliveries with epoch > 0 (the tablet sent them before). */
  readonly redelivered: number;
  /**
   * Deliveries whose ack wait had passed before their handler started,
   * measured from when their packet came off the transport (so queueing in
   * the subscriber counts, time in transport buffers before it cannot).
   */
  readonly expiredBeforeStart: number;
  /** Handlers that threw (each nacked). */
  readonly handlerErrors: number;
  /** Acks/nacks/fails whose SQL failed (the message comes back after its ack wait). */
  readonly settleErrors: number;
  /**
   * Nacks and fails that changed no row (each also an `error` event): the
   * message was acked, failed or sent again meanwhile (its ack wait passed),
   * or the tablet's postpone did not land within the ack wait. Not counted as
   * nacked / failed. (Acks are written in batches and not checked per id.)
   */
  readonly settleMisses: number;
  /** Rows that could not be decoded or hydrated (not held; they come back after the ack wait). */
  readonly decodeErrors: number;
  /** Streams reopened after an end, an error or a stall. */
  readonly reconnects: number;
  /** Stalls the watchdog detected. */
  readonly stalls: number;
  /** Handlers that ran past `handlerTimeoutMs`. */
  readonly timeouts: number;
  /** Received but never started when the subscriber closed; nacked so they come back at once. */
  readonly nackedOnClose: number;
}

/** The subscriber's events: one typed map for every event it emits. */
export type SubscriberEvents = {
  /** A message came off the stream and is held (queued for a handler or the iterator). */
  message: [ctx: MessageContext];
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

/** Options of {@link Subscriber.close}. */
export interface CloseOptions {
  /** How long to wait for running handlers before aborting their signals. Default 30 s. */
  readonly timeoutMs?: number;
}

const DEFAULTS = { maxInFlight: 1000, concurrency: 10, ackBatchSize: 500, ackConcurrency: 2, ackIntervalMs: 0, closeTimeoutMs: 30_000, stallTimeoutMs: 60_000 };

/** @internal A delivery as the subscriber holds it. */
export class Delivery<T> implements ReceivedMessage<T> {
  settled: Settlement | undefined;
  expiredBeforeStart = false;
  #settling: Promise<void> | undefined;

  constructor(
    private readonly owner: SubscriberCore<T>,
    readonly id: string | bigint,
    readonly idText: string,
    readonly epoch: number,
    readonly routing: unknown,
    readonly message: T,
    readonly receivedAt: number,
    /** @internal Whether the stream carried `epoch` (nack/fail are then guarded by it). */
    readonly epochKnown: boolean,
  ) {}

  readonly #controller = new AbortController();

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

/**
 * Everything but the consumption style: reading, holding, settling, closing.
 * {@link Subscriber} (handlers) and {@link MessageStream} (iterator) build on it.
 */
abstract class SubscriberCore<T> extends TypedEmitter<SubscriberEvents> {
  protected readonly spec: MessageTableSpec;
  protected readonly opts: Required<Pick<SubscriberOptions<T>, 'maxInFlight' | 'concurrency' | 'ackBatchSize' | 'ackConcurrency' | 'ackIntervalMs' | 'closeTimeoutMs' | 'stallTimeoutMs'>> & SubscriberOptions<T>;
  #transport: StreamTransport;
  readonly #ownsTransport: boolean;
  readonly #settler: Settler;
  readonly #hydrate: Hydrator<T>;
  /** Deliveries whose handler (or iterator consumer) started and that are not settled. */
  protected readonly started = new Set<Delivery<T>>();
  #call: StreamCall | undefined;
  #fields: readonly StreamField[] = [];
  #routingColumn: string | undefined;
  /** Rows of the last packet not yet admitted (the subscriber was full). */
  #pendingRows: WireRow[] = [];
  /** When the packet of `#pendingRows` came off the transport (`Date.now()`). */
  #pendingAt = 0;
  protected readonly queue: Delivery<T>[] = [];
  #held = 0;
  #capacityWaiter: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #receiving = true;
  protected closed = false;
  #fatal: unknown;
  readonly #counts = { received: 0, acked: 0, nacked: 0, failed: 0, redelivered: 0, expiredBeforeStart: 0, handlerErrors: 0, settleErrors: 0, settleMisses: 0, decodeErrors: 0, nackedOnClose: 0, reconnects: 0, stalls: 0, timeouts: 0 };
  protected running = 0;
  readonly #pump: Promise<void>;
  #onAbort: (() => void) | undefined;

  constructor(spec: MessageTableSpec, options: SubscriberOptions<T>, subject: string) {
    super();
    this.spec = spec;
    this.opts = { ...DEFAULTS, ...stripUndefined(options), executor: options.executor };
    validate(spec, this.opts, subject);
    this.#routingColumn = spec.vindex && spec.vindex.column !== 'id' ? spec.vindex.column : undefined;
    this.#settler = new Settler(spec, options.executor, {
      ackBatchSize: this.opts.ackBatchSize,
      ackIntervalMs: this.opts.ackIntervalMs,
      ackConcurrency: this.opts.ackConcurrency,
      routingColumn: this.#routingColumn,
    });
    this.#hydrate = options.hydrate ?? plainHydrator<T>(spec);
    if (options.transport) {
      this.#transport = options.transport;
      this.#ownsTransport = false;
    } else {
      this.#transport = new VtgateGrpcTransport({ ...options.grpc, address: options.address! });
      this.#ownsTransport = true;
    }
    if (options.signal) {
      this.#onAbort = () => void this.close({ timeoutMs: this.opts.closeTimeoutMs });
      if (options.signal.aborted) queueMicrotask(this.#onAbort);
      else options.signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    this.#pump = this.#run();
  }

  /** A snapshot of the counters. */
  stats(): SubscriberStats {
    return { ...this.#counts, inFlight: this.#held, queued: this.queue.length, running: this.running };
  }

  /** The stream columns, once the first packet came. */
  get fields(): readonly StreamField[] {
    return this.#fields;
  }

  // ---- receiving ----------------------------------------------------------

  async #run(): Promise<void> {
    let failures = 0; // consecutive opens that delivered nothing
    let reconnecting = false;
    while (this.#receiving) {
      const outcome = await this.#streamOnce(() => {
        if (reconnecting) {
          reconnecting = false;
          this.emit('reconnected', { attempts: failures });
        }
        failures = 0;
      });
      if (!this.#receiving) break;
      // An error from no transport (a wrapper's bug) is not retried: it would repeat.
      if (outcome.error !== undefined) outcome.error = asStreamError(outcome.error, this.spec.table);
      const retryable = outcome.error === undefined || (outcome.error as StreamError).retryable;
      if (!retryable || this.opts.reconnect === false) {
        if (outcome.error !== undefined) {
          this.#fatal = outcome.error;
          this.emit('streamError', outcome.error);
        }
        break;
      }
      // A stall resubscribes at once; an end or an error waits a backoff.
      const delayMs = outcome.stalled ? 0 : backoffDelayMs(failures, this.opts.reconnect ?? DEFAULT_RECONNECT_BACKOFF);
      failures++;
      this.#counts.reconnects++;
      reconnecting = true;
      this.emit('reconnecting', { attempt: failures, delayMs, ...(outcome.error !== undefined ? { error: outcome.error } : {}) });
      if (outcome.stalled || outcome.error !== undefined) this.#renewTransport();
      await this.#sleep(delayMs);
    }
    // The stream ended for good (or failed): settle what is held and close.
    if (this.#receiving) void this.close({ timeoutMs: this.opts.closeTimeoutMs });
  }

  /** One stream, read until it ends, fails, stalls or the subscriber closes. */
  async #streamOnce(onFirstPacket: () => void): Promise<{ error?: unknown; stalled?: boolean }> {
    const target = `${this.spec.keyspace}${this.opts.shard ? `:${this.opts.shard}` : ''}@primary`;
    const call = this.#transport.stream({ sql: `stream * from ${quoteTable(this.spec.table, this.spec.keyspace)}`, target, table: this.spec.table });
    this.#call = call;
    const it = call[Symbol.asyncIterator]();
    let first = true;
    let stalled = false;
    // Ending this stream must not depend on the transport ending a pending read.
    // (A fresh promise per read: racing every read against one long-lived promise
    // would keep every packet reachable until the stream ends.)
    let abandonRead: (() => void) | undefined;
    this.#abandon = () => {
      call.cancel();
      abandonRead?.();
    };
    this.#lastPacketAt = Date.now();
    const watchdog = this.#startWatchdog(() => {
      stalled = true;
      this.#abandon?.();
    });
    try {
      while (this.#receiving) {
        if (this.#pendingRows.length === 0) {
          // Pull only when there is room: not pulling is what holds vtgate back.
          await this.#waitForCapacity();
          if (!this.#receiving) break;
          this.#lastPacketAt = Date.now(); // waiting while full is not silence
          this.#pulling = true;
          const next = await new Promise<IteratorResult<StreamPacket>>((resolve, reject) => {
            abandonRead = () => resolve({ done: true, value: undefined });
            it.next().then(resolve, reject);
          });
          abandonRead = undefined;
          this.#pulling = false;
          this.#lastPacketAt = Date.now();
          if (next.done) break;
          if (first) {
            first = false;
            onFirstPacket();
          }
          if (next.value.fields) this.#fields = next.value.fields;
          if (next.value.rows) {
            this.#pendingRows = [...next.value.rows];
            // Its rows' wait starts now, not when there is room to admit them.
            this.#pendingAt = next.value.receivedAt ?? Date.now();
          }
        }
        while (this.#pendingRows.length > 0 && this.#held < this.opts.maxInFlight && this.#receiving) {
          this.#admit(this.#pendingRows.shift()!, this.#pendingAt);
        }
        if (this.#pendingRows.length > 0) await this.#waitForCapacity();
      }
      return stalled ? { stalled } : {};
    } catch (err) {
      return stalled ? { stalled } : { error: err };
    } finally {
      this.#pulling = false;
      this.#abandon = undefined;
      clearInterval(watchdog);
      // Not awaited: a generator still waiting on a cancelled read finishes when it can.
      it.return?.().catch(() => undefined);
    }
  }

  #abandon: (() => void) | undefined;
  #lastPacketAt = 0;
  #pulling = false;
  #sleepWake: (() => void) | undefined;

  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || !this.#receiving) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#sleepWake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** A stalled or broken connection is not reused: the owned transport gets a new channel. */
  #renewTransport(): void {
    if (!this.#ownsTransport) return;
    this.#transport.close();
    this.#transport = new VtgateGrpcTransport({ ...this.opts.grpc, address: this.opts.address! });
  }

  /**
   * Checks every stallTimeoutMs / 4: silent for stallTimeoutMs while pulling
   * (so not paused by maxInFlight) and a cheap query finds messages due for
   * longer than two poller intervals → stalled.
   */
  #startWatchdog(onStall: () => void): NodeJS.Timeout | undefined {
    const limit = this.opts.stallTimeoutMs;
    if (!limit) return undefined;
    let checking = false;
    const timer = setInterval(() => {
      const silentMs = Date.now() - this.#lastPacketAt;
      if (checking || !this.#pulling || silentMs < limit || !this.#receiving) return;
      checking = true;
      this.#dueCount()
        .then((due) => {
          if (due > 0 && this.#pulling && Date.now() - this.#lastPacketAt >= limit && this.#receiving) {
            this.#counts.stalls++;
            this.emit('stalled', { silentMs: Date.now() - this.#lastPacketAt });
            onStall();
          }
        })
        .catch((err: unknown) => this.emit('error', err))
        .finally(() => (checking = false));
    }, Math.max(10, Math.floor(limit / 4)));
    timer.unref();
    return timer;
  }

  /** Messages due for longer than two poller intervals (the tablet should have sent them). */
  async #dueCount(): Promise<number> {
    const q = quoteIdentifier;
    const before = nowNs() - msToNs(2 * this.spec.options.pollerIntervalMs + 1_000);
    const sql = `select ${q('id')} from ${quoteTable(this.spec.table, this.spec.keyspace)} where ${q('time_acked')} is null and ${q('time_next')} < ? limit 1`;
    const res = await this.opts.executor.query(sql, [before.toString()]);
    return res.rows.length;
  }

  #waitForCapacity(): Promise<void> {
    if (this.#held < this.opts.maxInFlight || !this.#receiving) return Promise.resolve();
    return new Promise((resolve) => (this.#capacityWaiter = resolve));
  }

  #release(): void {
    this.#held--;
    const w = this.#capacityWaiter;
    if (w && this.#held < this.opts.maxInFlight) {
      this.#capacityWaiter = undefined;
      w();
    }
  }

  #admit(row: WireRow, receivedAt: number): void {
    let decoded: Record<string, unknown>;
    let message: T;
    try {
      decoded = decodeRow(this.#fields, row, { int64: this.opts.int64 });
      message = this.#hydrate(decoded, this.#fields);
    } catch (err) {
      // One bad row must not end the subscription: it is not held, so the
      // tablet sends it again after the ack wait.
      this.#counts.decodeErrors++;
      this.emit('error', new VitessMessagesError(`a row of ${this.spec.table} could not be decoded; it comes back after the ack wait`, { cause: err }));
      return;
    }
    const id = decoded.id as string | bigint;
    const epoch = decoded.epoch === undefined ? 0 : Number(decoded.epoch);
    const routing = this.#routingColumn ? decoded[this.#routingColumn] : undefined;
    const d = new Delivery<T>(this, id, String(id), epoch, routing, message, receivedAt, decoded.epoch !== undefined);
    this.#held++;
    this.#counts.received++;
    if (epoch > 0) this.#counts.redelivered++;
    this.queue.push(d);
    this.emit('message', d);
    this.onQueued();
  }

  /** A delivery joined the queue. */
  protected abstract onQueued(): void;

  /** Marks a delivery as started (expiry is judged here). */
  protected start(d: Delivery<T>): void {
    this.started.add(d);
    if (Date.now() - d.receivedAt > this.spec.options.ackWaitMs) {
      d.expiredBeforeStart = true;
      this.#counts.expiredBeforeStart++;
    }
  }

  protected countHandlerError(): void {
    this.#counts.handlerErrors++;
  }

  // ---- settling -----------------------------------------------------------

  /** @internal Called by a delivery's ack/nack/fail (once per delivery). */
  async settle(d: Delivery<T>, how: Settlement, delayMs = 0, reason = ''): Promise<void> {
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
      this.emit('error', new VitessMessagesError(`${how === 'acked' ? 'ack' : how === 'nacked' ? 'nack' : 'fail'} of ${this.spec.table} id ${d.idText} failed; it comes back after the ack wait`, { cause: err }));
      throw err;
    } finally {
      this.started.delete(d);
      this.#release();
    }
  }

  #miss(d: Delivery<T>, what: string): void {
    this.#counts.settleMisses++;
    this.emit('error', new VitessMessagesError(`${what} of ${this.spec.table} id ${d.idText} (epoch ${d.epoch}) changed no row: it was acked, failed or sent again meanwhile, or the tablet's postpone did not land within the ack wait`));
  }

  /** @internal See {@link Delivery.settledElsewhere}. */
  noteSettledElsewhere(how: Settlement, d: Delivery<T>): void {
    this.#counts[how]++;
    this.started.delete(d);
    this.#release();
  }

  /** @internal See {@link MessageContext.extend}. */
  async extendLease(d: Delivery<T>, ms: number): Promise<boolean> {
    if (!Number.isFinite(ms) || ms <= 0) throw new InvalidOptionError('extend', 'ms', 'must be a number of ms > 0', ms);
    if (d.isSettling) return false;
    return (await this.#settler.extend({ id: d.idText, epoch: d.epochKnown ? d.epoch : undefined, routing: d.routing }, ms)) > 0;
  }

  /** How a failed handler's message is settled: dead letter, a delay, or the backoff. */
  protected settleAfterError(d: Delivery<T>, err: unknown): void {
    if (d.isSettling) return;
    const max = this.opts.maxAttempts ?? this.spec.options.maxAttempts ?? 0;
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (err instanceof UnrecoverableError) {
      d.fail(text).catch(() => undefined);
    } else if (max > 0 && d.attempt >= max) {
      d.fail(`attempt ${d.attempt} of ${max} failed: ${text}`.slice(0, 60_000)).catch(() => undefined);
    } else if (err instanceof RetryLaterError) {
      d.nack({ delayMs: err.delayMs }).catch(() => undefined);
    } else {
      d.nack({ delayMs: backoffDelayMs(d.epoch, this.opts.retryBackoff ?? DEFAULT_RETRY_BACKOFF) }).catch(() => undefined);
    }
  }

  /** @internal A handler ran past `handlerTimeoutMs`. */
  protected noteTimeout(): void {
    this.#counts.timeouts++;
  }

  // ---- closing ------------------------------------------------------------

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
    this.#receiving = false;
    this.opts.signal?.removeEventListener('abort', this.#onAbort!);
    this.#call?.cancel();
    this.#abandon?.();
    this.#sleepWake?.();
    const w = this.#capacityWaiter;
    this.#capacityWaiter = undefined;
    w?.();
    await this.#pump;
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
      for (let i = 0; i < unstarted.length; i++) this.#release();
    }
    this.#pendingRows = []; // never admitted: they come back after the ack wait
    // Wait for running handlers (and the settles they start).
    const deadline = Date.now() + timeoutMs;
    while (this.#held > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(20, Math.max(1, deadline - Date.now()))));
    }
    if (this.#held > 0) {
      const reason = new VitessMessagesError(`subscriber of ${this.spec.table} closed after ${timeoutMs} ms with ${this.#held} messages unsettled`);
      for (const d of this.started) d.abort(reason);
    }
    await this.#settler.flush().catch((err: unknown) => {
      this.#counts.settleErrors++;
      this.emit('error', err);
    });
    if (this.#ownsTransport) this.#transport.close();
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
    await this.#pump;
    await this.#closing;
    if (this.#fatal !== undefined) throw this.#fatal;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ timeoutMs: this.opts.closeTimeoutMs });
  }
}

/** A running handler-form subscription (see {@link subscribe}). */
export class Subscriber<T = Record<string, unknown>> extends SubscriberCore<T> {
  readonly #handler: MessageHandler<T>;

  constructor(spec: MessageTableSpec, handler: MessageHandler<T>, options: SubscriberOptions<T>) {
    if (typeof handler !== 'function') throw new InvalidOptionError('subscribe', 'handler', 'must be a function', handler);
    super(spec, options, 'subscribe');
    this.#handler = handler;
  }

  protected onQueued(): void {
    this.#drain();
  }

  #drain(): void {
    // Once close() is called nothing new starts: the queue is nacked instead.
    while (this.running < this.opts.concurrency && this.queue.length > 0 && !this.closing) {
      const d = this.queue.shift()!;
      this.running++;
      void this.#runOne(d);
    }
  }

  async #runOne(d: Delivery<T>): Promise<void> {
    this.start(d);
    let timer: NodeJS.Timeout | undefined;
    if (this.opts.handlerTimeoutMs !== undefined) {
      const ms = this.opts.handlerTimeoutMs;
      timer = setTimeout(() => {
        // Nack at once; the handler keeps its slot until it returns (its late result is ignored).
        const err = new VitessMessagesError(`handler of ${this.spec.table} id ${d.idText} ran past handlerTimeoutMs (${ms} ms)`);
        this.noteTimeout();
        d.abort(err);
        this.emit('error', err);
        this.settleAfterError(d, err);
      }, ms);
    }
    // The handler slot is free as soon as the handler returns; the settle is
    // written in the background and still counts against maxInFlight until then.
    try {
      await this.#handler(d.message, d);
      if (!d.isSettling) d.ack().catch(() => undefined);
    } catch (err) {
      this.countHandlerError();
      this.emit('error', err);
      this.settleAfterError(d, err);
    } finally {
      clearTimeout(timer);
      this.running--;
      this.#drain();
      if (this.running === 0 && this.queue.length === 0) this.emit('drained');
    }
  }
}

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
 * Subscribes `handler` to a message table: each message is handled once per
 * delivery (at least once overall — handlers must be idempotent), acked when the
 * handler resolves, nacked (due again now) when it throws.
 *
 * @example
 * const sub = subscribe(spec, async (job) => send(job.payload), { executor, address: 'vtgate:15991' });
 * process.on('SIGTERM', () => sub.close({ timeoutMs: 10_000 }));
 */
export function subscribe<T = Record<string, unknown>>(spec: MessageTableSpec, handler: MessageHandler<T>, options: SubscriberOptions<T>): Subscriber<T> {
  return new Subscriber<T>(spec, handler, options);
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

/** The default hydrator: `{ id, epoch, ...payload columns by property name }`. */
export function plainHydrator<T>(spec: MessageTableSpec): Hydrator<T> {
  const byColumn = new Map(spec.payload.map((c) => [c.name, c.property]));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) {
      out[column === 'epoch' ? 'epoch' : (byColumn.get(column) ?? column)] = column === 'epoch' ? Number(value) : value;
    }
    return out as T;
  };
}

function validate(spec: MessageTableSpec, o: SubscriberOptions<unknown> & typeof DEFAULTS, subject: string): void {
  checkIdentifier(spec.table, 'table', subject);
  if (spec.keyspace !== undefined) checkKeyspace(spec.keyspace, subject);
  else throw new InvalidOptionError(subject, 'keyspace', 'is required for a stream (vtgate needs a target keyspace)', spec.keyspace);
  if (!o.executor || typeof o.executor.query !== 'function') throw new InvalidOptionError(subject, 'executor', 'must be an Executor (an object with query(sql, params))', o.executor);
  if (!o.transport && (typeof o.address !== 'string' || o.address.length === 0)) throw new InvalidOptionError(subject, 'address', "is required without a 'transport' (vtgate's gRPC host:port)", o.address);
  if (o.shard !== undefined && !/^[0-9a-fA-F]*-[0-9a-fA-F]*$|^0$/.test(o.shard)) throw new InvalidOptionError(subject, 'shard', "must be a shard name like '-80', '80-' or '0'", o.shard);
  for (const key of ['maxInFlight', 'concurrency', 'ackBatchSize', 'ackConcurrency'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new InvalidOptionError(subject, key, 'must be an integer >= 1', o[key]);
  }
  if (o.concurrency > o.maxInFlight) throw new InvalidOptionError(subject, 'concurrency', `must not exceed maxInFlight (${o.maxInFlight})`, o.concurrency);
  for (const key of ['ackIntervalMs', 'closeTimeoutMs'] as const) {
    if (!Number.isFinite(o[key]) || o[key] < 0) throw new InvalidOptionError(subject, key, 'must be a number of ms >= 0', o[key]);
  }
  if (o.maxAttempts !== undefined && (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 0)) throw new InvalidOptionError(subject, 'maxAttempts', 'must be an integer >= 0 (0 = unlimited)', o.maxAttempts);
  if (o.handlerTimeoutMs !== undefined && (!Number.isFinite(o.handlerTimeoutMs) || o.handlerTimeoutMs <= 0)) throw new InvalidOptionError(subject, 'handlerTimeoutMs', 'must be a number of ms > 0', o.handlerTimeoutMs);
  if (!Number.isFinite(o.stallTimeoutMs) || o.stallTimeoutMs < 0) throw new InvalidOptionError(subject, 'stallTimeoutMs', 'must be a number of ms >= 0 (0 = off)', o.stallTimeoutMs);
  for (const key of ['retryBackoff', 'reconnect'] as const) {
    const b = o[key];
    if (b === undefined || b === false) continue;
    if (typeof b !== 'object' || !(b.baseMs >= 0) || !(b.maxMs >= b.baseMs)) throw new InvalidOptionError(subject, key, 'must be { baseMs >= 0, maxMs >= baseMs }', b);
  }
  if (o.int64 !== undefined && o.int64 !== 'string' && o.int64 !== 'bigint') throw new InvalidOptionError(subject, 'int64', "must be 'string' or 'bigint'", o.int64);
  if (!spec.streamed.includes('epoch')) throw new InvalidOptionError(subject, 'streamed', "must include 'epoch' (vt_message_cols=id|epoch|…): nacks and fails of a streamed message are guarded by it", spec.streamed);
}

function stripUndefined<O extends object>(o: O): Partial<O> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<O>;
}
