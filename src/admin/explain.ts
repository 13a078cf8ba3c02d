/**
 * "Why wasn't message X delivered?", answered from what can be read without
 * taking a message: the row (its bookkeeping, on the shard's clock), the
 * table's comment (the options the tablet runs it with, and whether it loads
 * it as a message table at all), and — given its HTTP address — the tablet's
 * counters (is any subscriber connected?). Nothing here opens a stream: a
 * reader of `stream * from t` is a receiver, and would take deliveries.
 */
import { InvalidOptionError } from '../core/errors';
import type { Executor } from '../core/executor';
import { hashKeyspaceId, inKeyRange, shardKeyRange } from '../core/keyrange';
import { callSite, int64Text, messageStatusOf, normalizeRefs, run, type MessageRef } from '../core/operations';
import { checkOptionNames } from '../core/options';
import { targetBatch } from '../core/race';
import type { MessageTableOptions, MessageTableSpec } from '../core/spec';
import { buildExplainRow, EXPLAIN_NOW_COLUMN } from '../core/sql/explain';
import { routingColumn, tableLabel } from '../core/sql/target';
import { NEVER_NS } from '../core/time';
import { formatDurationMs, nsDiffMs, nsToIso } from './format-time';
import { describeTable, specFromTable, type MessageTableInfo } from './tables';
import { countersFor, readTablets, type TableCounters, type TabletCounters } from './tablet-counters';

/**
 * The answer's kind, one per reason a message is (not) delivered:
 * - `no-table`: the keyspace has no such table;
 * - `no-such-row`: no row with this id — never committed (rolled back, never
 *   enqueued), or acked and purged after `purgeAfter`;
 * - `acked`: done, awaiting the tablet's purge;
 * - `failed`: a dead letter, with its reason;
 * - `scheduled`: due later, never sent;
 * - `in-flight`: sent, not due again before its lease and the tablet's backoff run out;
 * - `not-a-message-table`: due, but the tablet does not load the table as a
 *   message table (its comment or columns), so nothing streams it;
 * - `no-subscriber`: due, and the tablet's counters show no receiver;
 * - `due`: due and waiting to be sent (a subscriber is connected, or the
 *   tablet was not asked);
 * - `never-due`: pending with `time_next` NULL, which the tablet never polls
 *   (a hand-written row).
 */
export type ExplainState =
  | 'no-table'
  | 'no-such-row'
  | 'acked'
  | 'failed'
  | 'scheduled'
  | 'in-flight'
  | 'not-a-message-table'
  | 'no-subscriber'
  | 'due'
  | 'never-due';

/** What the answer rests on; present when known. Instants are Unix ns (decimal) on the shard's clock. */
export interface ExplainFacts {
  /** The keyspace asked about, as vtgate names it (`commerce`, not a shard's `vt_commerce_-80`). Always present. */
  readonly keyspace: string;
  /** The table asked about. Always present. */
  readonly table: string;
  /** The message's id, canonical decimal (64-bit ids never pass through a JS number). Always present. */
  readonly id: string;
  /** The database's now when the row was read: `dueInMs` is measured from it, on the shard's clock like every instant here, not this process's. Absent when there is no row. */
  readonly nowNs?: string;
  /** The row's `priority` (0–127 as this library enqueues; lower is delivered first). Absent when there is no row. */
  readonly priority?: number;
  /** Deliveries so far. */
  readonly epoch?: number;
  /**
   * The row's `time_next`: when it is due (again). `'0'` = due at once (as
   * enqueued), `'9223372036854775807'` (2^63 − 1) = failed, `null` = acked, or
   * a row the tablet never polls. Absent when there is no row.
   */
  readonly timeNextNs?: string | null;
  /** The row's `time_acked`: when it was acked; `null` while pending or failed. Absent when there is no row. */
  readonly timeAckedNs?: string | null;
  /**
   * When it was enqueued (`enqueued_at`, with the lowest bit, which marks a
   * repeat enqueue of the id and carries no time, cleared). `null` for a row written by another
   * producer, or on a table without the column. Absent when there is no row.
   */
  readonly enqueuedAtNs?: string | null;
  /** When it was failed (`failed_at`); `null` unless failed, for a message failed before the column existed, or on a table without it. Absent when there is no row. */
  readonly failedAtNs?: string | null;
  /** Why it was failed (`failure_reason`, as the handler or `fail` gave it); `null` when none was recorded. Absent when there is no row. */
  readonly reason?: string | null;
  /** Since when it has been due (`time_next`, or `enqueued_at` for a message due at once). */
  readonly dueSinceNs?: string;
  /** Milliseconds until `time_next` (scheduled, in flight) or since it became due (negative). */
  readonly dueInMs?: number;
  /** The options the tablet runs the table with (from its comment), in milliseconds. */
  readonly options?: MessageTableOptions;
  /** The table's comment as stored (where vttablet reads a message table's options). Absent when there is no table. */
  readonly comment?: string;
  /**
   * Why the tablet does not load the table as a message table (its comment
   * or its columns, judged by vttablet's own rules), in words. Absent when it
   * does: then a due message is only waiting for a receiver.
   */
  readonly loadProblem?: string;
  /**
   * The tablet's backoff added after the ack wait on the latest delivery
   * (`clamp((minBackoff << (epoch − 1)) × [0.667, 1.333), minBackoff, maxBackoff)`), as a range.
   */
  readonly backoffMs?: { readonly min: number; readonly max: number };
  /** When an acked row is purged (`time_acked + purgeAfter`), at the earliest. */
  readonly purgeAtNs?: string;
  /** The tablet's counters for the table, where one was asked. */
  readonly counters?: TableCounters;
  /**
   * The tablet address `counters` came from, and whether it merges several
   * tablets' counters (vtcombo: one figure for every shard). Present with
   * `counters`, for a due message, when a given address speaks for the keyspace.
   */
  readonly tablet?: { readonly address: string; readonly merged: boolean };
}

/** {@link explainMessage}'s answer. */
export interface Explanation {
  /** Why the message is (not) delivered, as one of a closed set of kinds, for code to branch on. */
  readonly state: ExplainState;
  /** The shard holding (or that would hold) the message, when the vindex tells it. */
  readonly shard?: string;
  /** One plain sentence. */
  readonly summary: string;
  /** What the answer rests on (the row, the table's options, the counters), for a program or a closer look. */
  readonly facts: ExplainFacts;
}

/**
 * Options of {@link explainMessage}. All optional: without tablet addresses
 * or counters, whether a subscriber is connected stays unknown and a due
 * message is explained as `due`.
 */
export interface ExplainOptions {
  /** On a table sharded by a business column: the message's vindex value (ids are unique per shard there). */
  readonly vindexValue?: unknown;
  /** Tablet HTTP addresses (`host:port`) whose counters say whether a subscriber is connected. Default: none (then unknown). */
  readonly tabletHttp?: string | readonly string[];
  /** Counters already read (a dashboard reads them once per refresh), instead of `tabletHttp`. */
  readonly tablets?: readonly TabletCounters[];
  /** The table as already described (`describeTable`), to save reading it again. */
  readonly info?: MessageTableInfo;
}

const EXPLAIN_OPTIONS = ['vindexValue', 'tabletHttp', 'tablets', 'info'];

/**
 * Explains why a message is or is not being delivered. `specOrTable` is a
 * spec (its keyspace and table name are used; the options come from the live
 * comment, which is what the tablet runs with) or `{ keyspace, table }`.
 * Reads the table's description (`information_schema`), one row by id, and
 * the tablets' counters when addresses are given. Consumes nothing.
 *
 * @throws InvalidOptionError for a bad id or option, a spec without keyspace,
 *   or an id held by several messages; QueryError when a statement fails;
 *   TabletHttpError when a tablet address cannot be read.
 */
export async function explainMessage(
  executor: Executor,
  specOrTable: MessageTableSpec | { readonly keyspace: string; readonly table: string },
  id: MessageRef,
  options: ExplainOptions = {},
): Promise<Explanation> {
  const site = callSite(explainMessage);
  const subject = `explain(${tableLabel(specOrTable)})`;
  checkOptionNames(options, EXPLAIN_OPTIONS, subject);
  const { keyspace, table } = specOrTable;
  if (!keyspace) throw new InvalidOptionError(subject, 'keyspace', 'is required (the table is looked up in its keyspace)');
  const ref = typeof id === 'object' && id !== null && !Array.isArray(id) ? id : options.vindexValue === undefined ? id : { id, vindexValue: options.vindexValue };
  // The id (and epoch) checked before any I/O; the vindex value needs the table's vindex, checked below.
  normalizeRefs({ table, keyspace, payload: [], streamed: [], options: {} as MessageTableOptions }, ref as MessageRef, 'explain');
  const tablets = options.tablets ?? (await readTablets(options.tabletHttp));
  const info = options.info ?? (await describeTable(executor, keyspace, table, { tablets }));
  const given = 'payload' in specOrTable ? specOrTable : undefined;
  // Validate the id before any answer, with whatever spec routes it.
  const routingSpec: MessageTableSpec = given ?? { table, keyspace, payload: [], streamed: [], options: {} as MessageTableOptions, ...(info?.vindex ? { vindex: info.vindex } : {}) };
  const targets = normalizeRefs(routingSpec, ref as MessageRef, 'explain');
  const idText = targets[0]!.id;
  const base = { keyspace, table, id: idText };
  const label = `${keyspace}.${table}`;

  if (!info) {
    return { state: 'no-table', summary: `There is no table ${label}: nothing can be enqueued into it or delivered from it.`, facts: base };
  }
  const tableOptions = info.options ?? given?.options;
  const spec: MessageTableSpec = info.options ? { ...specFromTable(info), ...(given?.vindex ? { vindex: given.vindex } : {}) } : routingSpec;
  const found = tablets.length > 0 ? countersFor(tablets, table, keyspace) : undefined;
  const tableFacts = {
    ...(tableOptions ? { options: tableOptions } : {}),
    comment: info.comment,
    ...(info.problem ? { loadProblem: info.problem } : {}),
  };

  const batch = targetBatch(spec, targets);
  const present = info.columns.map((c) => c.name);
  const { rows } = await run(executor, buildExplainRow(spec, batch, present), spec, 'explain', batch.ids, site);
  if (rows.length > 1) {
    throw new InvalidOptionError(subject, 'id', `matches ${rows.length} messages (ids are unique per shard on a table sharded by ${routingColumn(spec)}): give the vindex value`, idText);
  }
  const row = rows[0];
  const routing = routingColumn(spec);
  const shard = shardOf(info, routing ? (row?.[routing] ?? targets[0]!.vindexValue) : idText);
  const where = shard ? ` on shard ${shard}` : '';
  const withShard = (e: Omit<Explanation, 'shard'>): Explanation => (shard ? { ...e, shard } : e);

  if (!row) {
    const purge = tableOptions ? ` after purgeAfter (${formatDurationMs(tableOptions.purgeAfterMs)})` : '';
    return withShard({
      state: 'no-such-row',
      summary: `No message ${idText} in ${label}${shard ? ` (it would live on shard ${shard})` : ''}: it was never committed (its transaction rolled back, or it was never enqueued), or it was acked and then purged${purge}.`,
      facts: { ...base, ...tableFacts },
    });
  }

  const nowNs = int64Text(row[EXPLAIN_NOW_COLUMN], EXPLAIN_NOW_COLUMN, subject).split('.')[0]!;
  // The bookkeeping cells as get() reads them; a column the table lacks is not selected and reads null.
  const { priority, epoch, timeNextNs: timeNext, timeAckedNs: timeAcked, enqueuedAtNs: enqueuedAt, failedAtNs: failedAt, reason } = messageStatusOf(row, subject);
  const rowFacts = {
    ...base,
    nowNs,
    priority,
    epoch,
    timeNextNs: timeNext,
    timeAckedNs: timeAcked,
    enqueuedAtNs: enqueuedAt,
    failedAtNs: failedAt,
    reason,
    ...tableFacts,
  };
  const when = (ns: string): string => {
    const ms = nsDiffMs(nowNs, ns);
    return `${nsToIso(ns)} (${ms > 0 ? `in ${formatDurationMs(ms)}` : `${formatDurationMs(-ms)} ago`})`;
  };
  const deliveries = `${epoch} deliver${epoch === 1 ? 'y' : 'ies'}`;

  if (timeAcked !== null) {
    const purgeAtNs = tableOptions ? (BigInt(timeAcked) + BigInt(tableOptions.purgeAfterMs) * 1_000_000n).toString() : undefined;
    return withShard({
      state: 'acked',
      summary: `Message ${idText} was acked at ${when(timeAcked)} after ${deliveries}${where}; it is done${purgeAtNs ? `, and the tablet purges it from ${nsToIso(purgeAtNs)}` : ''}.`,
      facts: { ...rowFacts, ...(purgeAtNs ? { purgeAtNs } : {}) },
    });
  }
  if (timeNext === NEVER_NS.toString()) {
    const at = failedAt ? `at ${when(failedAt)}` : '(when is unknown: failed before failed_at existed)';
    return withShard({
      state: 'failed',
      summary: `Message ${idText} failed ${at} after ${deliveries}${where}: ${reason ?? '(no reason recorded)'}. It is a dead letter, kept until retried or purged.`,
      facts: rowFacts,
    });
  }
  if (timeNext === null) {
    return withShard({
      state: 'never-due',
      summary: `Message ${idText} is pending with time_next NULL${where}: the tablet never polls such a row (it was not written by this library); nack or retry it to make it due.`,
      facts: rowFacts,
    });
  }
  const dueInMs = nsDiffMs(nowNs, timeNext);
  if (BigInt(timeNext) > BigInt(nowNs)) {
    if (epoch === 0) {
      const poll = tableOptions ? `; the tablet's poller (every ${formatDurationMs(tableOptions.pollerIntervalMs)}) picks it up then` : '';
      return withShard({
        state: 'scheduled',
        summary: `Message ${idText} is scheduled for ${when(timeNext)}${where} and has never been sent${poll}.`,
        facts: { ...rowFacts, dueInMs },
      });
    }
    const backoffMs = tableOptions ? backoffRange(tableOptions, epoch) : undefined;
    const lease = tableOptions && backoffMs
      ? `: the ack wait (${formatDurationMs(tableOptions.ackWaitMs)}) after it was sent, then the tablet's backoff (${formatDurationMs(backoffMs.min)} to ${formatDurationMs(backoffMs.max)})`
      : '';
    return withShard({
      state: 'in-flight',
      summary: `Message ${idText} is in flight${where}: sent ${epoch} time${epoch === 1 ? '' : 's'} (attempt ${epoch}), not acked yet, and not sent again before ${when(timeNext)}${lease}, or a nack's delay; if it is not acked by then, it is due again.`,
      facts: { ...rowFacts, dueInMs, ...(backoffMs ? { backoffMs } : {}) },
    });
  }

  // Due: why has it not gone out?
  const dueSinceNs = timeNext !== '0' ? timeNext : enqueuedAt ?? undefined;
  const since = dueSinceNs ? ` since ${when(dueSinceNs)}` : '';
  const dueFacts = { ...rowFacts, dueInMs, ...(dueSinceNs ? { dueSinceNs } : {}), ...(found ? { counters: found.counters, tablet: { address: found.tablet.address, merged: found.tablet.merged } } : {}) };
  const before = epoch > 0 ? `; it was sent ${epoch} time${epoch === 1 ? '' : 's'} before and not acked, and its ack wait and backoff have run out` : '';
  if (!info.loaded) {
    return withShard({
      state: 'not-a-message-table',
      summary: `Message ${idText} is due${since}${where}, but the tablet does not load ${label} as a message table (${info.problem}; comment: ${JSON.stringify(info.comment)}), so nothing streams it.`,
      facts: dueFacts,
    });
  }
  if (found && !(found.counters.clientCount! > 0)) {
    const merged = found.tablet.merged ? ' (this address merges several tablets\' counters, so it speaks for every shard)' : '';
    return withShard({
      state: 'no-subscriber',
      summary: `Message ${idText} is due${since}${where}, but no subscriber is connected: the tablet at ${found.tablet.address} counts ${found.counters.clientCount ?? 0} receivers for ${table}${merged}; it is sent when one connects${before}.`,
      facts: dueFacts,
    });
  }
  const receivers = found
    ? `${found.counters.clientCount} subscriber${found.counters.clientCount === 1 ? '' : 's'} connected`
    : 'whether a subscriber is connected is unknown (give the tablet\'s HTTP address)';
  return withShard({
    state: 'due',
    summary: `Message ${idText} is due${since}${where} and waits to be sent (${receivers}); the tablet sends due messages by priority, ${tableOptions ? `${tableOptions.batchSize} per packet, ` : ''}as its receivers keep up${before}.`,
    facts: dueFacts,
  });
}

/**
 * The answer for people: the summary, then the facts one per line (times as
 * ISO-8601 UTC), for the CLI and the dashboard.
 */
export function formatExplanation(e: Explanation): string {
  const f = e.facts;
  const lines = [e.summary, ''];
  const add = (k: string, v: unknown): void => {
    if (v !== undefined && v !== null) lines.push(`  ${k.padEnd(14)} ${String(v)}`);
  };
  add('state', e.state);
  add('table', `${f.keyspace}.${f.table}`);
  add('id', f.id);
  add('shard', e.shard);
  add('priority', f.priority);
  add('epoch', f.epoch);
  add('time_next', f.timeNextNs == null ? f.timeNextNs : f.timeNextNs === NEVER_NS.toString() ? `${f.timeNextNs} (failed)` : f.timeNextNs === '0' ? '0 (due at once)' : `${f.timeNextNs} (${nsToIso(f.timeNextNs)})`);
  add('time_acked', f.timeAckedNs ? `${f.timeAckedNs} (${nsToIso(f.timeAckedNs)})` : undefined);
  add('enqueued_at', f.enqueuedAtNs ? `${f.enqueuedAtNs} (${nsToIso(f.enqueuedAtNs)})` : undefined);
  add('failed_at', f.failedAtNs ? `${f.failedAtNs} (${nsToIso(f.failedAtNs)})` : undefined);
  add('reason', f.reason);
  add('purge from', f.purgeAtNs ? nsToIso(f.purgeAtNs) : undefined);
  add('backoff', f.backoffMs ? `${formatDurationMs(f.backoffMs.min)} to ${formatDurationMs(f.backoffMs.max)}` : undefined);
  const o = f.options;
  add('options', o ? `ackWait ${formatDurationMs(o.ackWaitMs)}, purgeAfter ${formatDurationMs(o.purgeAfterMs)}, pollerInterval ${formatDurationMs(o.pollerIntervalMs)}, batchSize ${o.batchSize}, minBackoff ${formatDurationMs(o.minBackoffMs ?? o.ackWaitMs)}, maxBackoff ${o.maxBackoffMs === undefined ? 'none' : formatDurationMs(o.maxBackoffMs)}` : undefined);
  add('not loaded', f.loadProblem);
  if (f.tablet) add('tablet', `${f.tablet.address}${f.tablet.merged ? ' (merged counters)' : ''}: ${Object.entries(f.counters ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'no counters for this table'}`);
  add('db now', f.nowNs ? nsToIso(f.nowNs) : undefined);
  return lines.join('\n');
}

/**
 * The backoff vttablet added after the ack wait when it sent the message the
 * `epoch`-th time: `(minBackoff << (epoch − 1)) × jitter`, jitter in
 * [0.667, 1.333), clamped to [minBackoff, maxBackoff].
 */
export function backoffRange(options: MessageTableOptions, epoch: number): { min: number; max: number } {
  const min = options.minBackoffMs ?? options.ackWaitMs;
  const shifted = min * 2 ** Math.max(0, Math.min(epoch - 1, 62));
  const clamp = (v: number): number => Math.max(min, options.maxBackoffMs === undefined ? v : Math.min(options.maxBackoffMs, v));
  return { min: Math.round(clamp(shifted * 0.667)), max: Math.round(clamp(shifted * 1.333)) };
}

/** The shard of a row from its hash vindex value; the only shard of an unsharded keyspace; else undefined. */
function shardOf(info: MessageTableInfo, vindexValue: unknown): string | undefined {
  if (info.shards.length === 1) return info.shards[0];
  if (!info.vindex || info.vindex.type !== 'hash' || vindexValue === undefined) return undefined;
  const ksid = hashKeyspaceId(vindexValue);
  if (!ksid) return undefined;
  return info.shards.find((s) => inKeyRange(ksid, shardKeyRange(s)));
}
