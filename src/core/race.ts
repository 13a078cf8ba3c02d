/**
 * The send/postpone race, handled once for the library functions and the
 * subscriber (DESIGN "Send, then postpone"): the tablet sends a message and
 * only then postpones it (`epoch = epoch + 1`), so a nack, fail or extend of a
 * streamed message matches `epoch = streamed + 1` and waits while the
 * postpone has not landed.
 *
 * Targets are grouped by streamed epoch — the guard is one value per
 * statement — and each group goes in batches: one UPDATE per batch, then, only
 * for rows it did not change, one read to see which still wait for their
 * postpone, and a retry of the UPDATE for just those. Nacking 1,000 messages
 * streamed at one epoch is two UPDATEs of 500, not 1,000 round trips.
 */
import type { ExecResult, SqlParam, Statement } from './executor';
import { BOOKKEEPING, type MessageTableSpec } from './spec';
import { buildGetMessages } from './sql/get-messages';
import { routingColumn, type TargetBatch } from './sql/target';

/** A message to act on, normalized: decimal id, the epoch it was streamed with, its vindex value. */
export interface RaceTarget {
  readonly id: string;
  /** The streamed epoch (decimal); absent = no guard, the statement acts on the row as it is. */
  readonly epoch?: string;
  /** The value of the table's business vindex column; absent or null = routed by id alone. */
  readonly vindexValue?: SqlParam;
}

export interface GuardedUpdate {
  readonly spec: MessageTableSpec;
  readonly targets: readonly RaceTarget[];
  /** Targets per statement. */
  readonly batchSize: number;
  /**
   * How long a batch keeps retrying while some of its rows still show the
   * streamed epoch (their postpone is pending). Counted per batch.
   */
  readonly waitMs: number;
  /** The UPDATE of one batch (whose targets share one streamed epoch, or have none). */
  readonly build: (batch: TargetBatch) => Statement;
  /** Runs a statement (the caller wraps errors); `ids` are the batch's. */
  readonly run: (statement: Statement, ids: readonly string[]) => Promise<ExecResult>;
  /**
   * The `time_next` the UPDATE writes, when a row it changed still shows the
   * streamed epoch afterwards (a nack that restores the epoch): such a row is
   * not waiting for its postpone.
   */
  readonly writtenTimeNextNs?: string;
  /** Sleeps between retries (tests may count them). Default: a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs a guarded UPDATE over all targets (see the file comment); returns the
 * number of rows changed. The builders exclude rows they already changed, so
 * the sum over the runs is that number.
 */
export async function runGuarded(g: GuardedUpdate): Promise<number> {
  if (!Number.isSafeInteger(g.batchSize) || g.batchSize < 1) throw new RangeError(`batchSize must be a positive integer (got ${g.batchSize})`);
  let changed = 0;
  for (const [epoch, group] of byEpoch(g.targets)) {
    for (let start = 0; start < group.length; start += g.batchSize) {
      changed += await settleBatch(g, group.slice(start, start + g.batchSize), epoch);
    }
  }
  return changed;
}

/** Targets grouped by streamed epoch, in first-seen order (no epoch is a group of its own). */
export function byEpoch(targets: readonly RaceTarget[]): Map<string | undefined, RaceTarget[]> {
  const groups = new Map<string | undefined, RaceTarget[]>();
  for (const t of targets) {
    const g = groups.get(t.epoch);
    if (g) g.push(t);
    else groups.set(t.epoch, [t]);
  }
  return groups;
}

/**
 * A statement's targets: ids, plus one vindex value per id when the table is
 * sharded by a business column and every target has a non-null value (the
 * pairs route the statement and match exactly); otherwise by id alone.
 */
export function targetBatch(spec: MessageTableSpec, targets: readonly RaceTarget[], streamedEpoch?: string): TargetBatch {
  const ids = targets.map((t) => t.id);
  const routed = routingColumn(spec) !== undefined && targets.every((t) => t.vindexValue !== undefined && t.vindexValue !== null);
  return {
    ids,
    ...(routed ? { vindexValues: targets.map((t) => t.vindexValue as SqlParam) } : {}),
    ...(streamedEpoch !== undefined ? { streamedEpoch } : {}),
  };
}

async function settleBatch(g: GuardedUpdate, batch: readonly RaceTarget[], epoch: string | undefined): Promise<number> {
  const deadline = Date.now() + g.waitMs;
  const sleep = g.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let remaining = batch;
  let changed = 0;
  let pause = 2;
  // Rows already given their one retry after their postpone landed (see stillPostponing).
  const retriedLanded = new Set<string>();
  for (;;) {
    const ids = remaining.map((t) => t.id);
    const n = (await g.run(g.build(targetBatch(g.spec, remaining, epoch)), ids)).affectedRows;
    changed += n;
    // Without a streamed epoch there is no postpone to wait for.
    if (epoch === undefined || n >= remaining.length || Date.now() >= deadline) return changed;
    const { waiting, landed } = await stillPostponing(g, remaining, epoch);
    // Rows this UPDATE changed show the next epoch too (nack, fail and extend keep
    // it), unless told apart by the time_next written: only more such rows than
    // it changed mean that some postpone landed after it.
    const ours = g.writtenTimeNextNs !== undefined ? 0 : n;
    const retryNow = landed.length > ours ? landed.filter((t) => !retriedLanded.has(t.id)) : [];
    for (const t of retryNow) retriedLanded.add(t.id);
    remaining = [...waiting, ...retryNow];
    if (remaining.length === 0) return changed;
    // Only rows still waiting for their postpone need the pause; landed ones match now.
    if (waiting.length > 0) {
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(pause * 2, 100);
    }
  }
}

/**
 * Of the targets the UPDATE did not change: `waiting`, those whose row is
 * still unacked at the streamed epoch (the postpone has not landed) and not
 * one this update already wrote; `landed`, those unacked at the next epoch —
 * the postpone landed between the UPDATE and this read, so the guarded UPDATE
 * matches them now (or excludes them for another reason, e.g. failed: the
 * caller retries them once). Acked, sent again or missing rows drop out:
 * waiting cannot help them.
 */
async function stillPostponing(g: GuardedUpdate, targets: readonly RaceTarget[], epoch: string): Promise<{ waiting: RaceTarget[]; landed: RaceTarget[] }> {
  const read = buildGetMessages(g.spec, targetBatch(g.spec, targets));
  const rows = (await g.run(read, targets.map((t) => t.id))).rows;
  const next = (BigInt(epoch) + 1n).toString();
  const waiting = new Set<string>();
  const landed = new Set<string>();
  for (const row of rows) {
    if (row[BOOKKEEPING.timeAcked] != null) continue;
    if (g.writtenTimeNextNs !== undefined && String(row[BOOKKEEPING.timeNext]) === g.writtenTimeNextNs) continue;
    const seen = String(row[BOOKKEEPING.epoch]);
    if (seen === epoch) waiting.add(String(row[BOOKKEEPING.id]));
    else if (seen === next) landed.add(String(row[BOOKKEEPING.id]));
  }
  return { waiting: targets.filter((t) => waiting.has(t.id)), landed: targets.filter((t) => landed.has(t.id)) };
}
