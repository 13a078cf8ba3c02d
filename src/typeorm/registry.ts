/**
 * Which classes are message tables, and their {@link MessageTableSpec} resolved
 * through TypeORM's metadata (so a DataSource's naming strategy applies).
 */
import { DataSource, TableColumn, getMetadataArgsStorage } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { EntityMetadata } from 'typeorm/metadata/EntityMetadata';
import { EntityMetadataBuilder } from 'typeorm/metadata-builder/EntityMetadataBuilder';
import { BOOKKEEPING_COLUMNS, finishSpec, type VindexInput } from '../core/define';
import { InvalidOptionError, NotAMessageTableError, UnknownEntityError } from '../core/errors';
import { buildTableComment, type MessageTableOptionsInput } from '../core/options';
import { POLLER_INDEX, type IndexSpec, type MessageTableSpec, type PayloadColumnSpec } from '../core/spec';
import { sqlStringLiteral } from '../core/sql/string-literal';

interface Registered {
  readonly table: string;
  readonly keyspace: string | undefined;
  readonly options: MessageTableOptionsInput & {
    readonly streamedColumns?: readonly string[];
    readonly vindex?: VindexInput | false;
    readonly traceContext?: boolean;
  };
  /** The file whose code applied the decorator, when the stack tells (see {@link registerMessageTable}). */
  readonly file?: string;
  /** The class's definition as text: its options, columns and indexes. */
  readonly definition: string;
}

// One registry per process: the package is a single CommonJS build, so ESM and
// CJS importers share it.
// The maps live on globalThis so that a second copy of this module (the CLI from
// dist/ and entities loaded through ts-node from src/) still sees one registry.
const state = ((globalThis as Record<symbol, unknown>)[Symbol.for('vitess-messages.registry')] ??= {
  byClass: new Map<Function, Registered>(),
  byTable: new Map<string, Function>(),
}) as { byClass: Map<Function, Registered>; byTable: Map<string, Function> };
const { byClass, byTable } = state;

/**
 * Whether `next` is the class `previous` was, defined again: the same class name
 * and either the same defining file (a module evaluated again: watch mode, a
 * test runner's fresh module registry, a cleared require cache — the definition
 * may have been edited) or the same definition (one entity loaded from two
 * copies, e.g. `src/` through ts-node and `dist/`).
 */
function isRedefinition(previous: Registered, previousName: string, next: Registered, nextName: string): boolean {
  if (previousName !== nextName) return false;
  if (previous.file !== undefined && previous.file === next.file) return true;
  return previous.definition === next.definition;
}

/**
 * @internal Called by `@MessageTable`. A table (keyspace + name, case-insensitive)
 * belongs to one class: another class taking it is an {@link InvalidOptionError}
 * — also when it has the same class name but comes from another file with
 * another definition. A redefinition of the same class (same name, and the same
 * file or the same definition) becomes the table's class; the earlier one stays
 * usable.
 */
export function registerMessageTable(target: Function, entry: Registered): void {
  const key = `${entry.keyspace ?? ''}.${entry.table}`.toLowerCase();
  const other = byTable.get(key);
  if (other && other !== target && !isRedefinition(byClass.get(other)!, other.name, entry, target.name)) {
    const where = (e: Registered | undefined) => (e?.file ? ` (${e.file})` : '');
    throw new InvalidOptionError(
      target.name,
      'name',
      `is already the table of message entity ${other.name}${where(byClass.get(other))}${entry.keyspace ? ` in keyspace ${entry.keyspace}` : ''}; this class${where(entry)} would be a second definition of it`,
      entry.table,
    );
  }
  // A redefined class stays a message table (code may still hold it); the table's class is the latest.
  byTable.set(key, target);
  byClass.set(target, entry);
}

/** True when `target` (a class) is decorated with `@MessageTable`. */
export function isMessageTable(target: unknown): target is Function {
  return typeof target === 'function' && byClass.has(target);
}

/**
 * The classes decorated with `@MessageTable` so far, one per table in the order
 * the tables were first defined: for a class defined again (see
 * {@link registerMessageTable}), the latest definition.
 */
export function messageTableClasses(): Function[] {
  return [...byTable.values()];
}

let standalone: DataSource | undefined;

function nameOf(target: unknown): string {
  return typeof target === 'function' ? target.name : String(target);
}

/** The entity's metadata: from the DataSource when it knows the class, else built on the side (no connection). */
function metadataOf(target: Function, dataSource?: DataSource): EntityMetadata {
  if (dataSource && dataSource.entityMetadatas.length > 0) {
    if (!dataSource.hasMetadata(target)) throw new UnknownEntityError(target.name);
    return dataSource.getMetadata(target);
  }
  // Not built yet (or no DataSource): build this one entity's metadata, synchronously,
  // with the DataSource's naming strategy when there is one. Nothing connects.
  const ds = dataSource ?? (standalone ??= new DataSource({ type: 'mysql' }));
  if (dataSource) {
    const entities = (dataSource.options.entities ?? []) as unknown[];
    const listed = Array.isArray(entities) && entities.some((e) => typeof e === 'function');
    if (listed && !entities.includes(target)) throw new UnknownEntityError(target.name);
  }
  return new EntityMetadataBuilder(ds, getMetadataArgsStorage()).build([target])[0]!;
}

/** A payload column's SQL type as MySQL spells it, from TypeORM's column metadata. */
function sqlTypeOf(column: ColumnMetadata, dataSource: DataSource): string {
  const driver = dataSource.driver;
  const type = driver.normalizeType(column);
  const tc = new TableColumn({
    name: column.databaseName,
    type,
    length: driver.getColumnLength(column),
    ...(column.precision !== undefined && column.precision !== null ? { precision: column.precision } : {}),
    ...(column.scale !== undefined ? { scale: column.scale } : {}),
  });
  let sql = driver.createFullType(tc);
  if (column.enum) sql += `(${column.enum.map((v) => sqlStringLiteral(String(v))).join(',')})`;
  if (column.unsigned) sql += ' unsigned';
  if (column.charset) sql += ` CHARACTER SET ${column.charset}`;
  if (column.collation) sql += ` COLLATE ${column.collation}`;
  return sql;
}

const BOOKKEEPING_PROPERTIES = new Set(BOOKKEEPING_COLUMNS.map((c) => c.property));

/**
 * The {@link MessageTableSpec} of a `@MessageTable` entity. With a DataSource,
 * column and index names come from its metadata (naming strategies apply) and an
 * entity it does not list is an {@link UnknownEntityError}; without one, TypeORM's
 * default naming is used. Synchronous; nothing connects.
 */
export function getMessageTableSpec(target: Function, dataSource?: DataSource): MessageTableSpec {
  const entry = typeof target === 'function' ? byClass.get(target) : undefined;
  if (!entry) throw new NotAMessageTableError(nameOf(target));
  const metadata = metadataOf(target, dataSource);
  const ds = dataSource ?? (standalone ??= new DataSource({ type: 'mysql' }));

  const payload: PayloadColumnSpec[] = metadata.columns
    .filter((c) => !BOOKKEEPING_PROPERTIES.has(c.propertyName) && !c.isVirtual && !c.isVirtualProperty)
    .map((c) => {
      const col: { -readonly [K in keyof PayloadColumnSpec]: PayloadColumnSpec[K] } = {
        name: c.databaseName,
        property: c.propertyPath,
        sqlType: sqlTypeOf(c, ds),
        nullable: c.isNullable,
      };
      const def = ds.driver.normalizeDefault(c);
      if (def !== undefined && def !== null) col.default = def;
      // Emitted as TypeORM's own CREATE TABLE emits them (its MySQL query runner).
      if (c.onUpdate) col.onUpdate = c.onUpdate;
      if (c.asExpression) col.generated = { expression: c.asExpression, stored: c.generatedType === 'STORED' };
      if (c.comment) col.comment = c.comment;
      return col;
    });
  const indexes: IndexSpec[] = metadata.indices
    .filter((ix) => ix.name !== POLLER_INDEX)
    .map((ix) => ({
      name: ix.name,
      columns: ix.columns.map((c) => c.databaseName),
      unique: ix.isUnique,
      ...(ix.isFulltext ? { kind: 'fulltext' as const } : ix.isSpatial ? { kind: 'spatial' as const } : {}),
      ...(ix.isFulltext && ix.parser ? { parser: ix.parser } : {}),
    }));
  const byProperty = (n: string) => metadata.columns.find((c) => c.propertyPath === n)?.databaseName ?? n;

  const { streamedColumns, vindex, traceContext, ...options } = entry.options;
  const spec = finishSpec(target.name, {
    table: metadata.tableName,
    ...(entry.keyspace !== undefined ? { keyspace: entry.keyspace } : {}),
    payload,
    indexes,
    ...(streamedColumns ? { streamedColumns: streamedColumns.map(byProperty) } : {}),
    ...(vindex === false ? { vindex: false as const } : vindex ? { vindex: { ...vindex, ...(vindex.column ? { column: byProperty(vindex.column) } : {}) } } : {}),
    ...(traceContext !== undefined ? { traceContext } : {}),
    options,
  });
  // The comment TypeORM knows was written when the class was defined, before any
  // naming strategy; if the strategy renamed a streamed column they differ.
  if (metadata.comment !== undefined && metadata.comment !== buildTableComment(spec)) {
    throw new InvalidOptionError(target.name, 'columns', "are renamed by the DataSource's naming strategy; give streamed payload columns an explicit `name` so the table comment names them as the database does", metadata.comment);
  }
  return spec;
}
