/**
 * What the committed migrations declare. Each generated migration embeds a
 * machine-readable snapshot of the message tables it changed (their full new
 * spec, or null when dropped); folding them in timestamp order gives the schema
 * the migrations produce, without a database.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageTableSpec } from '../core/spec';

const BEGIN = '/* vitess-messages:snapshot';
const END = 'vitess-messages:snapshot */';

export interface MigrationSnapshot {
  /** Format version of the snapshot. */
  readonly version: 1;
  /** Tables this migration created or changed (new spec) or dropped (null), by `keyspace.table`. */
  readonly tables: Readonly<Record<string, MessageTableSpec | null>>;
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

/** The message tables the migrations in `dir` produce, folded in order. */
export function readMigratedTables(dir: string): Map<string, MessageTableSpec> {
  const tables = new Map<string, MessageTableSpec>();
  for (const file of migrationFiles(dir)) {
    const snap = parseSnapshot(readFileSync(file, 'utf8'));
    if (!snap) continue;
    for (const [key, spec] of Object.entries(snap.tables)) {
      if (spec === null) tables.delete(key);
      else tables.set(key, spec);
    }
  }
  return tables;
}
