import type { Statement } from '../executor';
import { quoteIdentifier } from '../identifiers';
import { BOOKKEEPING, type MessageTableSpec } from '../spec';
import { NEVER_NS } from '../time';
import { tableRef, whereTargets, type TargetBatch } from './target';

/** Options of {@link buildNack}. */
export interface NackBuildOptions {
  /**
   * Set `epoch` back to the streamed epoch (needs `batch.streamedEpoch`): the
   * delivery never reached a handler (e.g. nacked when a subscriber closed), so
   * it must not count as an attempt. The next delivery streams the same epoch.
   */
  readonly uncount?: boolean;
}

/**
 * Nack: due again at `timeNextNs` (now, or later for a delay), epoch kept (or
 * restored, see {@link NackBuildOptions.uncount}).
 * Never touches acked rows nor failed ones (`time_next` at the maximum): a nack
 * must not silently un-fail a message. Rows already due at exactly that time are
 * excluded, so the matched count is the number of rows changed.
 */
export function buildNack(spec: MessageTableSpec, batch: TargetBatch, timeNextNs: string, options: NackBuildOptions = {}): Statement {
  const where = whereTargets(spec, batch);
  const q = quoteIdentifier;
  if (options.uncount && batch.streamedEpoch === undefined) throw new RangeError('uncount needs the streamed epoch');
  const set = options.uncount ? `${q(BOOKKEEPING.timeNext)} = ?, ${q(BOOKKEEPING.epoch)} = ?` : `${q(BOOKKEEPING.timeNext)} = ?`;
  return {
    sql: `update ${tableRef(spec)} set ${set} where ${where.sql} and ${q(BOOKKEEPING.timeAcked)} is null and ${q(BOOKKEEPING.timeNext)} not in (?, ?)`,
    params: [timeNextNs, ...(options.uncount ? [batch.streamedEpoch!] : []), ...where.params, NEVER_NS.toString(), timeNextNs],
  };
}
