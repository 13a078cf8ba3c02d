/**
 * The stall watchdog (Vitess #8910: a stream alive but silent): while the
 * subscriber pulls and nothing arrives for `stallTimeout`, one cheap query
 * asks whether a message has been due for longer than two poller intervals;
 * if so, the stream is stalled and the caller resubscribes. A subscriber on one
 * shard asks about its own shard only: rows due on another shard (whose
 * subscriber may be down) say nothing about this stream.
 */
import type { Executor } from '../core/executor';
import type { MessageTableSpec } from '../core/spec';
import { hashKeyspaceId, inKeyRange, isFullRange, shardKeyRange, type KeyRange } from '../core/keyrange';
import { buildDueBefore, buildDueSample } from '../core/sql/due-count';
import { msToNs, nowNs } from '../core/time';

export interface WatchedStream {
  /** `Date.now()` of the last packet (or of the end of a wait for room). */
  readonly lastPacketAt: number;
  /** Waiting on the transport (not paused because the subscriber is full). */
  readonly pulling: boolean;
  readonly receiving: boolean;
}

/**
 * Checks every `limitMs / 4`; calls `onStall(silentMs)` once the stream is
 * found stalled, `onError` when the check itself fails. Returns the timer
 * (unref'd) to clear, or undefined when `limitMs` is 0 (off).
 */
export function startStallWatchdog(
  spec: MessageTableSpec,
  executor: Executor,
  limitMs: number,
  shard: string | undefined,
  stream: WatchedStream,
  onStall: (silentMs: number) => void,
  onError: (err: unknown) => void,
): NodeJS.Timeout | undefined {
  if (!limitMs) return undefined;
  const range = shard === undefined ? undefined : shardKeyRange(shard);
  const silentFor = () => Date.now() - stream.lastPacketAt;
  let checking = false;
  const timer = setInterval(() => {
    if (checking || !stream.pulling || silentFor() < limitMs || !stream.receiving) return;
    checking = true;
    dueForAWhile(spec, executor, range)
      .then((due) => {
        if (due && stream.pulling && silentFor() >= limitMs && stream.receiving) onStall(silentFor());
      })
      .catch(onError)
      .finally(() => (checking = false));
  }, Math.max(10, Math.floor(limitMs / 4)));
  timer.unref();
  return timer;
}

/**
 * A message due for longer than two poller intervals (the tablet should have
 * sent it) — on the subscriber's shard when it reads one. The shard of a row is
 * computed for a `hash` vindex (the default); with another vindex type the
 * check looks at the whole keyspace.
 */
async function dueForAWhile(spec: MessageTableSpec, executor: Executor, range: KeyRange | undefined): Promise<boolean> {
  const before = (nowNs() - msToNs(2 * spec.options.pollerIntervalMs + 1_000)).toString();
  if (range === undefined || isFullRange(range) || spec.vindex?.type !== 'hash') {
    const { sql, params } = buildDueBefore(spec, before);
    return (await executor.query(sql, params)).rows.length > 0;
  }
  const column = spec.vindex.column;
  const { sql, params } = buildDueSample(spec, before, column);
  const { rows } = await executor.query(sql, params);
  return rows.some((row) => {
    const kid = hashKeyspaceId(row[column]);
    return kid === undefined || inKeyRange(kid, range); // a value we cannot place counts (no stall missed)
  });
}
