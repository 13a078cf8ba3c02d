/**
 * Writes a subscriber's acks, nacks and fails with the pure builders of
 * `core/sql/`: acks coalesced into one UPDATE per tick (a failed one kept and
 * written again until its ack wait passes, see ack-retry), nacks and fails guarded
 * by the streamed epoch and retried briefly while the tablet's postpone has not
 * landed yet (DESIGN "Send, then postpone").
 */
import type { Executor, SqlParam } from '../core/executor';
import { runGuarded, targetBatch, type RaceTarget } from '../core/race';
import type { MessageTableSpec } from '../core/spec';
import { buildAck } from '../core/sql/ack';
import { buildExtend } from '../core/sql/extend';
import { buildFail } from '../core/sql/fail';
import type { TargetBatch } from '../core/sql/target';
import { buildNack } from '../core/sql/nack';
import { nowNs } from '../core/time';
import { AckWriteError } from '../core/errors';
import { ackRetryDelayMs, ackRetryVerdict, type AckBatchFailure } from './ack-retry';

/** One delivery to settle. */
export interface SettleEntry {
  /** Decimal id. */
  readonly id: string;
  /** The epoch it was streamed with; undefined when the stream does not carry `epoch` (then no guard). */
  readonly epoch: number | undefined;
  /** Its vindex column's value when the table is sharded by a business column. */
  readonly routing?: unknown;
}

export interface SettlerOptions {
  readonly ackBatchSize: number;
  readonly ackIntervalMs: number;
  /** The business vindex column (informational: statements take it from the spec). */
  readonly routingColumn?: string;
  /** Ack UPDATEs running at once. Default 1. */
  readonly ackConcurrency?: number;
  /**
   * How long a nack/fail/extend keeps retrying while it matches no row because
   * the tablet's postpone (epoch + 1) has not been written yet. Default: the
   * table's ack wait (30 s when unset), as the library functions of
   * `core/operations` do: the tablet runs the postpones of all tables through
   * a small shared semaphore, so under load one can take seconds, and after
   * the ack wait the message is due again anyway. It stops early once no row
   * is still pending at the streamed epoch (acked, failed, sent again, gone).
   */
  readonly postponeWaitMs?: number;
  /**
   * Told of every failed ack UPDATE (once per batch, with its counts): the
   * subscriber turns it into one `error` event.
   */
  readonly onAckFailure?: (failure: AckBatchFailure) => void;
}

interface PendingAck {
  readonly entry: SettleEntry;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  /** When its first write failed (ms); undefined until then. */
  firstFailedAt?: number;
}

export class Settler {
  #pending: PendingAck[] = [];
  #timer: NodeJS.Timeout | undefined;
  #active = 0;
  readonly #idle: Array<() => void> = [];
  readonly #writers: number;
  /** Consecutive failed ack writes (0 after a success): sets the retry pause. */
  #failures = 0;
  /** No ack write starts before this (ms): the backoff after a failure. */
  #retryAt = 0;
  /** Set by flush(deadline): past it a failed ack is dropped, not retried. */
  #giveUpAt = Infinity;

  constructor(
    private readonly spec: MessageTableSpec,
    private readonly executor: Executor,
    private readonly options: SettlerOptions,
  ) {
    this.#writers = options.ackConcurrency ?? 1;
  }

  /**
   * Queues an ack; resolves when the UPDATE carrying it has run. A failed
   * UPDATE is retried (its acks are idempotent) until the table's ack wait has
   * passed since its first failure; then the promise rejects with an
   * {@link AckWriteError} (the message comes back).
   */
  ack(entry: SettleEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ entry, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#timer || this.#active >= this.#writers) return; // a finishing write picks them up
    const delay = Math.max(this.options.ackIntervalMs, this.#retryAt - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#startWrites();
    }, delay);
  }

  #startWrites(): void {
    if (this.#pending.length > 0 && Date.now() < this.#retryAt) {
      this.#schedule(); // backing off after a failed write
      return;
    }
    while (this.#pending.length > 0 && this.#active < this.#writers) {
      const batch = this.#pending.splice(0, this.options.ackBatchSize);
      this.#active++;
      void this.#write(batch).finally(() => {
        this.#active--;
        if (this.#pending.length > 0) this.#startWrites(); // or schedules them, when backing off
        else if (this.#active === 0) for (const w of this.#idle.splice(0)) w();
      });
    }
  }

  async #write(batch: PendingAck[]): Promise<void> {
    try {
      const statement = buildAck(this.spec, targetBatch(this.spec, batch.map((p) => raceTarget(p.entry))));
      await this.executor.query(statement.sql, statement.params);
      this.#failures = 0;
      this.#retryAt = 0;
      for (const p of batch) p.resolve();
    } catch (err) {
      this.#failed(batch, err);
    }
  }

  /** A failed ack write: keep what its ack wait still allows, drop the rest, report once. */
  #failed(batch: PendingAck[], err: unknown): void {
    const now = Date.now();
    const keep: PendingAck[] = [];
    const drop: PendingAck[] = [];
    for (const p of batch) {
      p.firstFailedAt ??= now;
      (now < this.#giveUpAt && ackRetryVerdict(p.firstFailedAt, now, this.spec.options.ackWaitMs) === 'retry' ? keep : drop).push(p);
    }
    this.#failures++;
    const retryInMs = keep.length > 0 ? ackRetryDelayMs(this.#failures) : 0;
    if (keep.length > 0) {
      this.#retryAt = Math.max(this.#retryAt, now + retryInMs);
      this.#pending.unshift(...keep); // oldest first: they are closest to their ack wait
    }
    const error = new AckWriteError(this.spec.table, batch.length, keep.length, drop.length, err);
    for (const p of drop) p.reject(error);
    this.options.onAckFailure?.({ count: batch.length, retrying: keep.length, dropped: drop.length, retryInMs, cause: err });
  }

  /**
   * Writes every queued ack now and waits for all ack writes to end. Failed
   * ones are retried until `deadline` (ms since the epoch; default: until
   * their ack wait passes), then dropped (each ack promise rejects).
   */
  async flush(deadline = Infinity): Promise<void> {
    this.#giveUpAt = deadline;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#startWrites();
    if (this.#active === 0 && this.#pending.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /**
   * Nacks entries (due again at `timeNextNs`, decimal Unix ns; default now);
   * returns how many rows changed. One UPDATE per batch of entries streamed at
   * one epoch (core/race). `waitMs` overrides `postponeWaitMs`.
   */
  async nack(entries: readonly SettleEntry[], timeNextNs?: string, options: { uncount?: boolean; waitMs?: number } = {}): Promise<number> {
    const timeNext = timeNextNs ?? nowNs().toString();
    // Restoring the epoch needs it: without a streamed epoch the nack keeps it.
    // A restored row is back at the streamed epoch: its time_next tells it from one whose postpone is pending.
    return this.#guarded(entries, (batch) => buildNack(this.spec, batch, timeNext, { uncount: options.uncount === true && batch.streamedEpoch !== undefined }), timeNext, options.waitMs);
  }

  /** Fails one entry with `reason`; returns 1 when it was failed, 0 when it was no longer pending. */
  async fail(entry: SettleEntry, reason: string): Promise<number> {
    return this.#guarded([entry], (batch) => buildFail(this.spec, batch, reason));
  }

  /** Pushes the entry's `time_next` to `timeNextNs` (lease extension, only ever later); returns 1 when extended. */
  async extend(entry: SettleEntry, timeNextNs: string, waitMs?: number): Promise<number> {
    return this.#guarded([entry], (batch) => buildExtend(this.spec, batch, timeNextNs), undefined, waitMs);
  }

  #guarded(entries: readonly SettleEntry[], build: (batch: TargetBatch) => { sql: string; params: readonly SqlParam[] }, writtenTimeNextNs?: string, waitMs?: number): Promise<number> {
    return runGuarded({
      spec: this.spec,
      targets: entries.map(raceTarget),
      batchSize: this.options.ackBatchSize,
      waitMs: waitMs ?? this.options.postponeWaitMs ?? (this.spec.options.ackWaitMs > 0 ? this.spec.options.ackWaitMs : 30_000),
      build,
      run: (statement) => this.executor.query(statement.sql, statement.params),
      ...(writtenTimeNextNs !== undefined ? { writtenTimeNextNs } : {}),
    });
  }
}

/** An entry as core/race takes it (a NULL vindex value cannot be matched: routed by id alone then). */
function raceTarget(e: SettleEntry): RaceTarget {
  // Built in place (one object per entry: acks pass here once each).
  const target: { id: string; epoch?: string; vindexValue?: SqlParam } = { id: e.id };
  if (e.epoch !== undefined) target.epoch = String(e.epoch);
  if (e.routing !== undefined && e.routing !== null) target.vindexValue = e.routing as SqlParam;
  return target;
}
