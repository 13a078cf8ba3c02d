/**
 * Reading the stream: `stream * from ks.t` through a {@link StreamTransport},
 * pulled only while the subscriber has room, reopened with a backoff when it
 * ends or fails retryably (or resubscribed at once when the watchdog finds it
 * stalled), ended for good on a non-retryable error.
 */
import type { StreamField, WireRow } from '../core/decode';
import { InvalidOptionError, type StreamError } from '../core/errors';
import { buildStream } from '../core/sql/stream';
import type { MessageTableSpec } from '../core/spec';
import { backoffDelayMs, DEFAULT_RECONNECT_BACKOFF } from './backoff';
import type { SubscriberCounters, SubscriberEvents } from './events';
import { VtgateGrpcTransport } from './grpc/vtgate-grpc-transport';
import type { InFlight } from './in-flight';
import type { ResolvedSubscriberOptions } from './options';
import { startStallWatchdog } from './stall-watchdog';
import { asStreamError } from './stream-status';
import type { StreamCall, StreamPacket, StreamTransport } from './transport';

/** What the reader needs from the subscriber that owns it. */
export interface ReaderHost {
  readonly inFlight: InFlight;
  readonly counts: SubscriberCounters;
  /** Takes one row of a packet (the subscriber has room for it). */
  admit(row: WireRow, fields: readonly StreamField[], receivedAt: number): void;
  emit<K extends keyof SubscriberEvents>(event: K, ...args: SubscriberEvents[K]): void;
  /** The stream ended for good (or failed): settle what is held and close. */
  ended(): void;
  /** A stream delivered its first packet (vtgate's fields packet: it is open). */
  opened(): void;
  /**
   * A stream ended: `delivered` whether it had opened; `error` its failure;
   * `final` when the reader stops reading for good after it.
   */
  streamDown(delivered: boolean, error: unknown, final: boolean): void;
}

export class StreamReader {
  #transport: StreamTransport;
  readonly #ownsTransport: boolean;
  #call: StreamCall | undefined;
  #fields: readonly StreamField[] = [];
  /** Rows of the last packet not yet admitted (the subscriber was full). */
  #pendingRows: readonly WireRow[] = [];
  /** The next of `#pendingRows` to admit (an index: no copy of the packet's rows, no shift per row). */
  #pendingNext = 0;
  /** When the packet of `#pendingRows` came off the transport (`Date.now()`). */
  #pendingAt = 0;
  #receiving = true;
  #abandon: (() => void) | undefined;
  #sleepWake: (() => void) | undefined;
  #paused = false;
  #resumeWake: (() => void) | undefined;
  /** Read by the stall watchdog. */
  lastPacketAt = 0;
  pulling = false;
  /** The non-retryable error the stream ended with, if any. */
  fatal: StreamError | undefined;
  /** Resolves when reading has stopped for good. */
  readonly done: Promise<void>;

  constructor(
    private readonly spec: MessageTableSpec,
    private readonly opts: ResolvedSubscriberOptions<unknown>,
    private readonly host: ReaderHost,
  ) {
    // A transport instance is the caller's: neither renewed nor closed here.
    this.#ownsTransport = typeof opts.transport !== 'object';
    this.#transport = this.#makeTransport();
    this.done = this.#run();
  }

  /** Stops pulling packets and admitting rows until {@link resume}. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#wakePaused();
  }

  #wakePaused(): void {
    const w = this.#resumeWake;
    this.#resumeWake = undefined;
    w?.();
  }

  /** Resolves once not paused (or stopped). */
  #whilePaused(): Promise<void> {
    if (!this.#paused || !this.#receiving) return Promise.resolve();
    return new Promise((resolve) => (this.#resumeWake = resolve));
  }

  get receiving(): boolean {
    return this.#receiving;
  }

  /** The stream columns, once the first packet came. */
  get fields(): readonly StreamField[] {
    return this.#fields;
  }

  /** Stops reading: cancels the call, ends a pending read, a backoff sleep and a wait for room. */
  stop(): void {
    this.#receiving = false;
    this.#call?.cancel();
    this.#abandon?.();
    this.#sleepWake?.();
    this.#wakePaused();
    this.host.inFlight.wake();
  }

  /** Takes the rows read off a packet but never admitted (the subscriber was full), to nack them on close. */
  takePending(): { rows: WireRow[]; fields: readonly StreamField[] } {
    const rows = this.#pendingRows.slice(this.#pendingNext);
    this.#pendingRows = [];
    this.#pendingNext = 0;
    return { rows, fields: this.#fields };
  }

  /** Closes the transport if the reader made it. */
  closeTransport(): void {
    if (this.#ownsTransport) this.#transport.close();
  }

  async #run(): Promise<void> {
    let failures = 0; // consecutive opens that delivered nothing
    let reconnecting = false;
    while (this.#receiving) {
      let delivered = false;
      const outcome = await this.#streamOnce(() => {
        delivered = true;
        this.host.opened();
        if (reconnecting) {
          reconnecting = false;
          this.host.emit('reconnected', { attempts: failures });
        }
        failures = 0;
      });
      if (!this.#receiving) break; // stopped by close(), which answers the readiness waiters
      // An error from no transport (a wrapper's bug) is not retried: it would repeat.
      const error = outcome.error === undefined ? undefined : asStreamError(outcome.error, this.spec.table);
      const final = (error !== undefined && !error.retryable) || this.opts.reconnect === false;
      this.host.streamDown(delivered, error ?? (outcome.stalled ? 'stalled' : 'the stream ended'), final);
      if (final) {
        if (error) {
          this.fatal = error;
          this.host.emit('streamError', error);
        }
        break;
      }
      // A stall resubscribes at once; an end or an error waits a backoff.
      const delayMs = outcome.stalled ? 0 : backoffDelayMs(failures, this.opts.reconnect ?? DEFAULT_RECONNECT_BACKOFF);
      failures++;
      this.host.counts.reconnects++;
      reconnecting = true;
      this.host.emit('reconnecting', { attempt: failures, delayMs, ...(error ? { error } : {}) });
      if (outcome.stalled || error) {
        try {
          this.#renewTransport();
        } catch (err) {
          // A factory that throws would throw again: end, as for a non-retryable error.
          this.fatal = asStreamError(err, this.spec.table);
          this.host.streamDown(false, this.fatal, true);
          this.host.emit('streamError', this.fatal);
          break;
        }
      }
      await this.#sleep(delayMs);
    }
    if (this.#receiving) this.host.ended();
  }

  /** One stream, read until it ends, fails, stalls or the reader stops. */
  async #streamOnce(onFirstPacket: () => void): Promise<{ error?: unknown; stalled?: boolean }> {
    const target = `${this.spec.keyspace}${this.opts.shard ? `:${this.opts.shard}` : ''}@primary`;
    let call: StreamCall;
    try {
      call = this.#transport.stream({ sql: buildStream(this.spec, this.opts.shard).sql, target, table: this.spec.table });
    } catch (err) {
      return { error: err };
    }
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
    this.lastPacketAt = Date.now();
    const watchdog = startStallWatchdog(this.spec, this.opts.executor, this.opts.stallTimeoutMs, this.opts.shard, this, (silentMs) => {
      stalled = true;
      this.host.counts.stalls++;
      this.host.emit('stalled', { silentMs });
      this.#abandon?.();
    }, (err) => this.host.emit('error', err));
    const { inFlight } = this.host;
    try {
      while (this.#receiving) {
        // Paused: neither pull nor admit (rows stay in the transport or in #pendingRows).
        if (this.#paused) {
          await this.#whilePaused();
          this.lastPacketAt = Date.now(); // a pause is not silence
          continue;
        }
        if (this.#pendingNext >= this.#pendingRows.length) {
          // Pull only when there is room: not pulling is what holds vtgate back.
          if (this.#receiving) await inFlight.waitForRoom();
          if (!this.#receiving) break;
          if (this.#paused) continue;
          this.lastPacketAt = Date.now(); // waiting while full is not silence
          this.pulling = true;
          const next = await new Promise<IteratorResult<StreamPacket>>((resolve, reject) => {
            abandonRead = () => resolve({ done: true, value: undefined });
            it.next().then(resolve, reject);
          });
          abandonRead = undefined;
          this.pulling = false;
          this.lastPacketAt = Date.now();
          if (next.done) break;
          if (first) {
            first = false;
            onFirstPacket();
          }
          if (next.value.fields) this.#fields = next.value.fields;
          if (next.value.rows) {
            this.#pendingRows = next.value.rows;
            this.#pendingNext = 0;
            // Its rows' wait starts now, not when there is room to admit them.
            this.#pendingAt = next.value.receivedAt ?? Date.now();
          }
        }
        while (this.#pendingNext < this.#pendingRows.length && inFlight.hasRoom && this.#receiving && !this.#paused) {
          this.host.admit(this.#pendingRows[this.#pendingNext++]!, this.#fields, this.#pendingAt);
        }
        // All admitted: let the packet go while waiting for the next.
        if (this.#pendingNext >= this.#pendingRows.length) this.#pendingRows = [];
        if (this.#pendingNext < this.#pendingRows.length && this.#receiving && !this.#paused) await inFlight.waitForRoom();
      }
      return stalled ? { stalled } : {};
    } catch (err) {
      return stalled ? { stalled } : { error: err };
    } finally {
      this.pulling = false;
      this.#abandon = undefined;
      clearInterval(watchdog);
      // Not awaited: a generator still waiting on a cancelled read finishes when it can.
      it.return?.().catch(() => undefined);
    }
  }

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

  /** The transport: the caller's instance, what its factory returns, or the default gRPC one. */
  #makeTransport(): StreamTransport {
    const t = this.opts.transport;
    if (typeof t === 'object') return t;
    if (typeof t === 'function') {
      const made = t();
      if (!made || typeof made.stream !== 'function' || typeof made.close !== 'function') {
        throw new InvalidOptionError('subscribe', 'transport', 'must be a StreamTransport or a function returning one (the function returned something else)', made);
      }
      return made;
    }
    return new VtgateGrpcTransport({ ...this.opts.grpc, address: this.opts.address! });
  }

  /** A stalled or broken connection is not reused: an owned transport (default or from the factory) is replaced. */
  #renewTransport(): void {
    if (!this.#ownsTransport) return;
    this.#transport.close();
    this.#transport = this.#makeTransport();
  }
}
