/**
 * `@MessageTable()`: makes a class a TypeORM entity and a Vitess message table.
 * It records the bookkeeping columns (canonical order and types) ahead of the
 * payload columns, the poller index and the `vitess_message` comment in TypeORM's
 * metadata args, so TypeORM itself sees the same table the generator writes.
 */
import { dirname, sep } from 'node:path';
import { DefaultNamingStrategy, Entity, getMetadataArgsStorage } from 'typeorm';
import type { ColumnMetadataArgs } from 'typeorm/metadata-args/ColumnMetadataArgs';
import { BOOKKEEPING_COLUMNS, checkSpecShapes, checkTraceContext, RESERVED_NAMES, type VindexInput } from '../core/define';
import { InvalidOptionError } from '../core/errors';
import { checkIdentifier, checkKeyspace } from '../core/identifiers';
import { buildStreamedColumns, buildTableComment, checkOptionNames, resolveTableOptions, TABLE_OPTION_NAMES, type MessageTableOptionsInput } from '../core/options';
import { BOOKKEEPING, POLLER_INDEX } from '../core/spec';
import { registerMessageTable } from './registry';

/** Options of {@link MessageTable}; every one is optional. */
export interface MessageTableDecoratorOptions extends MessageTableOptionsInput {
  /** Table name. Default: TypeORM's default naming of the class (`EmailJob` → `email_job`). */
  readonly name?: string;
  /**
   * Keyspace of the table (TypeORM's `database` of the entity). Default: the
   * DataSource's `database`. Keep the DataSource on an unsharded keyspace (its
   * `migrations` table must live there) and name the message table's keyspace here.
   */
  readonly keyspace?: string;
  /**
   * Payload properties (or column names) the stream carries after `id`, `epoch`
   * and the vindex column. Default: all payload columns.
   */
  readonly streamedColumns?: readonly string[];
  /**
   * Primary vindex for a sharded keyspace, `false` for none (an unsharded
   * keyspace). Default `{ column: 'id', type: 'hash' }`; a business column
   * (property or column name) co-locates a message with its business row.
   */
  readonly vindex?: VindexInput | false;
  /**
   * Adds a nullable, streamed `traceparent varchar(55)` column (not an entity
   * property): enqueue stores the W3C traceparent of its OpenTelemetry `send`
   * span (or of the active span) there, and subscribers link their `process`
   * spans to it. Handlers' entities do not carry it. Default `false`
   * (docs/opentelemetry.md).
   */
  readonly traceContext?: boolean;
}

const naming = new DefaultNamingStrategy();

/** Converts `epoch` (a bigint column, a string from mysql2) to a number; it never nears 2^53. */
const epochTransformer = {
  from: (v: unknown): unknown => (v === null || v === undefined ? v : Number(v)),
  to: (v: unknown): unknown => v,
};

/** The TypeORM column options of each bookkeeping column, from the canonical definitions. */
function bookkeepingArgs(target: Function): ColumnMetadataArgs[] {
  return BOOKKEEPING_COLUMNS.map((c) => {
    const options: Record<string, unknown> = {
      name: c.name, // fixed by Vitess: a naming strategy must not rename them
      type: c.sqlType,
      nullable: c.nullable,
    };
    if (c.default !== undefined) options.default = Number(c.default.replace(/'/g, ''));
    if (c.name === BOOKKEEPING.id) options.primary = true;
    if (c.name === BOOKKEEPING.epoch) options.transformer = epochTransformer;
    return { target, propertyName: c.property, mode: 'regular', options } as ColumnMetadataArgs;
  });
}

/** The class and its ancestors, as TypeORM walks them for inherited columns. */
function inheritanceChain(target: Function): Function[] {
  const out: Function[] = [];
  for (let t: unknown = target; typeof t === 'function' && t !== Function.prototype; t = Object.getPrototypeOf(t)) {
    out.push(t as Function);
  }
  return out;
}

/**
 * Columns of embedded objects (`@Column(() => Address) address`) of `targets`,
 * nested ones too: property path and database name as TypeORM's default naming
 * gives them (`address.city` → `addressCity`; `prefix: false` → `city`).
 */
function embeddedColumns(targets: readonly Function[], prefixes: readonly string[], path: string): Array<{ property: string; name: string }> {
  const storage = getMetadataArgsStorage();
  const out: Array<{ property: string; name: string }> = [];
  for (const e of storage.filterEmbeddeds(targets as Function[])) {
    const type = e.type();
    if (typeof type !== 'function') continue;
    const own = e.prefix === undefined || e.prefix === true ? [e.propertyName] : e.prefix === false || e.prefix === '' ? [] : [e.prefix];
    const inner = [...prefixes, ...own];
    const chain = inheritanceChain(type);
    for (const c of storage.filterColumns(chain)) {
      if (c.mode === 'virtual' || c.mode === 'virtual-property') continue;
      out.push({ property: `${path}${e.propertyName}.${c.propertyName}`, name: naming.columnName(c.propertyName, c.options.name ?? '', inner) });
    }
    out.push(...embeddedColumns(chain, inner, `${path}${e.propertyName}.`));
  }
  return out;
}

function typeName(type: unknown): string {
  return typeof type === 'function' ? (type as Function).name : String(type);
}

/**
 * Column options TypeORM 1.x does not put in MySQL DDL at all: accepting them
 * would drop them silently, so they are refused with the reason.
 */
const UNSUPPORTED_COLUMN_OPTIONS: Readonly<Record<string, string>> = {
  zerofill: 'is not emitted by TypeORM 1.x (it was removed; MySQL deprecates ZEROFILL): remove it and pad the number where it is shown',
  width: 'is not emitted by TypeORM 1.x (it was removed; MySQL deprecates integer display widths): remove it',
  srid: "is not emitted by TypeORM's MySQL driver, so the column would have no SRID: remove it, or define the table with defineMessageTable and a type like 'point SRID 4326'",
  primary: 'is not allowed on a payload column: a message table\'s primary key is its id alone',
};

/** Throws for a payload column option that the DDL would not carry (see {@link UNSUPPORTED_COLUMN_OPTIONS}). */
function refuseUnsupportedOptions(c: ColumnMetadataArgs, subject: string): void {
  const options = c.options as Record<string, unknown>;
  for (const [option, rule] of Object.entries(UNSUPPORTED_COLUMN_OPTIONS)) {
    if (options[option] !== undefined && options[option] !== false) {
      throw new InvalidOptionError(subject, `column ${c.propertyName} ${option}`, rule, options[option]);
    }
  }
}

const OWN_DIR = dirname(__dirname); // src/ or dist/ of this package
// Packages whose code calls a decorator on the user's behalf (tsc's __decorate goes through Reflect.decorate).
const DECORATE_HELPERS = /[\\/]node_modules[\\/](?:reflect-metadata|tslib|@swc[\\/]helpers|@babel[\\/]runtime|core-js)[\\/]/;

/**
 * The file whose code applied the decorator: the first stack frame outside this
 * package, node's internals and decorator helpers (reflect-metadata, tslib, …).
 * Undefined when the stack does not say; a bundle without source maps reports
 * the bundle for every class.
 */
function definingFile(): string | undefined {
  const saved = { prepare: Error.prepareStackTrace, limit: Error.stackTraceLimit };
  try {
    Error.prepareStackTrace = (_e, sites) => sites;
    Error.stackTraceLimit = 30;
    const sites = new Error().stack as unknown as NodeJS.CallSite[];
    for (const site of sites) {
      const file = site.getFileName();
      if (!file || file.startsWith('node:') || DECORATE_HELPERS.test(file)) continue;
      const path = file.startsWith('file://') ? decodeURIComponent(new URL(file).pathname) : file;
      if (path.startsWith(OWN_DIR + sep)) continue;
      return path;
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = saved.prepare;
    Error.stackTraceLimit = saved.limit;
  }
}

/** The definition as text: options, columns and indexes (functions by their source), to tell copies of one class from different classes. */
function definitionText(options: MessageTableDecoratorOptions, chain: Function[]): string {
  const storage = getMetadataArgsStorage();
  const mine = <T extends { target: Function | string }>(rows: readonly T[]) => rows.filter((r) => chain.includes(r.target as Function));
  const fields = (r: object) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'target'));
  return JSON.stringify(
    {
      options,
      columns: mine(storage.columns).map(fields),
      indices: mine(storage.indices).map(fields),
      generations: mine(storage.generations).map(fields),
    },
    (_k, v: unknown) => (typeof v === 'function' ? `${(v as Function).name}:${String(v)}` : typeof v === 'bigint' ? v.toString() : v),
  );
}

/**
 * Marks a class as a TypeORM entity that is a Vitess message table. Payload
 * columns are ordinary `@Column`s; the bookkeeping columns (`id`, `priority`,
 * `epoch`, `time_next`, `time_acked`, then ours: `failure_reason`,
 * `enqueued_at`, `failed_at`) are added first, in Vitess's canonical order and
 * types. Extend {@link VitessMessage} for their
 * property types.
 *
 * Throws {@link InvalidOptionError} when the class is defined if an option is
 * invalid, a payload column is named like a bookkeeping column, `id` is declared
 * with a type other than bigint, the vindex or a streamed column does not exist,
 * a column option would be lost in the DDL (`zerofill`, `width`, `srid`,
 * `primary` or `@Generated` on a payload column), or another class already uses
 * the same keyspace and table name. Defining the same class again is not a
 * duplicate: the same class name from the same file (a module evaluated again,
 * e.g. in watch mode) or with the same definition (one entity loaded from two
 * copies, e.g. `src/` through ts-node and `dist/`) becomes the table's class
 * (the earlier one stays usable). A class of the same name from another file
 * with another definition is a duplicate.
 *
 * @example
 * ```ts
 * import { Column } from 'typeorm';
 * import { MessageTable, VitessMessage } from 'vitess-messages/typeorm';
 *
 * @MessageTable({ name: 'email_job', keyspace: 'commerce', ackWait: '1m', vindex: { column: 'customerId' } })
 * export class EmailJob extends VitessMessage {
 *   @Column({ type: 'bigint' }) customerId!: string;
 *   @Column({ type: 'varchar', length: 320 }) recipient!: string;
 *   @Column({ type: 'json', nullable: true }) body!: object | null;
 * }
 * ```
 */
export function MessageTable(options: MessageTableDecoratorOptions = {}): ClassDecorator {
  return (target: Function) => {
    const subject = target.name || 'MessageTable';
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InvalidOptionError(subject, 'options', 'must be an object', options);
    checkOptionNames(options, ['name', 'keyspace', 'streamedColumns', 'vindex', 'traceContext', ...TABLE_OPTION_NAMES], subject);
    const resolved = resolveTableOptions(options, subject);
    const table = checkIdentifier(naming.tableName(target.name, options.name as string), 'name', subject);
    if (options.keyspace !== undefined) checkKeyspace(options.keyspace, subject);
    checkSpecShapes(subject, options);

    const storage = getMetadataArgsStorage();
    const chain = inheritanceChain(target);
    const ours = (c: ColumnMetadataArgs) => chain.includes(c.target as Function);

    // The user's columns: an `id` is allowed only as bigint (and is then replaced by ours).
    for (let i = storage.columns.length - 1; i >= 0; i--) {
      const c = storage.columns[i]!;
      if (!ours(c)) continue;
      // Names are checked here, when the class is defined, not first when its spec is resolved.
      if (c.mode !== 'virtual' && c.mode !== 'virtual-property') checkIdentifier(c.options.name ?? c.propertyName, `column ${c.propertyName}`, subject);
      const dbName = (c.options.name ?? c.propertyName).toLowerCase();
      if (c.propertyName === 'id' || dbName === BOOKKEEPING.id) {
        if (c.options.type !== 'bigint') {
          throw new InvalidOptionError(subject, 'id', 'must be a bigint column (Vitess reads message ids as int64); leave it out and @MessageTable adds it', typeName(c.options.type));
        }
        if (c.target === target) storage.columns.splice(i, 1);
        continue;
      }
      if (RESERVED_NAMES.has(c.propertyName.toLowerCase()) || RESERVED_NAMES.has(dbName)) {
        throw new InvalidOptionError(subject, `column ${c.propertyName}`, `may not be named like a bookkeeping column (${BOOKKEEPING_COLUMNS.map((b) => b.name).join(', ')}); @MessageTable adds those`, c.options.name ?? c.propertyName);
      }
      refuseUnsupportedOptions(c, subject);
    }
    // @Generated / @PrimaryGeneratedColumn values are filled by TypeORM's save(), which enqueue does not use.
    const generation = storage.generations.find((g) => chain.includes(g.target as Function) && g.propertyName !== 'id');
    if (generation) {
      throw new InvalidOptionError(subject, `column ${generation.propertyName} generated`, `is not supported on a message table (${generation.strategy} values are made by TypeORM's save(), which enqueue does not use); use asExpression for a value MySQL computes`, generation.strategy);
    }
    const payload = [
      ...storage.columns
        .filter((c) => ours(c) && c.propertyName !== 'id' && c.mode !== 'virtual' && c.mode !== 'virtual-property')
        .map((c) => ({ property: c.propertyName, name: c.options.name ?? c.propertyName })),
      ...embeddedColumns(chain, [], ''),
    ];
    for (const c of payload) {
      if (c.property.includes('.') && RESERVED_NAMES.has(c.name.toLowerCase())) {
        throw new InvalidOptionError(subject, `column ${c.property}`, `may not be named like a bookkeeping column (${BOOKKEEPING_COLUMNS.map((b) => b.name).join(', ')}); give the embedded columns a prefix`, c.name);
      }
    }
    const payloadNames = payload.map((c) => c.name);
    const resolveName = (n: string) => payload.find((c) => c.property === n)?.name ?? (payloadNames.includes(n) ? n : undefined);

    let vindexColumn: string | undefined;
    if (options.vindex !== false) {
      const requested = options.vindex?.column ?? BOOKKEEPING.id;
      vindexColumn = requested === BOOKKEEPING.id ? requested : resolveName(requested);
      if (vindexColumn === undefined) {
        throw new InvalidOptionError(subject, 'vindex.column', `must be 'id' or a payload column (${payloadNames.join(', ') || 'none'})`, requested);
      }
      checkIdentifier(options.vindex?.type ?? 'hash', 'vindex.type', subject);
    }
    const streamedPayload = (options.streamedColumns ?? payloadNames).map((s) => {
      const n = resolveName(s);
      if (n === undefined) throw new InvalidOptionError(subject, 'streamedColumns', `must name payload columns (${payloadNames.join(', ') || 'none'})`, s);
      return n;
    });
    const traceContext = checkTraceContext(options.traceContext, payloadNames, subject);

    const file = definingFile();
    registerMessageTable(target, { table, keyspace: options.keyspace, options, ...(file ? { file } : {}), definition: definitionText(options, chain) });

    // Bookkeeping columns go before every column of the class and its ancestors:
    // TypeORM orders an entity's columns by their place in this array.
    const first = storage.columns.findIndex(ours);
    storage.columns.splice(first < 0 ? storage.columns.length : first, 0, ...bookkeepingArgs(target));
    // TypeORM cannot say DESC per column; the name and columns match ours, so its
    // own schema diff leaves the index alone.
    storage.indices.push({ target, name: POLLER_INDEX, columns: ['timeAcked', 'priority', 'timeNext'], unique: false });

    const comment = buildTableComment({ options: resolved, streamed: buildStreamedColumns(streamedPayload, vindexColumn, traceContext) });
    // synchronize: false — the vitess-messages generator owns this table's DDL and
    // vschema. TypeORM's own schema diff cannot see it through vtgate anyway:
    // information_schema answers with the shard's MySQL schema (`vt_commerce_80-`),
    // not the keyspace, so `migration:generate` would propose CREATE TABLE again.
    Entity({ name: table, ...(options.keyspace !== undefined ? { database: options.keyspace } : {}), comment, synchronize: false })(target);
  };
}
