/**
 * Dead letters by the thousand: retry every failed message (optionally those
 * whose reason matches a `LIKE` pattern), or delete old ones, in batches of
 * ids listed by keyset pages, so that each statement stays short and progress
 * can be reported. Each batch's write re-checks the row is still failed (and
 * still old enough), so a message retried or failed again meanwhile is left
 * as it is. Autocommit batches: an interrupted run leaves the done batches done.
 */
import { InvalidOptionError } from '../core/errors';
import type { Executor } from '../core/executor';
import { callSite, int64Text, normalizeRefs, retry, run, type CallSite, type MessageRef } from '../core/operations';
import { checkOptionNames } from '../core/options';
import { targetBatch } from '../core/race';
import type { MessageTableSpec } from '../core/spec';
import { buildCountFailed, buildFailedIds, COUNT_FAILED_COLUMN, type FailedFilter } from '../core/sql/failed-ids';
import { buildPurgeFailedBatch } from '../core/sql/purge-failed';
import { routingColumn, tableLabel } from '../core/sql/target';
import { msToNs, NEVER_NS, toMs, type Duration } from '../core/time';

/** Where a batch operation stands: messages done of those that matched when it started. */
export interface BatchProgress {
  /**
   * Messages retried (or deleted) so far: rows the writes changed, so a
   * message retried, acked or failed again by someone else meanwhile is not counted.
   */
  readonly done: number;
  /**
   * Failed messages that matched when the operation started (one count), raised
   * to `done` when more were done than counted (messages failed during the run).
   */
  readonly total: number;
}

/** What {@link retryAllFailed} and {@link purgeFailedBatches} share: how much one statement does, and progress reports. */
export interface BatchOptions {
  /** Messages per statement, 1 to 5000. Default 500. */
  readonly batchSize?: number;
  /** Called after each batch. */
  readonly onProgress?: (progress: BatchProgress) => void;
}

/** Options of {@link retryAllFailed}: which dead letters to retry, and how many per statement. */
export interface RetryAllFailedOptions extends BatchOptions {
  /** Only failed messages whose reason matches this SQL `LIKE` pattern (`%timeout%`). Default: all. */
  readonly reasonLike?: string;
}

/** Options of {@link purgeFailedBatches}: how old a dead letter must be to go, and how many per statement. */
export interface PurgeFailedBatchesOptions extends BatchOptions {
  /** Delete dead letters failed more than this long ago (ms or `'7d'`), on the database's clock. Required. */
  readonly olderThan: Duration;
  /** Also those without `failed_at` (failed before the column existed). Default false. */
  readonly includeUnknownAge?: boolean;
}

/** What a batch operation did. */
export interface BatchResult {
  /** Failed messages matching when it started. */
  readonly matched: number;
  /** Messages retried (or deleted). */
  readonly done: number;
}

/**
 * Retries every failed message of the table (those whose reason is `LIKE`
 * `reasonLike`, when given): due now, reason cleared, epoch 0, as `retry`.
 */
export async function retryAllFailed(executor: Executor, spec: MessageTableSpec, options: RetryAllFailedOptions = {}): Promise<BatchResult> {
  const site = callSite(retryAllFailed);
  const subject = `retryAllFailed(${tableLabel(spec)})`;
  checkOptionNames(options, ['batchSize', 'onProgress', 'reasonLike'], subject);
  if (options.reasonLike !== undefined && typeof options.reasonLike !== 'string') throw new InvalidOptionError(subject, 'reasonLike', 'must be a string (a SQL LIKE pattern)', options.reasonLike);
  const filter: FailedFilter = options.reasonLike !== undefined ? { reasonLike: options.reasonLike } : {};
  return inBatches(executor, spec, filter, options, subject, site, 'retry', (refs) => retry(executor, spec, refs));
}

/**
 * Deletes the table's dead letters failed more than `olderThan` ago (those
 * without `failed_at` too with `includeUnknownAge`), as `purgeFailed` does,
 * in batches.
 */
export async function purgeFailedBatches(executor: Executor, spec: MessageTableSpec, options: PurgeFailedBatchesOptions): Promise<BatchResult> {
  const site = callSite(purgeFailedBatches);
  const subject = `purgeFailedBatches(${tableLabel(spec)})`;
  checkOptionNames(options, ['batchSize', 'onProgress', 'olderThan', 'includeUnknownAge'], subject);
  if (options?.olderThan === undefined) throw new InvalidOptionError(subject, 'olderThan', "is required (milliseconds or a string like '7d')");
  const olderThanNs = msToNs(toMs(options.olderThan, 'olderThan', subject));
  if (olderThanNs >= NEVER_NS) throw new InvalidOptionError(subject, 'olderThan', 'must be below 2^63 ns (292 years)', options.olderThan);
  const include = options.includeUnknownAge ?? false;
  if (typeof include !== 'boolean') throw new InvalidOptionError(subject, 'includeUnknownAge', 'must be a boolean', include);
  const filter: FailedFilter = { olderThanNs: olderThanNs.toString(), includeUnknownAge: include };
  return inBatches(executor, spec, filter, options, subject, site, 'purgeFailed', async (refs) => {
    const batch = targetBatch(spec, normalizeRefs(spec, refs, 'purgeFailed'));
    const stmt = buildPurgeFailedBatch(spec, batch, filter.olderThanNs!, include);
    return (await run(executor, stmt, spec, 'purgeFailed', batch.ids, site)).affectedRows;
  });
}

async function inBatches(
  executor: Executor,
  spec: MessageTableSpec,
  filter: FailedFilter,
  options: BatchOptions,
  subject: string,
  site: CallSite,
  operation: string,
  apply: (refs: MessageRef[]) => Promise<number>,
): Promise<BatchResult> {
  const size = options.batchSize ?? 500;
  if (!Number.isSafeInteger(size) || size < 1 || size > 5_000) throw new InvalidOptionError(subject, 'batchSize', 'must be an integer from 1 to 5000', size);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new InvalidOptionError(subject, 'onProgress', 'must be a function', options.onProgress);
  const counted = (await run(executor, buildCountFailed(spec, filter), spec, operation, [], site)).rows[0] ?? {};
  const total = Number(String(counted[COUNT_FAILED_COLUMN] ?? 0));
  const routing = routingColumn(spec);
  let done = 0;
  let after: string | undefined;
  options.onProgress?.({ done, total });
  for (;;) {
    const { rows } = await run(executor, buildFailedIds(spec, filter, after, size), spec, operation, after ? [after] : [], site);
    if (rows.length === 0) break;
    const refs = rows.map((row): MessageRef => {
      const id = int64Text(row['id'], 'id', subject);
      return routing ? { id, vindexValue: row[routing] } : id;
    });
    done += await apply(refs);
    options.onProgress?.({ done, total: Math.max(total, done) });
    after = int64Text(rows[rows.length - 1]!['id'], 'id', subject);
    if (rows.length < size) break;
  }
  return { matched: total, done };
}
