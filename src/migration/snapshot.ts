/**
 * What the committed migrations declare. Each generated migration embeds a
 * machine-readable snapshot of the message tables it changed (their full new
 * spec, or null when dropped); folding them in timestamp order gives the schema
 * the migrations produce, without a database.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LEGACY_BOOKKEEPING_NAMES } from '../core/define';
import { InvalidOptionError } from '../core/errors';
import type { MessageTableSpec } from '../core/spec';

const BEGIN = '/* vitess-messages:snapshot';
const END = 'vitess-messages:snapshot */';

/**
 * A table as the migrations leave it: its spec and the bookkeeping columns it
 * has (`bookkeeping`, by name; absent = every one this version defines).
 */
export type MigratedTable = MessageTableSpec & { readonly bookkeeping?: readonly string[] };

/** The snapshot format this version writes. */
export const SNAPSHOT_VERSION = 2;

export interface MigrationSnapshot {
  /**
   * Format version of the snapshot. 1: tables have the bookkeeping columns of
   * the first release (through `failure_reason`); 2: each table lists its
   * bookkeeping columns in `bookkeeping`.
   */
  readonly version: 1 | 2;
  /** Tables this migration created or changed (new spec) or dropped (null), by `keyspace.table`. */
  readonly tables: Readonly<Record<string, MigratedTable | null>>;
}

/** The snapshot block embedded in a generated migration. */
export function renderSnapshot(snapshot: MigrationSnapshot): string {
  // JSON may hold enum values or defaults with `*/`; `\/` is a valid JSON escape.
  const json = JSON.stringify(snapshot, null, 2).replace(/\*\//g, '*\\/');
  return `${BEGIN}\n${json}\n${END}`;
}

/** The snapshot embedded in a migration's text, or undefined for a migration we did not generate. */
export function parseSnapshot(text: string): MigrationSnapshot | undefined {
  const start = text.indexOf(BEGIN);
  if (start < 0) return undefined;
  const end = text.indexOf(END, start);
  if (end < 0) return undefined;
  return JSON.parse(text.slice(start + BEGIN.length, end)) as MigrationSnapshot;
}

/** Migration files in `dir` (`.ts`, or `.js` where no `.ts` twin exists), in timestamp order. */
export function migrationFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ts = new Set(names.filter((n) => n.endsWith('.ts') && !n.endsWith('.d.ts')).map((n) => n.slice(0, -3)));
  const files = names.filter((n) => (n.endsWith('.ts') && !n.endsWith('.d.ts')) || (n.endsWith('.js') && !ts.has(n.slice(0, -3))));
  const stamp = (n: string) => /(\d{13})/.exec(n)?.[1] ?? '';
  return files.sort((x, y) => stamp(x).localeCompare(stamp(y)) || x.localeCompare(y)).map((n) => join(dir, n));
}

/**
 * The message tables the migrations in `dir` produce, folded in order, each
 * with the bookkeeping columns it has (a format-1 snapshot predates
 * `enqueued_at` and `failed_at`).
 */
export function readMigratedTables(dir: string): Map<string, MigratedTable> {
  const tables = new Map<string, MigratedTable>();
  for (const file of migrationFiles(dir)) {
    const snap = parseSnapshot(readFileSync(file, 'utf8'));
    if (!snap) continue;
    if (snap.version !== 1 && snap.version !== SNAPSHOT_VERSION) {
      throw new InvalidOptionError(file, 'snapshot version', `is not one this version of vitess-messages reads (1 or ${SNAPSHOT_VERSION}); upgrade vitess-messages`, snap.version);
    }
    for (const [key, spec] of Object.entries(snap.tables)) {
      if (spec === null) tables.delete(key);
      else if (snap.version === 1) tables.set(key, { ...spec, bookkeeping: LEGACY_BOOKKEEPING_NAMES });
      else tables.set(key, spec);
    }
  }
  return tables;
}
