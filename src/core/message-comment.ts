/**
 * Reading a live table's comment the way vttablet v0.24 does
 * (`schema/load_table.go`, `loadMessageInfo`), so that a table found in the
 * database can be described — its options, its streamed columns, and whether
 * the tablet loads it as a message table — without the entity or spec that
 * made it. Pure: unit tested, no database.
 */
import { BOOKKEEPING, type MessageTableOptions } from './spec';

/** What a table comment makes of a table, as vttablet reads it. */
export interface ParsedMessageComment {
  /**
   * `message` when the comment contains `vitess_message` (and not
   * `vitess_sequence`, which vttablet checks first), `sequence`, or `none`:
   * an ordinary table, never streamed.
   */
  readonly kind: 'message' | 'sequence' | 'none';
  /**
   * The options in the library's units (milliseconds), when every required
   * one parses; `minBackoffMs` is the ack wait when absent (vttablet's
   * default), `maxBackoffMs` absent when 0 or missing (unbounded).
   */
  readonly options?: MessageTableOptions;
  /** `vt_message_cols` split on `|`; absent: the tablet streams every column but its bookkeeping. */
  readonly streamed?: readonly string[];
  /**
   * Why vttablet refuses to load the table as a message table (a missing or
   * unreadable required option, `vt_message_cols` not starting with `id`),
   * in vttablet's words where it has them; absent when the comment is fine.
   * Missing columns are {@link messageTableProblem}'s to find.
   */
  readonly problem?: string;
  /** The `key=value` pairs as vttablet splits them (no trimming; later keys win). */
  readonly values: Readonly<Record<string, string>>;
}

/**
 * Parses a table comment as vttablet does: split on `,`, each part on `=`
 * (parts without exactly one `=` ignored), no trimming; `vt_ack_wait`,
 * `vt_purge_after`, `vt_poller_interval` are seconds (fractions allowed),
 * `vt_batch_size`, `vt_cache_size` integers, all required, checked in
 * vttablet's order; `vt_min_backoff` / `vt_max_backoff` optional (an
 * unreadable one counts as absent, as there).
 */
export function parseMessageComment(comment: string | null | undefined): ParsedMessageComment {
  const text = comment ?? '';
  const values: Record<string, string> = {};
  for (const part of text.split(',')) {
    const kv = part.split('=');
    if (kv.length === 2) values[kv[0]!] = kv[1]!;
  }
  if (text.includes('vitess_sequence')) return { kind: 'sequence', values };
  if (!text.includes('vitess_message')) return { kind: 'none', values };

  const seconds = (key: string): number | string => {
    const v = values[key];
    if (v === undefined || v === '') return `attribute ${key} not specified for message table`;
    // Go's strconv.ParseFloat: a plain decimal or exponent form; no spaces, no trailing text.
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return `${key}=${v} is not a number of seconds`;
    return Math.round(Number(v) * 1000);
  };
  const integer = (key: string): number | string => {
    const v = values[key];
    if (v === undefined || v === '') return `attribute ${key} not specified for message table`;
    if (!/^[+-]?\d+$/.test(v)) return `${key}=${v} is not an integer`;
    return Number(v);
  };
  // vttablet's order: the first failure is the one it reports.
  const ackWait = seconds('vt_ack_wait');
  const purgeAfter = seconds('vt_purge_after');
  const batchSize = integer('vt_batch_size');
  const cacheSize = integer('vt_cache_size');
  const poller = seconds('vt_poller_interval');
  const streamedText = values['vt_message_cols'];
  const streamed = streamedText === undefined || streamedText.trim() === '' ? undefined : streamedText.split('|');
  const failures = [ackWait, purgeAfter, batchSize, cacheSize, poller].filter((v): v is string => typeof v === 'string');
  if (failures.length > 0) return { kind: 'message', problem: failures[0]!, values, ...(streamed ? { streamed } : {}) };

  const optionalSeconds = (key: string): number | undefined => {
    const v = seconds(key);
    return typeof v === 'number' && v !== 0 ? v : undefined;
  };
  const options: { -readonly [K in keyof MessageTableOptions]: MessageTableOptions[K] } = {
    ackWaitMs: ackWait as number,
    purgeAfterMs: purgeAfter as number,
    pollerIntervalMs: poller as number,
    batchSize: batchSize as number,
    cacheSize: cacheSize as number,
    minBackoffMs: optionalSeconds('vt_min_backoff') ?? (ackWait as number),
  };
  const maxBackoff = optionalSeconds('vt_max_backoff');
  if (maxBackoff !== undefined) options.maxBackoffMs = maxBackoff;
  const problem = streamed && streamed[0] !== BOOKKEEPING.id ? 'vt_message_cols must begin with id' : undefined;
  return { kind: 'message', options: Object.freeze(options), values, ...(streamed ? { streamed } : {}), ...(problem ? { problem } : {}) };
}

/** The columns vttablet requires of a message table. */
export const REQUIRED_MESSAGE_COLUMNS: readonly string[] = [BOOKKEEPING.id, BOOKKEEPING.priority, BOOKKEEPING.timeNext, BOOKKEEPING.epoch, BOOKKEEPING.timeAcked];

/**
 * Why vttablet would not load a table with this comment and these columns as
 * a message table, or undefined when it would: not a message comment, a
 * comment problem, a required column missing, or a streamed column missing
 * (column names compared case-insensitively, as vttablet does).
 */
export function messageTableProblem(parsed: ParsedMessageComment, columns: readonly string[]): string | undefined {
  if (parsed.kind === 'sequence') return 'its comment marks it a sequence table (vitess_sequence), not a message table';
  if (parsed.kind === 'none') return 'its comment does not contain vitess_message';
  if (parsed.problem) return parsed.problem;
  const have = new Set(columns.map((c) => c.toLowerCase()));
  for (const c of [...REQUIRED_MESSAGE_COLUMNS, ...(parsed.streamed ?? [])]) {
    if (!have.has(c.toLowerCase())) return `${c} missing from message table`;
  }
  return undefined;
}
