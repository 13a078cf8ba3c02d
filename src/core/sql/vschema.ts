import type { Statement } from '../executor';
import { quoteTable } from '../identifiers';

/** vtgate's keyspaces with whether each is sharded (`Keyspace`, `Sharded` columns). */
export function buildShowVschemaKeyspaces(): Statement {
  return { sql: 'SHOW VSCHEMA KEYSPACES', params: [] };
}

/** The vindexes vtgate routes a table by; no rows (or VT05005) until it has applied `ALTER VSCHEMA`. */
export function buildShowTableVindexes(table: string, keyspace?: string): Statement {
  return { sql: `SHOW VSCHEMA VINDEXES ON ${quoteTable(table, keyspace)}`, params: [] };
}

/** The connection's default keyspace. */
export function buildSelectDatabase(): Statement {
  return { sql: 'SELECT DATABASE() AS db', params: [] };
}
