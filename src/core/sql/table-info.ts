/**
 * What the database says about its tables: names, comments, columns and indexes from
 * `information_schema` (a table's vindexes: `./vschema`). Read-only.
 *
 * Through vtgate, `information_schema` is answered by one shard of the
 * keyspace (its `TABLE_SCHEMA` reads `vt_<keyspace>_<shard>`, not the
 * keyspace), so the rows describe that shard's copy of the schema: the same
 * on every shard except while a migration is half applied.
 */
import type { Statement } from '../executor';
import { checkIdentifier, checkKeyspace } from '../identifiers';

/** Column aliases of {@link buildListTables}' rows. */
export const TABLE_INFO_COLUMNS = { table: 'vm_table', comment: 'vm_comment' } as const;

/** Column aliases of {@link buildListColumns}' rows. */
export const COLUMN_INFO_COLUMNS = { table: 'vm_table', column: 'vm_column', type: 'vm_type', nullable: 'vm_nullable', default: 'vm_default' } as const;

/**
 * The base tables of a keyspace with their comments (one table when `table`
 * is given), ordered by name.
 */
export function buildListTables(keyspace: string, table?: string): Statement {
  const t = TABLE_INFO_COLUMNS;
  const params = [checkKeyspace(keyspace)];
  let sql = `select table_name as ${t.table}, table_comment as ${t.comment} from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE'`;
  if (table !== undefined) {
    sql += ' and table_name = ?';
    params.push(checkIdentifier(table, 'table'));
  }
  return { sql: `${sql} order by table_name`, params };
}

/**
 * The columns of a keyspace's tables (one table when `table` is given), in
 * table order: name, full type (`varchar(320)`), nullability and default.
 */
export function buildListColumns(keyspace: string, table?: string): Statement {
  const c = COLUMN_INFO_COLUMNS;
  const params = [checkKeyspace(keyspace)];
  let sql =
    `select table_name as ${c.table}, column_name as ${c.column}, column_type as ${c.type}, ` +
    `is_nullable as ${c.nullable}, column_default as ${c.default} from information_schema.columns where table_schema = ?`;
  if (table !== undefined) {
    sql += ' and table_name = ?';
    params.push(checkIdentifier(table, 'table'));
  }
  return { sql: `${sql} order by table_name, ordinal_position`, params };
}

/** Column aliases of {@link buildListIndexes}' rows. */
export const INDEX_INFO_COLUMNS = {
  table: 'vm_table', index: 'vm_index', nonUnique: 'vm_non_unique', column: 'vm_column', type: 'vm_index_type',
} as const;

/**
 * The indexes of a keyspace's tables (one table when `table` is given), one
 * row per indexed column, in index order: index name, whether it allows
 * duplicates, the column (NULL for a functional key part) and the index type
 * (`BTREE`, `FULLTEXT`, `SPATIAL`).
 */
export function buildListIndexes(keyspace: string, table?: string): Statement {
  const c = INDEX_INFO_COLUMNS;
  const params = [checkKeyspace(keyspace)];
  let sql =
    `select table_name as ${c.table}, index_name as ${c.index}, non_unique as ${c.nonUnique}, column_name as ${c.column}, ` +
    `index_type as ${c.type} from information_schema.statistics where table_schema = ?`;
  if (table !== undefined) {
    sql += ' and table_name = ?';
    params.push(checkIdentifier(table, 'table'));
  }
  return { sql: `${sql} order by table_name, index_name, seq_in_index`, params };
}
