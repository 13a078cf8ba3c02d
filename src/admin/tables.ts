/**
 * The message tables of a keyspace as the database holds them: each one's
 * comment read as vttablet reads it (options, streamed columns), whether the
 * tablet loads it as a message table (and why not), our bookkeeping columns it
 * lacks, and — given a tablet's HTTP address — its live counters. Needs only
 * an executor on vtgate: no entity, no spec. Read-only.
 */
import { InvalidOptionError } from '../core/errors';
import type { Executor } from '../core/executor';
import { checkIdentifier, checkKeyspace } from '../core/identifiers';
import { messageTableProblem, parseMessageComment } from '../core/message-comment';
import { callSite, run, type CallSite, type RunLabel } from '../core/operations';
import { checkOptionNames } from '../core/options';
import { BOOKKEEPING, POLLER_INDEX, type IndexSpec, type MessageTableOptions, type MessageTableSpec, type PayloadColumnSpec } from '../core/spec';
import { isShardedKeyspace, keyspaceShards, servedShards } from '../core/served-shards';
import {
  buildListColumns, buildListIndexes, buildListTables, COLUMN_INFO_COLUMNS, INDEX_INFO_COLUMNS, TABLE_INFO_COLUMNS,
} from '../core/sql/table-info';
import { buildShowTableVindexes } from '../core/sql/vschema';
import { OPTIONAL_BOOKKEEPING } from '../core/sql/explain';
import { countersFor, readTablets, type TableCounters, type TabletCounters } from './tablet-counters';

/** One column as `information_schema` lists it. */
export interface ColumnInfo {
  /** The column's name in the database (not an entity's property name). */
  readonly name: string;
  /** The full type, e.g. `varchar(320)`, `bigint`. */
  readonly type: string;
  /** Whether it accepts NULL (`IS_NULLABLE` is `YES`). */
  readonly nullable: boolean;
}

/** A table of a keyspace, read from the database. */
export interface MessageTableInfo {
  /** The keyspace asked for, as vtgate names it (`commerce`; `information_schema` would say `vt_commerce_-80`). */
  readonly keyspace: string;
  /** The table's name. */
  readonly table: string;
  /** The table comment as stored. */
  readonly comment: string;
  /** What the comment makes of the table (see `parseMessageComment`). */
  readonly kind: 'message' | 'sequence' | 'none';
  /** The options the tablet runs it with (milliseconds), when the comment has them all. */
  readonly options?: MessageTableOptions;
  /** Streamed columns: `vt_message_cols`, or every non-bookkeeping column when absent (the tablet's default). */
  readonly streamed: readonly string[];
  /**
   * Every column, bookkeeping and payload, in the table's order, as one shard
   * reports them (the same on every shard unless a migration is half applied).
   */
  readonly columns: readonly ColumnInfo[];
  /**
   * Its secondary indexes, as one shard reports them, by name: every index
   * but the primary key and the poller index (which the DDL always writes),
   * and but functional ones (no column to name). A full-text index's parser
   * is not read. With these, `specFromTable` gives `counts()` the counts
   * index when the table has one.
   */
  readonly indexes: readonly IndexSpec[];
  /**
   * Whether vttablet loads it as a message table, judged from the comment
   * and the columns by vttablet's own rules; `problem` says why not.
   */
  readonly loaded: boolean;
  /** Why vttablet does not load it as a message table (comment or columns), in words. Absent when `loaded`. */
  readonly problem?: string;
  /** Our bookkeeping columns the table lacks (`failure_reason`, `enqueued_at`, `failed_at`): `print-sql --upgrade` adds them. */
  readonly missingBookkeeping: readonly string[];
  /** The primary vindex (first of `show vschema vindexes`), on a sharded keyspace. */
  readonly vindex?: { readonly column: string; readonly type: string };
  /** The keyspace's shards (`-80`, `80-`; `0` unsharded). */
  readonly shards: readonly string[];
  /**
   * The tablet's counters for it, when tablet HTTP addresses were given and
   * one of them speaks for this keyspace (a merged vtcombo address always
   * does). `{}` when that tablet has none: no message manager has run for
   * the table since the tablet started.
   */
  readonly counters?: TableCounters;
  /** The address those counters came from, and whether it merges several tablets. */
  readonly tablet?: { readonly address: string; readonly merged: boolean };
}

/** Options of {@link listMessageTables}: which keyspace (and table), and where the tablets' counters come from. */
export interface ListTablesOptions {
  /** The keyspace to list. Required. */
  readonly keyspace: string;
  /** Only this table. Default: every table. */
  readonly table?: string;
  /** Include tables whose comment does not name them message tables. Default false. */
  readonly all?: boolean;
  /** Tablet HTTP addresses (`host:port`) to read counters from, or counters already read. Default: none. */
  readonly tabletHttp?: string | readonly string[];
  /**
   * Counters already read (`readTabletCounters`), used instead of
   * `tabletHttp`: a dashboard reads them once per refresh for every table
   * and question. Default: read `tabletHttp`.
   */
  readonly tablets?: readonly TabletCounters[];
}

const LIST_OPTIONS = ['keyspace', 'table', 'all', 'tabletHttp', 'tablets'];
/** Columns that are not payload: Vitess's and ours. */
const BOOKKEEPING_NAMES = new Set<string>(Object.values(BOOKKEEPING));
/** vttablet's default stream leaves these out. */
const HIDDEN = new Set<string>([BOOKKEEPING.priority, BOOKKEEPING.timeNext, BOOKKEEPING.epoch, BOOKKEEPING.timeAcked]);

/**
 * The message tables of a keyspace (every table with `all`), by name, each
 * with its options, loaded state and (given tablet addresses) counters.
 *
 * @throws InvalidOptionError for a bad keyspace or table name or an unknown option;
 *   QueryError when a statement fails; TabletHttpError when a tablet address cannot be read.
 */
export async function listMessageTables(executor: Executor, options: ListTablesOptions): Promise<MessageTableInfo[]> {
  const site = callSite(listMessageTables);
  const subject = 'listMessageTables';
  if (options === undefined) throw new InvalidOptionError(subject, 'keyspace', 'is required');
  checkOptionNames(options, LIST_OPTIONS, subject);
  const keyspace = checkKeyspace(options.keyspace, subject);
  if (options.table !== undefined) checkIdentifier(options.table, 'table', subject);
  const label = { table: options.table ?? '(tables)', keyspace };
  const [tableRows, columnRows, indexRows, shards, sharded, tablets] = await Promise.all([
    run(executor, buildListTables(keyspace, options.table), label, 'tables', [], site),
    run(executor, buildListColumns(keyspace, options.table), label, 'tables', [], site),
    run(executor, buildListIndexes(keyspace, options.table), label, 'tables', [], site),
    keyspaceShards(executor, keyspace, label, 'shards', site),
    isShardedKeyspace(executor, keyspace, label, 'keyspaces', site),
    options.tablets ? Promise.resolve(options.tablets) : readTablets(options.tabletHttp),
  ]);
  const columnsOf = new Map<string, ColumnInfo[]>();
  for (const row of columnRows.rows) {
    const c = COLUMN_INFO_COLUMNS;
    const name = String(cell(row, c.table));
    (columnsOf.get(name) ?? columnsOf.set(name, []).get(name)!).push({
      name: String(cell(row, c.column)),
      type: String(cell(row, c.type)),
      nullable: String(cell(row, c.nullable)).toUpperCase() === 'YES',
    });
  }
  const indexesOf = readIndexes(indexRows.rows);
  const out: MessageTableInfo[] = [];
  for (const row of tableRows.rows) {
    const table = String(cell(row, TABLE_INFO_COLUMNS.table));
    const comment = String(cell(row, TABLE_INFO_COLUMNS.comment) ?? '');
    const parsed = parseMessageComment(comment);
    if (parsed.kind !== 'message' && !options.all) continue;
    const columns = columnsOf.get(table) ?? [];
    const names = columns.map((c) => c.name);
    const problem = messageTableProblem(parsed, names);
    const vindex = sharded ? await primaryVindex(executor, keyspace, table, label, site) : undefined;
    const found = tablets.length > 0 ? countersFor(tablets, table, keyspace) : undefined;
    out.push({
      keyspace,
      table,
      comment,
      kind: parsed.kind,
      ...(parsed.options ? { options: parsed.options } : {}),
      streamed: parsed.streamed ?? names.filter((n) => !HIDDEN.has(n)),
      columns,
      indexes: indexesOf.get(table) ?? [],
      loaded: problem === undefined,
      ...(problem !== undefined ? { problem } : {}),
      missingBookkeeping: OPTIONAL_BOOKKEEPING.filter((c) => !names.includes(c)),
      ...(vindex ? { vindex } : {}),
      shards,
      ...(found ? { counters: found.counters, tablet: { address: found.tablet.address, merged: found.tablet.merged } } : {}),
    });
  }
  return out;
}

/** One table of a keyspace, message table or not; null when the keyspace has no such table. */
export async function describeTable(executor: Executor, keyspace: string, table: string, options: Omit<ListTablesOptions, 'keyspace' | 'table' | 'all'> = {}): Promise<MessageTableInfo | null> {
  const [info] = await listMessageTables(executor, { ...options, keyspace, table, all: true });
  return info ?? null;
}

/**
 * A spec for a live table, so the library's operations work on it with no
 * entity or `defineMessageTable` at hand: its payload columns (every column
 * that is not bookkeeping, by its database name), streamed columns, primary
 * vindex, secondary indexes (so `counts()` uses the counts index when the
 * table has it), and the options of its comment.
 *
 * @throws InvalidOptionError when the table's comment has no readable options.
 */
export function specFromTable(info: MessageTableInfo): MessageTableSpec {
  if (!info.options) {
    throw new InvalidOptionError(`${info.keyspace}.${info.table}`, 'comment', `is not a readable message table comment (${info.problem ?? 'no options'})`, info.comment);
  }
  const payload: PayloadColumnSpec[] = info.columns
    .filter((c) => !BOOKKEEPING_NAMES.has(c.name))
    .map((c) => ({ name: c.name, property: c.name, sqlType: c.type, nullable: c.nullable }));
  return {
    table: info.table,
    keyspace: info.keyspace,
    payload,
    streamed: info.streamed,
    options: info.options,
    ...(info.vindex ? { vindex: info.vindex } : {}),
    ...(info.indexes.length > 0 ? { indexes: info.indexes } : {}),
  };
}

/** `buildListIndexes` rows → each table's secondary indexes (see `MessageTableInfo.indexes`). */
function readIndexes(rows: readonly Record<string, unknown>[]): Map<string, IndexSpec[]> {
  const c = INDEX_INFO_COLUMNS;
  const parts = new Map<string, Map<string, { columns: (string | null)[]; unique: boolean; type: string }>>();
  for (const row of rows) {
    const table = String(cell(row, c.table));
    const name = String(cell(row, c.index));
    const ofTable = parts.get(table) ?? parts.set(table, new Map()).get(table)!;
    const ix = ofTable.get(name) ?? ofTable.set(name, { columns: [], unique: String(cell(row, c.nonUnique)) === '0', type: String(cell(row, c.type)).toUpperCase() }).get(name)!;
    const column = cell(row, c.column);
    ix.columns.push(column === null || column === undefined ? null : String(column));
  }
  const out = new Map<string, IndexSpec[]>();
  for (const [table, ofTable] of parts) {
    const list: IndexSpec[] = [];
    for (const [name, ix] of ofTable) {
      if (name === 'PRIMARY' || name === POLLER_INDEX || ix.columns.includes(null)) continue;
      const kind = ix.type === 'FULLTEXT' ? 'fulltext' : ix.type === 'SPATIAL' ? 'spatial' : undefined;
      list.push({ name, columns: ix.columns as string[], unique: ix.unique, ...(kind ? { kind } : {}) });
    }
    out.set(table, list);
  }
  return out;
}

async function primaryVindex(executor: Executor, keyspace: string, table: string, label: RunLabel, site: CallSite): Promise<{ column: string; type: string } | undefined> {
  try {
    const { rows } = await run(executor, buildShowTableVindexes(table, keyspace), label, 'vindexes', [], site);
    const first = rows[0];
    return first ? { column: String(first['Columns']).split(',')[0]!.trim(), type: String(first['Type']) } : undefined;
  } catch {
    // A table missing from the vschema: vtgate cannot route it, and has no vindex to show.
    return undefined;
  }
}

/** A cell by alias, whatever case the driver reports it in. */
function cell(row: Record<string, unknown>, alias: string): unknown {
  return row[alias] ?? row[alias.toUpperCase()];
}

/** The keyspaces vtgate serves (`show vitess_shards`), in its order, each once. */
export async function servedKeyspaces(executor: Executor): Promise<string[]> {
  const shards = await servedShards(executor, { table: '(keyspaces)' }, 'keyspaces', callSite(servedKeyspaces));
  return [...new Set(shards.map((s) => s.keyspace))];
}
