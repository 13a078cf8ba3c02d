/**
 * `defineMessageTable()`: the message-table definition for Prisma, mysql2 and
 * raw-SQL users (TypeORM users get the same {@link MessageTableSpec} from their
 * `@MessageTable` entity). Also the canonical bookkeeping columns both share.
 */
import { checkColumnExtras, checkDefinitionKeys, checkIndexKind } from './column-options';
import { InvalidOptionError } from './errors';
import { checkIdentifier, checkKeyspace } from './identifiers';
import { buildStreamedColumns, checkOptionNames, resolveTableOptions, TABLE_OPTION_NAMES, type MessageTableOptionsInput } from './options';
import type { InferPayload } from './payload-type';
import { BOOKKEEPING, TRACEPARENT_COLUMN, TRACEPARENT_SQL_TYPE, type IndexSpec, type MessageTableSpec, type PayloadColumnSpec } from './spec';

/**
 * The column of a table with `traceContext: true`: a W3C traceparent (55
 * characters for version 00; `tracestate` is not kept), NULL when the enqueue
 * ran outside any trace. First among the payload columns, so adding payload
 * columns later never moves it.
 */
export const TRACEPARENT_COLUMN_SPEC: PayloadColumnSpec = Object.freeze({ name: TRACEPARENT_COLUMN, property: TRACEPARENT_COLUMN, sqlType: TRACEPARENT_SQL_TYPE, nullable: true });

/** Checks the `traceContext` option (a boolean; default false) and that no payload column takes its column's name. */
export function checkTraceContext(value: unknown, payloadNames: readonly string[], subject: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidOptionError(subject, 'traceContext', 'must be a boolean', value);
  if (value && payloadNames.some((n) => n.toLowerCase() === TRACEPARENT_COLUMN)) {
    throw new InvalidOptionError(subject, `column ${TRACEPARENT_COLUMN}`, 'is the column traceContext adds; rename the payload column or leave traceContext off', TRACEPARENT_COLUMN);
  }
  return value;
}

/**
 * The bookkeeping columns in their canonical order and types (DESIGN §1), then
 * ours: the failure reason and two timestamps. `time_next` stays nullable: an
 * ack sets it to NULL. `enqueued_at` and `failed_at` are nullable without a
 * default, so `ALTER TABLE … ADD COLUMN` works on a table that has rows (NULL
 * there = enqueued before the column existed) and rows inserted by other
 * producers (raw SQL, the Go client) stay valid; the library sets them.
 */
export const BOOKKEEPING_COLUMNS: readonly PayloadColumnSpec[] = Object.freeze([
  { name: BOOKKEEPING.id, property: 'id', sqlType: 'bigint', nullable: false },
  { name: BOOKKEEPING.priority, property: 'priority', sqlType: 'tinyint', nullable: false, default: "'50'" },
  { name: BOOKKEEPING.epoch, property: 'epoch', sqlType: 'bigint', nullable: false, default: "'0'" },
  { name: BOOKKEEPING.timeNext, property: 'timeNext', sqlType: 'bigint', nullable: true, default: "'0'" },
  { name: BOOKKEEPING.timeAcked, property: 'timeAcked', sqlType: 'bigint', nullable: true },
  { name: BOOKKEEPING.failureReason, property: 'failureReason', sqlType: 'text', nullable: true },
  { name: BOOKKEEPING.enqueuedAt, property: 'enqueuedAt', sqlType: 'bigint', nullable: true },
  { name: BOOKKEEPING.failedAt, property: 'failedAt', sqlType: 'bigint', nullable: true },
]);

/**
 * The bookkeeping columns of tables created before `enqueued_at` and
 * `failed_at` existed (migration snapshots of format 1): what an upgrade
 * starts from.
 */
export const LEGACY_BOOKKEEPING_NAMES: readonly string[] = Object.freeze([
  BOOKKEEPING.id, BOOKKEEPING.priority, BOOKKEEPING.epoch, BOOKKEEPING.timeNext, BOOKKEEPING.timeAcked, BOOKKEEPING.failureReason,
]);

/** Column and property names a payload column may not take. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(
  BOOKKEEPING_COLUMNS.flatMap((c) => [c.name.toLowerCase(), c.property.toLowerCase()]),
);

/** A payload column: its SQL type (`'varchar(255)'`, NOT NULL), or the full form. */
export type ColumnInput =
  | string
  | {
      /** The SQL type as DDL, e.g. `json`, `decimal(30,10)`, `enum('a','b')`, `bigint unsigned`. */
      readonly type: string;
      /** Default `false` (NOT NULL), as in TypeORM. */
      readonly nullable?: boolean;
      /** A DDL default expression, e.g. `'pending'` (quoted) or `0`. Default: none. */
      readonly default?: string;
      /** The column's name in the database. Default: the key. */
      readonly name?: string;
      /** Column comment (plain text, at most 1024 characters). Default: none. */
      readonly comment?: string;
      /** `ON UPDATE` expression, e.g. `CURRENT_TIMESTAMP(6)`. Default: none. */
      readonly onUpdate?: string;
      /** Makes it a generated column computed from this SQL expression (payloads may not set it). Default: none. */
      readonly asExpression?: string;
      /** With `asExpression`: `VIRTUAL` (computed on read) or `STORED`. Default `VIRTUAL`, as in MySQL and TypeORM. */
      readonly generatedType?: 'VIRTUAL' | 'STORED';
    };

/** Primary vindex of a table in a sharded keyspace. */
export interface VindexInput {
  /**
   * The column whose value places a row on a shard. Default `id`. A business
   * column (e.g. `customer_id`) puts the message on the shard of its business
   * row, so enqueueing in the same transaction stays a one-shard (atomic) commit.
   */
  readonly column?: string;
  /** Vindex type. Default `hash` (for integer columns; strings want e.g. `unicode_loose_md5`). */
  readonly type?: string;
}

/** The table definition a Prisma/mysql2/raw-SQL user writes. */
export interface DefineMessageTableInput extends MessageTableOptionsInput {
  /** Table name. */
  readonly table: string;
  /** Keyspace of the table. Default: the connection's default keyspace. */
  readonly keyspace?: string;
  /** Payload columns, in table order, keyed by property name. */
  readonly columns: Readonly<Record<string, ColumnInput>>;
  /** Secondary indexes on payload columns (database names). Default: none. */
  readonly indexes?: ReadonlyArray<{
    readonly name?: string;
    readonly columns: readonly string[];
    readonly unique?: boolean;
    /** A FULLTEXT index (text columns). Default `false`. */
    readonly fulltext?: boolean;
    /** A SPATIAL index (one NOT NULL geometry column). Default `false`. */
    readonly spatial?: boolean;
    /** Full-text parser plugin, e.g. `ngram`. Default: MySQL's built-in parser. */
    readonly parser?: string;
  }>;
  /**
   * Payload columns the stream carries (after `id`, `epoch` and the vindex
   * column). Default: all payload columns.
   */
  readonly streamedColumns?: readonly string[];
  /**
   * Primary vindex for a sharded keyspace; `false` for an unsharded keyspace
   * (no vschema change is generated). Default `{ column: 'id', type: 'hash' }`.
   */
  readonly vindex?: VindexInput | false;
  /**
   * Adds a nullable `traceparent varchar(55)` column, streamed: enqueue fills
   * it with the W3C traceparent of its OpenTelemetry `send` span (or of the
   * active span), and subscribers link their `process` spans to it, so a
   * trace can be followed from producer to consumer across the queue. Not part
   * of the payload type; handlers do not see it. Default `false`: tracing
   * without links costs no column (docs/opentelemetry.md).
   */
  readonly traceContext?: boolean;
}

// A column type or default as DDL: words, numbers, parentheses, commas, dots and
// single-quoted strings (enum values, defaults); never `;`, backquotes or comments.
const SQL_FRAGMENT = /^(?:'(?:[^'\\]|'')*'|[A-Za-z0-9_ (),.+-])+$/;

/**
 * Commas only inside balanced parentheses (`decimal(30,10)`, `enum('a','b')`): a
 * top-level comma would end the column definition and start another clause
 * (`int, drop column x` in an ALTER TABLE).
 */
function commasNested(text: string): boolean {
  let depth = 0;
  for (const ch of text.replace(/'(?:[^'\\]|'')*'/g, "''")) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
    else if (ch === ',' && depth === 0) return false;
  }
  return depth === 0;
}

/** Throws unless `text` is a plain DDL fragment (a type or a default expression). */
export function checkSqlFragment(text: string, option: string, subject: string): string {
  if (typeof text !== 'string' || text.trim() === '' || !SQL_FRAGMENT.test(text) || text.includes('--') || !commasNested(text)) {
    throw new InvalidOptionError(subject, option, 'must be a plain SQL type or default expression (letters, digits, (),.+- and quoted strings)', text);
  }
  return text.trim();
}

/**
 * Throws unless `streamedColumns` and `vindex` have the shapes their types say
 * (an array of names; `false` or an object), so plain JavaScript callers get an
 * InvalidOptionError instead of a TypeError from deep inside.
 */
export function checkSpecShapes(subject: string, parts: { streamedColumns?: unknown; vindex?: unknown }): void {
  const { streamedColumns, vindex } = parts;
  if (streamedColumns !== undefined && (!Array.isArray(streamedColumns) || streamedColumns.some((s) => typeof s !== 'string'))) {
    throw new InvalidOptionError(subject, 'streamedColumns', 'must be an array of payload column names', streamedColumns);
  }
  if (vindex !== undefined && vindex !== false && (vindex === null || typeof vindex !== 'object' || Array.isArray(vindex))) {
    throw new InvalidOptionError(subject, 'vindex', "must be false or { column?, type? }", vindex);
  }
}

/**
 * Checks and completes a spec (from {@link defineMessageTable} or an entity):
 * names, reserved columns, duplicates, the vindex column, index columns.
 */
export function finishSpec(
  subject: string,
  parts: {
    table: string;
    keyspace?: string;
    payload: readonly PayloadColumnSpec[];
    indexes?: readonly IndexSpec[];
    streamedColumns?: readonly string[];
    vindex?: VindexInput | false;
    traceContext?: boolean;
    options: MessageTableOptionsInput;
  },
): MessageTableSpec {
  checkIdentifier(parts.table, 'name', subject);
  const traceContext = checkTraceContext(parts.traceContext, parts.payload.map((c) => c.name), subject);
  checkSpecShapes(subject, parts);
  if (parts.keyspace !== undefined) checkKeyspace(parts.keyspace, subject);
  const seen = new Set<string>();
  for (const c of parts.payload) {
    checkIdentifier(c.name, `column ${c.property}`, subject);
    if (RESERVED_NAMES.has(c.name.toLowerCase()) || RESERVED_NAMES.has(c.property.toLowerCase())) {
      throw new InvalidOptionError(subject, `column ${c.property}`, `may not be named like a bookkeeping column (${BOOKKEEPING_COLUMNS.map((b) => b.name).join(', ')}); the library adds those`, c.name);
    }
    if (seen.has(c.name.toLowerCase())) throw new InvalidOptionError(subject, `column ${c.property}`, 'is declared twice', c.name);
    seen.add(c.name.toLowerCase());
    checkSqlFragment(c.sqlType, `column ${c.property} type`, subject);
    if (c.default !== undefined) checkSqlFragment(c.default, `column ${c.property} default`, subject);
    checkColumnExtras(c, subject);
  }
  const payloadNames = parts.payload.map((c) => c.name);
  const known = new Set([...BOOKKEEPING_COLUMNS.map((b) => b.name), ...payloadNames]);

  let vindex: MessageTableSpec['vindex'];
  if (parts.vindex !== false) {
    const requested = parts.vindex?.column ?? BOOKKEEPING.id;
    // Accept a property name too: resolve it to its database name.
    const column = parts.payload.find((c) => c.property === requested)?.name ?? requested;
    if (column !== BOOKKEEPING.id && !payloadNames.includes(column)) {
      throw new InvalidOptionError(subject, 'vindex.column', `must be 'id' or one of the payload columns (${payloadNames.join(', ') || 'none'})`, requested);
    }
    // vtgate routes an INSERT by the value it is given; a generated column has none yet.
    if (parts.payload.some((c) => c.name === column && c.generated)) throw new InvalidOptionError(subject, 'vindex.column', 'may not be a generated column (vtgate routes an INSERT by the value it carries)', requested);
    const type = checkIdentifier(parts.vindex?.type ?? 'hash', 'vindex.type', subject);
    vindex = Object.freeze({ column, type });
  }

  let streamedPayload = payloadNames;
  if (parts.streamedColumns) {
    streamedPayload = parts.streamedColumns.map((s) => {
      const name = parts.payload.find((c) => c.property === s)?.name ?? s;
      if (!payloadNames.includes(name)) {
        throw new InvalidOptionError(subject, 'streamedColumns', `must name payload columns (${payloadNames.join(', ') || 'none'})`, s);
      }
      return name;
    });
  }

  const indexes: IndexSpec[] = [];
  for (const ix of parts.indexes ?? []) {
    checkIdentifier(ix.name, 'indexes.name', subject);
    if (!Array.isArray(ix.columns) || ix.columns.some((c) => typeof c !== 'string')) throw new InvalidOptionError(subject, `index ${ix.name}`, 'columns must be an array of column names', ix.columns);
    if (ix.name.toLowerCase() === 'poller_idx' || ix.name.toLowerCase() === 'primary') {
      throw new InvalidOptionError(subject, 'indexes.name', 'may not be PRIMARY or poller_idx (the library adds those)', ix.name);
    }
    if (ix.columns.length === 0) throw new InvalidOptionError(subject, `index ${ix.name}`, 'needs at least one column');
    for (const c of ix.columns) {
      if (!known.has(c)) throw new InvalidOptionError(subject, `index ${ix.name}`, `names an unknown column`, c);
    }
    if (indexes.some((o) => o.name.toLowerCase() === ix.name.toLowerCase())) {
      throw new InvalidOptionError(subject, `index ${ix.name}`, 'is declared twice');
    }
    checkIndexKind(ix, subject);
    indexes.push(Object.freeze({
      name: ix.name,
      columns: Object.freeze([...ix.columns]),
      unique: ix.unique,
      ...(ix.kind !== undefined ? { kind: ix.kind } : {}),
      ...(ix.parser !== undefined ? { parser: ix.parser } : {}),
    }));
  }

  const spec: MessageTableSpec = {
    table: parts.table,
    ...(parts.keyspace !== undefined ? { keyspace: parts.keyspace } : {}),
    payload: Object.freeze([...(traceContext ? [TRACEPARENT_COLUMN_SPEC] : []), ...parts.payload.map((c) => Object.freeze({ ...c }))]),
    streamed: Object.freeze(buildStreamedColumns(streamedPayload, vindex?.column, traceContext)),
    ...(vindex ? { vindex } : {}),
    options: resolveTableOptions(parts.options, subject),
    ...(indexes.length ? { indexes: Object.freeze(indexes) } : {}),
    ...(traceContext ? { traceContext: true as const } : {}),
  };
  return Object.freeze(spec);
}

function indexKind(ix: { name?: string; columns: readonly string[]; fulltext?: boolean; spatial?: boolean }, subject: string): 'fulltext' | 'spatial' {
  if (ix.fulltext && ix.spatial) throw new InvalidOptionError(subject, `index ${ix.name ?? ix.columns.join('_')}`, 'cannot be both fulltext and spatial', ix);
  return ix.fulltext ? 'fulltext' : 'spatial';
}

/**
 * A message table for Prisma, mysql2 and raw-SQL users (see the example below).
 * Throws {@link InvalidOptionError} (nothing is written anywhere) on a bad name,
 * type, option or vindex column. Print its DDL with `buildSchemaSql` (also from
 * `vitess-messages`) or `npx vitess-messages print-sql --spec <file>` (which
 * does not need TypeORM installed).
 *
 * The spec is typed with its payload ({@link MessageTableSpec}'s `P`), so
 * `messageQueue(spec, …)` checks what you enqueue and types what handlers
 * get. By default it is inferred from `columns` ({@link InferPayload}:
 * `'varchar(320)'` → `string`, `json` → `unknown`, integers →
 * `number | bigint | string`, nullable → optional `| null`, a default →
 * optional, generated → absent); or name it: `defineMessageTable<EmailPayload>({…})`.
 *
 * @example
 * ```ts
 * import { buildSchemaSql, defineMessageTable } from 'vitess-messages';
 *
 * export const emails = defineMessageTable({
 *   table: 'email_job', keyspace: 'commerce',
 *   columns: { to: 'varchar(320)', body: { type: 'json', nullable: true } },
 *   ackWait: '1m',
 * });
 * // payload type: { to: string; body?: unknown }
 * console.log(buildSchemaSql(emails).join(';\n')); // or: npx vitess-messages print-sql --spec emails.ts
 * ```
 */
export function defineMessageTable<P = never, const I extends DefineMessageTableInput = DefineMessageTableInput>(
  input: I & { readonly [K in Exclude<keyof I, keyof DefineMessageTableInput>]: never },
): MessageTableSpec<[P] extends [never] ? InferPayload<I['columns']> : P> {
  return defineUntyped(input) as MessageTableSpec<[P] extends [never] ? InferPayload<I['columns']> : P>;
}

function defineUntyped(input: DefineMessageTableInput): MessageTableSpec {
  const subject = `defineMessageTable(${typeof input?.table === 'string' ? input.table : '?'})`;
  if (!input || typeof input !== 'object') throw new InvalidOptionError('defineMessageTable', 'input', 'must be an object', input);
  if (!input.columns || typeof input.columns !== 'object' || Array.isArray(input.columns)) throw new InvalidOptionError(subject, 'columns', 'must be an object of column types', input.columns);
  checkOptionNames(input, ['table', 'keyspace', 'columns', 'indexes', 'streamedColumns', 'vindex', 'traceContext', ...TABLE_OPTION_NAMES], subject);
  if (input.indexes !== undefined && !Array.isArray(input.indexes)) throw new InvalidOptionError(subject, 'indexes', 'must be an array of { name?, columns, unique? }', input.indexes);
  for (const ix of input.indexes ?? []) {
    if (ix === null || typeof ix !== 'object' || !Array.isArray(ix.columns)) throw new InvalidOptionError(subject, 'indexes', 'must be an array of { name?, columns, unique? }', ix);
  }
  const payload: PayloadColumnSpec[] = Object.entries(input.columns).map(([property, c]) => {
    if (typeof c !== 'string' && (c === null || typeof c !== 'object')) throw new InvalidOptionError(subject, `column ${property}`, 'must be a SQL type or { type, nullable?, default?, name? }', c);
    const full = typeof c === 'string' ? { type: c } : c;
    checkDefinitionKeys(full, 'column', `column ${property}`, subject);
    if (full.nullable !== undefined && typeof full.nullable !== 'boolean') throw new InvalidOptionError(subject, `column ${property} nullable`, 'must be a boolean', full.nullable);
    const col: { -readonly [K in keyof PayloadColumnSpec]: PayloadColumnSpec[K] } = {
      name: full.name ?? property,
      property,
      sqlType: checkSqlFragment(full.type, `column ${property} type`, subject),
      nullable: full.nullable ?? false,
    };
    if (full.default !== undefined) col.default = full.default;
    if (full.onUpdate !== undefined) col.onUpdate = full.onUpdate;
    if (full.asExpression !== undefined) col.generated = { expression: full.asExpression, stored: full.generatedType === 'STORED' };
    else if (full.generatedType !== undefined) throw new InvalidOptionError(subject, `column ${property} generatedType`, 'needs asExpression', full.generatedType);
    if (full.generatedType !== undefined && full.generatedType !== 'VIRTUAL' && full.generatedType !== 'STORED') {
      throw new InvalidOptionError(subject, `column ${property} generatedType`, "must be 'VIRTUAL' or 'STORED'", full.generatedType);
    }
    if (full.comment !== undefined) col.comment = full.comment;
    return col;
  });
  const { table, keyspace, columns: _c, indexes, streamedColumns, vindex, traceContext, ...options } = input;
  return finishSpec(subject, {
    table,
    ...(keyspace !== undefined ? { keyspace } : {}),
    payload,
    indexes: (indexes ?? []).map((ix) => {
      const name = ix.name ?? `idx_${ix.columns.join('_')}`;
      checkDefinitionKeys(ix, 'index', `index ${name}`, subject);
      return {
        name,
        columns: ix.columns,
        unique: ix.unique ?? false,
        ...(ix.fulltext || ix.spatial ? { kind: indexKind(ix, subject) } : {}),
        ...(ix.parser !== undefined ? { parser: ix.parser } : {}),
      };
    }),
    ...(streamedColumns ? { streamedColumns } : {}),
    ...(vindex !== undefined ? { vindex } : {}),
    ...(traceContext !== undefined ? { traceContext } : {}),
    options,
  });
}
