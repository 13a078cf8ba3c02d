/**
 * Upgrades of the bookkeeping columns: a table created by an earlier version
 * lacks some of them (`enqueued_at` and `failed_at` came after the first
 * release). Pure; the generator (diff) and `print-sql --upgrade` share it.
 */
import { BOOKKEEPING_COLUMNS, LEGACY_BOOKKEEPING_NAMES } from '../core/define';
import { InvalidOptionError } from '../core/errors';
import type { MessageTableSpec, PayloadColumnSpec } from '../core/spec';
import { buildAddColumn, buildDropColumn } from './ddl';

/** The names of every bookkeeping column this version defines, in table order. */
export const BOOKKEEPING_NAMES: readonly string[] = Object.freeze(BOOKKEEPING_COLUMNS.map((c) => c.name));

/** A bookkeeping column to add, with the column it goes after. */
export interface MissingBookkeeping {
  readonly column: PayloadColumnSpec;
  readonly after: string;
}

/**
 * The bookkeeping columns a table that has only `have` lacks, in canonical
 * order, each placed after its canonical predecessor (so the table ends up
 * with the column order a new one gets). Throws {@link InvalidOptionError} when
 * `have` names a column this version does not know (migrations written by a
 * newer version) or lacks one of Vitess's own.
 */
export function missingBookkeeping(table: string, have: readonly string[]): MissingBookkeeping[] {
  const unknown = have.filter((n) => !BOOKKEEPING_NAMES.includes(n));
  if (unknown.length > 0) {
    throw new InvalidOptionError(table, 'bookkeeping', 'names columns this version of vitess-messages does not know (the migrations come from a newer version); upgrade vitess-messages', unknown.join(', '));
  }
  const lacking = LEGACY_BOOKKEEPING_NAMES.filter((n) => !have.includes(n));
  if (lacking.length > 0) throw new InvalidOptionError(table, 'bookkeeping', 'must include the columns every message table has', lacking.join(', '));
  const out: MissingBookkeeping[] = [];
  let prev = BOOKKEEPING_NAMES[0]!;
  for (const column of BOOKKEEPING_COLUMNS) {
    if (!have.includes(column.name)) out.push({ column, after: prev });
    prev = column.name;
  }
  return out;
}

/**
 * `ALTER TABLE … ADD COLUMN` for each bookkeeping column a table created with
 * only `have` lacks (default: a table made before `enqueued_at` and
 * `failed_at`). On MySQL 8.0.29+ each is an INSTANT change (no table copy);
 * existing rows read NULL. Nothing when the table is current.
 */
export function buildUpgradeSql(spec: MessageTableSpec, have: readonly string[] = LEGACY_BOOKKEEPING_NAMES): string[] {
  return missingBookkeeping(spec.table, have).map((m) => buildAddColumn(spec, m.column, m.after));
}

/** The reverse of {@link buildUpgradeSql}, last column first. */
export function buildDowngradeSql(spec: MessageTableSpec, have: readonly string[] = LEGACY_BOOKKEEPING_NAMES): string[] {
  return missingBookkeeping(spec.table, have).map((m) => buildDropColumn(spec, m.column.name)).reverse();
}
