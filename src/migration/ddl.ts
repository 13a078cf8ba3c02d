/**
 * The DDL of a message table, from its {@link MessageTableSpec}: pure functions
 * shared by the migration generator and `vitess-messages print-sql`. Identifiers
 * are validated and backquoted; the comment is built from validated parts.
 */
import { BOOKKEEPING_COLUMNS } from '../core/define';
import { quoteIdentifier, quoteTable } from '../core/identifiers';
import { buildTableComment } from '../core/options';
import { checkColumnComment, checkGeneratedExpression, checkOnUpdate } from '../core/column-options';
import { BOOKKEEPING, POLLER_INDEX, type IndexSpec, type MessageTableSpec, type PayloadColumnSpec } from '../core/spec';
import { sqlStringLiteral } from '../core/sql/string-literal';

export { POLLER_INDEX };

/**
 * `` `name` type [AS (expr) VIRTUAL|STORED] NULL|NOT NULL [DEFAULT x] [ON UPDATE y] [COMMENT 'c'] ``.
 * The expression, ON UPDATE and comment are checked again here (a spec may come
 * from a snapshot file); the comment is a quoted literal, never spliced raw.
 */
export function buildColumnDefinition(c: PayloadColumnSpec): string {
  const subject = `column ${c.name}`;
  let sql = `${quoteIdentifier(c.name)} ${c.sqlType}`;
  if (c.generated) sql += ` AS (${checkGeneratedExpression(c.generated.expression, 'asExpression', subject)}) ${c.generated.stored ? 'STORED' : 'VIRTUAL'}`;
  sql += c.nullable ? ' NULL' : ' NOT NULL';
  if (c.default !== undefined) sql += ` DEFAULT ${c.default}`;
  if (c.onUpdate !== undefined) sql += ` ON UPDATE ${checkOnUpdate(c.onUpdate, 'onUpdate', subject)}`;
  if (c.comment !== undefined) sql += ` COMMENT ${sqlStringLiteral(checkColumnComment(c.comment, 'comment', subject))}`;
  return sql;
}

/** `` [UNIQUE |FULLTEXT |SPATIAL ]INDEX `name` (`a`, `b`)[ WITH PARSER p] `` */
export function buildIndexDefinition(ix: IndexSpec): string {
  const kind = ix.kind === 'fulltext' ? 'FULLTEXT ' : ix.kind === 'spatial' ? 'SPATIAL ' : ix.unique ? 'UNIQUE ' : '';
  const parser = ix.kind === 'fulltext' && ix.parser !== undefined ? ` WITH PARSER ${quoteIdentifier(ix.parser)}` : '';
  return `${kind}INDEX ${quoteIdentifier(ix.name)} (${ix.columns.map(quoteIdentifier).join(', ')})${parser}`;
}

/** All columns of the table in order: the bookkeeping ones, then the payload. */
export function allColumns(spec: MessageTableSpec): PayloadColumnSpec[] {
  return [...BOOKKEEPING_COLUMNS, ...spec.payload];
}

/** `CREATE TABLE` with the ordered columns, the primary key, `poller_idx`, the user's indexes and the comment. */
export function buildCreateTable(spec: MessageTableSpec): string {
  const lines = [
    ...allColumns(spec).map(buildColumnDefinition),
    `PRIMARY KEY (${quoteIdentifier(BOOKKEEPING.id)})`,
    `INDEX ${quoteIdentifier(POLLER_INDEX)} (${quoteIdentifier(BOOKKEEPING.timeAcked)}, ${quoteIdentifier(BOOKKEEPING.priority)}, ${quoteIdentifier(BOOKKEEPING.timeNext)} DESC)`,
    ...(spec.indexes ?? []).map(buildIndexDefinition),
  ];
  return `CREATE TABLE ${quoteTable(spec.table, spec.keyspace)} (\n  ${lines.join(',\n  ')}\n) COMMENT=${sqlStringLiteral(buildTableComment(spec))}`;
}

export function buildDropTable(spec: Pick<MessageTableSpec, 'table' | 'keyspace'>): string {
  return `DROP TABLE ${quoteTable(spec.table, spec.keyspace)}`;
}

/** `ALTER TABLE … COMMENT='vitess_message,…'`: how option changes reach vttablet (it restarts the table's message manager). */
export function buildAlterComment(spec: MessageTableSpec): string {
  return `ALTER TABLE ${quoteTable(spec.table, spec.keyspace)} COMMENT=${sqlStringLiteral(buildTableComment(spec))}`;
}

/**
 * The vschema change that gives the table its primary vindex, e.g.
 * `ALTER VSCHEMA ON commerce.email_job ADD VINDEX hash(id) USING hash`, or
 * `undefined` when the spec has no vindex. vtgate creates a keyspace-level
 * vindex named after its type when it does not exist.
 *
 * Only for a SHARDED keyspace: on an unsharded one vtgate accepts the statement
 * and marks the whole keyspace sharded, after which its other tables are no
 * longer routable (seen on Vitess 24). Generated migrations check
 * `SHOW VSCHEMA KEYSPACES` first; run it by hand only where it applies.
 */
export function buildVindexDdl(spec: MessageTableSpec, action: 'add' | 'drop' = 'add'): string | undefined {
  if (!spec.vindex) return undefined;
  const on = quoteTable(spec.table, spec.keyspace);
  const name = quoteIdentifier(spec.vindex.type);
  return action === 'add'
    ? `ALTER VSCHEMA ON ${on} ADD VINDEX ${name}(${quoteIdentifier(spec.vindex.column)}) USING ${name}`
    : `ALTER VSCHEMA ON ${on} DROP VINDEX ${name}`;
}

/** Everything that creates the table, in order: the vindex first (so the table is routable at once), then the table. */
export function buildSchemaSql(spec: MessageTableSpec): string[] {
  const vindex = buildVindexDdl(spec, 'add');
  return [...(vindex ? [vindex] : []), buildCreateTable(spec)];
}

/** The reverse of {@link buildSchemaSql}, in reverse order. */
export function buildDropSchemaSql(spec: MessageTableSpec): string[] {
  const vindex = buildVindexDdl(spec, 'drop');
  return [buildDropTable(spec), ...(vindex ? [vindex] : [])];
}

export function buildAddColumn(spec: MessageTableSpec, c: PayloadColumnSpec, after: string): string {
  return `ALTER TABLE ${quoteTable(spec.table, spec.keyspace)} ADD COLUMN ${buildColumnDefinition(c)} AFTER ${quoteIdentifier(after)}`;
}

export function buildDropColumn(spec: MessageTableSpec, name: string): string {
  return `ALTER TABLE ${quoteTable(spec.table, spec.keyspace)} DROP COLUMN ${quoteIdentifier(name)}`;
}

export function buildModifyColumn(spec: MessageTableSpec, c: PayloadColumnSpec, after: string): string {
  return `ALTER TABLE ${quoteTable(spec.table, spec.keyspace)} MODIFY COLUMN ${buildColumnDefinition(c)} AFTER ${quoteIdentifier(after)}`;
}

export function buildAddIndex(spec: MessageTableSpec, ix: IndexSpec): string {
  return `ALTER TABLE ${quoteTable(spec.table, spec.keyspace)} ADD ${buildIndexDefinition(ix)}`;
}

export function buildDropIndex(spec: MessageTableSpec, name: string): string {
  return `ALTER TABLE ${quoteTable(spec.table, spec.keyspace)} DROP INDEX ${quoteIdentifier(name)}`;
}
