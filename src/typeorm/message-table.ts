/**
 * `@MessageTable()`: makes a class a TypeORM entity and a Vitess message table.
 * It records the bookkeeping columns (canonical order and types) ahead of the
 * payload columns, the poller index and the `vitess_message` comment in TypeORM's
 * metadata args, so TypeORM itself sees the same table the generator writes.
 */
import { DefaultNamingStrategy, Entity, getMetadataArgsStorage } from 'typeorm';
import type { ColumnMetadataArgs } from 'typeorm/metadata-args/ColumnMetadataArgs';
import { BOOKKEEPING_COLUMNS, checkSpecShapes, RESERVED_NAMES, type VindexInput } from '../core/define';
import { InvalidOptionError } from '../core/errors';
import { checkIdentifier, checkKeyspace } from '../core/identifiers';
import { buildStreamedColumns, buildTableComment, checkOptionNames, resolveTableOptions, type MessageTableOptionsInput } from '../core/options';
import { BOOKKEEPING } from '../core/spec';
import { POLLER_INDEX } from '../migration/ddl';
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

function typeName(type: unknown): string {
  return typeof type === 'function' ? (type as Function).name : String(type);
}

/**
 * Marks a class as a TypeORM entity that is a Vitess message table. Payload
 * columns are ordinary `@Column`s; the bookkeeping columns (`id`, `priority`,
 * `epoch`, `time_next`, `time_acked`, `failure_reason`) are added first, in
 * Vitess's canonical order and types. Extend {@link VitessMessage} for their
 * property types.
 *
 * Throws {@link InvalidOptionError} when the class is defined if an option is
 * invalid, a payload column is named like a bookkeeping column, `id` is declared
 * with a type other than bigint, the vindex or a streamed column does not exist,
 * or another class already uses the same keyspace and table name.
 */
export function MessageTable(options: MessageTableDecoratorOptions = {}): ClassDecorator {
  return (target: Function) => {
    const subject = target.name || 'MessageTable';
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InvalidOptionError(subject, 'options', 'must be an object', options);
    checkOptionNames(options, ['name', 'keyspace', 'streamedColumns', 'vindex'], subject);
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
    }
    const payload = storage.columns.filter((c) => ours(c) && c.propertyName !== 'id' && c.mode !== 'virtual' && c.mode !== 'virtual-property');
    const payloadNames = payload.map((c) => c.options.name ?? c.propertyName);
    const resolveName = (n: string) => payload.find((c) => c.propertyName === n)?.options.name ?? (payloadNames.includes(n) ? n : undefined);

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

    registerMessageTable(target, { table, keyspace: options.keyspace, options });

    // Bookkeeping columns go before every column of the class and its ancestors:
    // TypeORM orders an entity's columns by their place in this array.
    const first = storage.columns.findIndex(ours);
    storage.columns.splice(first < 0 ? storage.columns.length : first, 0, ...bookkeepingArgs(target));
    // TypeORM cannot say DESC per column; the name and columns match ours, so its
    // own schema diff leaves the index alone.
    storage.indices.push({ target, name: POLLER_INDEX, columns: ['timeAcked', 'priority', 'timeNext'], unique: false });

    const comment = buildTableComment({ options: resolved, streamed: buildStreamedColumns(streamedPayload, vindexColumn) });
    // synchronize: false — the vitess-messages generator owns this table's DDL and
    // vschema. TypeORM's own schema diff cannot see it through vtgate anyway:
    // information_schema answers with the shard's MySQL schema (`vt_commerce_80-`),
    // not the keyspace, so `migration:generate` would propose CREATE TABLE again.
    Entity({ name: table, ...(options.keyspace !== undefined ? { database: options.keyspace } : {}), comment, synchronize: false })(target);
  };
}
