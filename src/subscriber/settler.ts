/**
 * Writes a subscriber's acks, nacks and fails with the pure builders of
 * `core/sql/`: acks coalesced into one UPDATE per tick, nacks and fails guarded
 * by the streamed epoch and retried briefly while the tablet's postpone has not
 * landed yet (DESIGN "Send, then postpone").
 */
import type { Executor, SqlParam } from '../core/executor';
import type { MessageTableSpec } from '../core/spec';
import { buildAck } from '../core/sql/ack';
import { buildExtend } from '../core/sql/extend';
import { buildFail } from '../core/sql/fail';
import { tableRef, whereTargets } from '../core/sql/target';
import { quoteIdentifier } from '../core/identifiers';
import { BOOKKEEPING } from '../core/spec';
import { buildNack } from '../core/sql/nack';
import { msToNs, nowNs } from '../core/time';

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
}

interface PendingAck {
  readonly entry: SettleEntry;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class Settler {
  #pending: PendingAck[] = [];
  #timer: NodeJS.Timeout | undefined;
  #active = 0;
  readonly #idle: Array<() => void> = [];
  readonly #writers: number;

  constructor(
    private readonly spec: MessageTableSpec,
    private readonly executor: Executor,
    private readonly options: SettlerOptions,
  ) {
    this.#writers = options.ackConcurrency ?? 1;
  }

  /** Queues an ack; resolves when the UPDATE carrying it has run. */
  ack(entry: SettleEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ entry, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#timer || this.#active >= this.#writers) return; // a finishing write picks them up
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#startWrites();
    }, this.options.ackIntervalMs);
  }

  #startWrites(): void {
    while (this.#pending.length > 0 && this.#active < this.#writers) {
      const batch = this.#pending.splice(0, this.options.ackBatchSize);
      this.#active++;
      void this.#write(batch).finally(() => {
        this.#active--;
        if (this.#pending.length > 0) this.#startWrites();
        else if (this.#active === 0) for (const w of this.#idle.splice(0)) w();
      });
    }
  }

  async #write(batch: PendingAck[]): Promise<void> {
    try {
      const statement = buildAck(this.spec, targets(batch.map((p) => p.entry), this.options.routingColumn));
      await this.executor.query(statement.sql, statement.params);
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }

  /** Writes every queued ack now and waits for all ack writes to end. */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#startWrites();
    if (this.#active === 0 && this.#pending.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /**
   * Nacks entries (due again after `delayMs`); returns how many rows changed.
   * Entries are grouped by streamed epoch (the guard is per statement).
   */
  async nack(entries: readonly SettleEntry[], delayMs: number, options: { uncount?: boolean } = {}): Promise<number> {
    const timeNext = (nowNs() + msToNs(delayMs)).toString();
    let changed = 0;
    for (const group of byEpoch(entries)) {
      for (let i = 0; i < group.length; i += this.options.ackBatchSize) {
        const slice = group.slice(i, i + this.options.ackBatchSize);
        // Restoring the epoch needs it: without a streamed epoch the nack keeps it.
        const uncount = options.uncount === true && slice[0]!.epoch !== undefined;
        // A restored row is back at the streamed epoch: its time_next tells it from one whose postpone is pending.
        changed += await this.#retryUntilPostponed(slice, () => buildNack(this.spec, { ...targets(slice, this.options.routingColumn), ...guard(slice[0]!.epoch) }, timeNext, { uncount }), timeNext);
      }
    }
    return changed;
  }

  /** Fails one entry with `reason`; returns 1 when it was failed, 0 when it was no longer pending. */
  async fail(entry: SettleEntry, reason: string): Promise<number> {
    return this.#retryUntilPostponed([entry], () => buildFail(this.spec, { ...targets([entry], this.options.routingColumn), ...guard(entry.epoch) }, reason));
  }

  /** Pushes the entry's `time_next` to now + `ms` (lease extension); returns 1 when extended. */
  async extend(entry: SettleEntry, ms: number): Promise<number> {
    const timeNext = (nowNs() + msToNs(ms)).toString();
    return this.#retryUntilPostponed([entry], () => buildExtend(this.spec, { ...targets([entry], this.options.routingColumn), ...guard(entry.epoch) }, timeNext));
  }

  /**
   * Runs a guarded statement (all `entries` share one streamed epoch) until it
   * has changed every entry's row, no row is left whose postpone is pending,
   * or the postpone wait passed. Rows changed once no longer match (the
   * builders exclude them), so the sum of the runs is the number changed.
   */
  async #retryUntilPostponed(entries: readonly SettleEntry[], build: () => { sql: string; params: readonly SqlParam[] }, writtenTimeNext?: string): Promise<number> {
    const wait = this.options.postponeWaitMs ?? (this.spec.options.ackWaitMs > 0 ? this.spec.options.ackWaitMs : 30_000);
    const deadline = Date.now() + wait;
    const statement = build();
    const epoch = entries[0]!.epoch;
    let changed = 0;
    for (let attempt = 0; ; attempt++) {
      const res = await this.executor.query(statement.sql, statement.params);
      changed += res.affectedRows;
      // Without a streamed epoch there is no postpone to wait for.
      if (changed >= entries.length || epoch === undefined || Date.now() >= deadline) return changed;
      if (!(await this.#postponePending(entries, epoch, writtenTimeNext))) return changed;
      await new Promise((r) => setTimeout(r, Math.min(20 * 2 ** attempt, 200, Math.max(1, deadline - Date.now()))));
    }
  }

  /**
   * Whether a row of `entries` is still unacked at the streamed epoch — its
   * postpone has not landed yet — and not one this statement already wrote
   * (`writtenTimeNext`: a nack that restored the epoch leaves it there).
   */
  async #postponePending(entries: readonly SettleEntry[], epoch: number, writtenTimeNext: string | undefined): Promise<boolean> {
    const q = quoteIdentifier;
    const where = whereTargets(this.spec, targets(entries, this.options.routingColumn));
    const sql = `select ${q(BOOKKEEPING.epoch)}, ${q(BOOKKEEPING.timeNext)}, ${q(BOOKKEEPING.timeAcked)} from ${tableRef(this.spec)} where ${where.sql}`;
    const res = await this.executor.query(sql, where.params);
    return res.rows.some((row) => row[BOOKKEEPING.timeAcked] == null && String(row[BOOKKEEPING.epoch]) === String(epoch) && String(row[BOOKKEEPING.timeNext]) !== writtenTimeNext);
  }
}

function targets(entries: readonly SettleEntry[], routingColumn: string | undefined): { ids: string[]; vindexValues?: SqlParam[] } {
  const ids = entries.map((e) => e.id);
  if (!routingColumn) return { ids };
  // A NULL vindex value cannot be matched with IN: then scatter by id alone.
  if (entries.some((e) => e.routing === undefined || e.routing === null)) return { ids };
  return { ids, vindexValues: [...new Set(entries.map((e) => e.routing as SqlParam))] };
}

function guard(epoch: number | undefined): { streamedEpoch?: string } {
  return epoch === undefined ? {} : { streamedEpoch: String(epoch) };
}

function byEpoch(entries: readonly SettleEntry[]): SettleEntry[][] {
  const groups = new Map<number | undefined, SettleEntry[]>();
  for (const e of entries) {
    const g = groups.get(e.epoch);
    if (g) g.push(e);
    else groups.set(e.epoch, [e]);
  }
  return [...groups.values()];
}
