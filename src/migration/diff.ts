/**
 * The difference between two sets of message tables as DDL: `up` turns `before`
 * into `after`, `down` undoes `up` statement by statement in reverse order.
 * Pure: no database, no files.
 */
import { BOOKKEEPING_COLUMNS } from '../core/define';
import { InvalidOptionError } from '../core/errors';
import { buildTableComment } from '../core/options';
import type { IndexSpec, MessageTableSpec, PayloadColumnSpec } from '../core/spec';
import type { MigratedTable } from './snapshot';
import { BOOKKEEPING_NAMES, missingBookkeeping } from './upgrade';
import {
  buildAddColumn,
  buildAddIndex,
  buildAlterComment,
  buildColumnDefinition,
  buildDropColumn,
  buildDropIndex,
  buildDropSchemaSql,
  buildIndexDefinition,
  buildModifyColumn,
  buildSchemaSql,
} from './ddl';

/**
 * Tables keyed by {@link tableKey}; a table without `bookkeeping` has every
 * bookkeeping column this version defines.
 */
export type TableSet = ReadonlyMap<string, MigratedTable>;

/** `keyspace.table` (or `.table` without a keyspace): how snapshots and diffs name a table. */
export function tableKey(spec: Pick<MessageTableSpec, 'table' | 'keyspace'>): string {
  return `${spec.keyspace ?? ''}.${spec.table}`;
}

export interface SchemaDiff {
  readonly up: readonly string[];
  /** Reverses `up` exactly: the inverse of each statement, last first. */
  readonly down: readonly string[];
  /** One line per change, for people. */
  readonly changes: readonly string[];
  /** The tables whose definition changed: the new spec (with its bookkeeping columns), or null when dropped. */
  readonly changed: ReadonlyMap<string, MigratedTable | null>;
}

interface Step {
  readonly up: string;
  readonly down: string;
}

/** A table with its bookkeeping columns spelt out (last, so snapshots compare as text). */
function withBookkeeping(t: MigratedTable, bookkeeping = t.bookkeeping ?? BOOKKEEPING_NAMES): MigratedTable {
  const { bookkeeping: _ignored, ...spec } = t;
  return { ...spec, bookkeeping: [...bookkeeping] };
}

/**
 * Everything that takes `before` to `after`. The `after` tables get every
 * bookkeeping column this version defines: a `before` table lacking some
 * (made by an earlier version) gets `ADD COLUMN`s for them.
 */
export function diffTables(before: TableSet, after: TableSet): SchemaDiff {
  const steps: Step[] = [];
  const changes: string[] = [];
  const changed = new Map<string, MigratedTable | null>();
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const key of keys) {
    const a = before.get(key) && withBookkeeping(before.get(key)!);
    const b = after.get(key) && withBookkeeping(after.get(key)!, BOOKKEEPING_NAMES);
    if (a && b && JSON.stringify(a) === JSON.stringify(b)) continue;
    if (!a && b) {
      const create = buildSchemaSql(b);
      const drop = buildDropSchemaSql(b);
      // create = [vindex?, table], drop = [table, vindex?]: pair each with its inverse.
      create.forEach((sql, i) => steps.push({ up: sql, down: drop[drop.length - 1 - i]! }));
      changes.push(`create message table ${key}`);
    } else if (a && !b) {
      const drop = buildDropSchemaSql(a);
      const create = buildSchemaSql(a);
      drop.forEach((sql, i) => steps.push({ up: sql, down: create[create.length - 1 - i]! }));
      changes.push(`drop message table ${key}`);
    } else if (a && b) {
      const before = steps.length;
      alterTable(a, b, steps, changes);
      if (steps.length === before) continue;
    }
    changed.set(key, b ?? null);
  }
  return {
    up: steps.map((s) => s.up),
    down: steps.map((s) => s.down).reverse(),
    changes,
    changed,
  };
}

function sameColumn(x: PayloadColumnSpec, y: PayloadColumnSpec): boolean {
  return buildColumnDefinition(x) === buildColumnDefinition(y);
}

function sameIndex(x: IndexSpec, y: IndexSpec): boolean {
  return buildIndexDefinition(x) === buildIndexDefinition(y);
}

function alterTable(a: MigratedTable, b: MigratedTable, steps: Step[], changes: string[]): void {
  const key = tableKey(b);
  if (JSON.stringify(a.vindex ?? null) !== JSON.stringify(b.vindex ?? null)) {
    // Rows already sit on the shards the old vindex chose; a vschema edit would strand them.
    throw new InvalidOptionError(b.table, 'vindex', 'cannot change on an existing table in a migration (its rows are placed by the old vindex); create a new table and move the messages', b.vindex ?? false);
  }
  // Simulate the column list so each statement's inverse names the column before it at that moment.
  const have = a.bookkeeping ?? BOOKKEEPING_NAMES;
  const state: PayloadColumnSpec[] = [...BOOKKEEPING_COLUMNS.filter((c) => have.includes(c.name)), ...a.payload];
  const find = (name: string) => state.findIndex((c) => c.name === name);
  const predecessor = (name: string) => state[find(name) - 1]!.name;
  const place = (c: PayloadColumnSpec, after: string) => {
    const at = find(c.name);
    if (at >= 0) state.splice(at, 1);
    state.splice(find(after) + 1, 0, c);
  };

  // Columns dropped at the end do not count as being in the way: removing `y`
  // from x, y, z must not MODIFY (and so rebuild the table for) z.
  const dropped = new Set(a.payload.filter((c) => !b.payload.some((n) => n.name === c.name)).map((c) => c.name));
  const keptPredecessor = (name: string) => {
    let i = find(name) - 1;
    while (dropped.has(state[i]!.name)) i--;
    return state[i]!.name;
  };

  // Bookkeeping columns of a later version first, in their canonical places.
  for (const m of missingBookkeeping(b.table, have)) {
    steps.push({ up: buildAddColumn(b, m.column, m.after), down: buildDropColumn(b, m.column.name) });
    changes.push(`${key}: add column ${m.column.name}`);
    place(m.column, m.after);
  }

  let prev = BOOKKEEPING_COLUMNS[BOOKKEEPING_COLUMNS.length - 1]!.name;
  for (const c of b.payload) {
    const at = find(c.name);
    if (at < 0) {
      steps.push({ up: buildAddColumn(b, c, prev), down: buildDropColumn(b, c.name) });
      changes.push(`${key}: add column ${c.name}`);
      place(c, prev);
    } else if (!sameColumn(state[at]!, c) || keptPredecessor(c.name) !== prev) {
      steps.push({ up: buildModifyColumn(b, c, prev), down: buildModifyColumn(a, state[at]!, predecessor(c.name)) });
      changes.push(`${key}: change column ${c.name}`);
      place(c, prev);
    }
    prev = c.name;
  }

  const oldIx = a.indexes ?? [];
  const newIx = b.indexes ?? [];
  for (const ix of oldIx) {
    const other = newIx.find((n) => n.name === ix.name);
    if (!other || !sameIndex(ix, other)) {
      steps.push({ up: buildDropIndex(a, ix.name), down: buildAddIndex(a, ix) });
      changes.push(`${key}: drop index ${ix.name}`);
    }
  }
  for (const ix of newIx) {
    const other = oldIx.find((o) => o.name === ix.name);
    if (!other || !sameIndex(ix, other)) {
      steps.push({ up: buildAddIndex(b, ix), down: buildDropIndex(b, ix.name) });
      changes.push(`${key}: add index ${ix.name}`);
    }
  }

  if (buildTableComment(a) !== buildTableComment(b)) {
    steps.push({ up: buildAlterComment(b), down: buildAlterComment(a) });
    changes.push(`${key}: options → ${buildTableComment(b)}`);
  }

  // Dropped columns last: the new comment no longer streams them by then.
  for (const c of a.payload) {
    if (b.payload.some((n) => n.name === c.name)) continue;
    const at = find(c.name);
    steps.push({ up: buildDropColumn(b, c.name), down: buildAddColumn(a, state[at]!, predecessor(c.name)) });
    changes.push(`${key}: drop column ${c.name}`);
    state.splice(at, 1);
  }
}
