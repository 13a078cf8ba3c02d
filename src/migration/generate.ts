/**
 * The migration generator: message-table specs → diff against what the
 * committed migrations declare → a TypeORM migration file. Returns a result;
 * only the CLI turns it into output and an exit code. It knows no entities:
 * `vitess-messages/typeorm`'s `generateMigration` adds a DataSource's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidOptionError } from '../core/errors';
import type { MessageTableSpec } from '../core/spec';
import { diffTables, tableKey } from './diff';
import { renderMigration } from './render';
import { readMigratedTables, SNAPSHOT_VERSION } from './snapshot';

/**
 * What the migration generator compares and writes: the wanted message tables
 * against the snapshot the committed migrations in `dir` declare.
 */
export interface GenerateMigrationOptions {
  /** Where migrations live (read for the snapshot, written to). Default `migrations`. */
  readonly dir?: string;
  /** The wanted message tables (e.g. from `defineMessageTable`, or an entity's `getMessageTableSpec`). */
  readonly tables?: Iterable<MessageTableSpec>;
  /** Migration name (class name before the timestamp). Default `MessageTables`. */
  readonly name?: string;
  /** Only compare; write nothing. The result's status is `drift` when a migration is missing. */
  readonly check?: boolean;
  /** Render the migration but write nothing. */
  readonly dryrun?: boolean;
  /** Timestamp for the file and class name. Default `Date.now()`. */
  readonly timestamp?: number;
}

/** What the migration generator did or found; only the CLI turns it into output and an exit code. */
export interface GenerateMigrationResult {
  /** `written`: a file was written; `dryrun`: rendered only; `drift`: `check` found changes; `up-to-date`: nothing to do. */
  readonly status: 'written' | 'dryrun' | 'drift' | 'up-to-date';
  /** One line for people, e.g. what was written or why nothing was. */
  readonly message: string;
  /** The changes found, one line each (e.g. a table created, a column added). */
  readonly changes: readonly string[];
  /** The migration's `up` statements (DDL and vschema), in order. */
  readonly up: readonly string[];
  /** The migration's `down` statements, undoing `up` in reverse order. */
  readonly down: readonly string[];
  /** The migration class name (name + timestamp), when one was rendered. */
  readonly className?: string;
  /** The path of the migration file (written, or that would be written). */
  readonly file?: string;
  /** The migration's source text (written or dry-run). */
  readonly text?: string;
}

function keyed(specs: Iterable<MessageTableSpec>): Map<string, MessageTableSpec> {
  const out = new Map<string, MessageTableSpec>();
  for (const s of specs) {
    const key = tableKey(s);
    if (out.has(key)) throw new InvalidOptionError(s.table, 'name', 'is used by two message tables', key);
    // A JSON round trip: compared with snapshots read back from files.
    out.set(key, JSON.parse(JSON.stringify(s)) as MessageTableSpec);
  }
  return out;
}

export async function generateMigration(options: GenerateMigrationOptions): Promise<GenerateMigrationResult> {
  const dir = options.dir ?? 'migrations';
  const name = options.name ?? 'MessageTables';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidOptionError('generateMigration', 'name', 'must be a class-name-like identifier', name);
  const timestamp = options.timestamp ?? Date.now();
  // TypeORM orders migrations by the 13-digit millisecond timestamp ending the class name.
  if (!Number.isSafeInteger(timestamp) || String(timestamp).length !== 13) {
    throw new InvalidOptionError('generateMigration', 'timestamp', 'must be Unix milliseconds with 13 digits', timestamp);
  }
  const wanted = [...(options.tables ?? [])];
  const diff = diffTables(readMigratedTables(dir), keyed(wanted));
  const base = { changes: diff.changes, up: diff.up, down: diff.down };
  if (diff.up.length === 0) {
    return { status: 'up-to-date', message: `No changes: the migrations in ${dir} match the ${wanted.length} message table(s).`, ...base };
  }
  if (options.check) {
    return { status: 'drift', message: `The message tables differ from what the migrations in ${dir} produce:\n${diff.changes.map((c) => `  - ${c}`).join('\n')}\nRun the generator to write a migration.`, ...base };
  }
  const className = `${name}${timestamp}`;
  const text = renderMigration({
    className,
    up: diff.up,
    down: diff.down,
    changes: diff.changes,
    snapshot: { version: SNAPSHOT_VERSION, tables: Object.fromEntries(diff.changed) },
  });
  const file = join(dir, `${timestamp}-${name}.ts`);
  if (options.dryrun) return { status: 'dryrun', message: `Would write ${file}.`, className, file, text, ...base };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text);
  return { status: 'written', message: `Wrote ${file} (${diff.changes.length} change(s)).`, className, file, text, ...base };
}
