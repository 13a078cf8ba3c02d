/** vtgate's SHOW VSCHEMA statements, and the connection's default keyspace. */
import type { Statement } from '../executor';
import { quoteTable } from '../identifiers';

/** vtgate's keyspaces with whether each is sharded (`Keyspace`, `Sharded` = `'true'` / `'false'` per row). */
export function buildShowVschemaKeyspaces(): Statement {
  return { sql: 'show vschema keyspaces', params: [] };
}

/**
 * The vindexes vtgate routes a table by (`Columns`, `Name`, `Type` per row);
 * no rows (or VT05005) until it has applied `ALTER VSCHEMA`. A SHOW takes no
 * parameters: the names are checked and quoted instead.
 */
export function buildShowTableVindexes(table: string, keyspace?: string): Statement {
  return { sql: `show vschema vindexes on ${quoteTable(table, keyspace)}`, params: [] };
}

/** The connection's default keyspace. */
export function buildSelectDatabase(): Statement {
  return { sql: 'SELECT DATABASE() AS db', params: [] };
}
