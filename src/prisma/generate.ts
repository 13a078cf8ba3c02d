/**
 * `vitess-messages prisma generate` without the printing: read `schema.prisma`,
 * write the spec module, and write a Prisma Migrate migration
 * (`<migrations>/<yyyymmddhhmmss>_<name>/migration.sql`) for the message
 * tables no earlier migration created. A table an earlier migration created
 * with other DDL is refused: changes are not generated (write that migration
 * by hand; `print-sql --spec` shows the DDL the model now gives).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { quoteTable } from '../core/identifiers';
import { messageTablesFromPrismaSchema, type PrismaMessageTable } from './message-models';
import { PrismaSchemaError } from './prisma-schema-error';
import { renderMigrationSql, renderSpecModule, TABLE_LINE, tableFingerprint } from './render';

/** Options of {@link generatePrismaMigration} (the CLI's flags). */
export interface PrismaGenerateOptions {
  /** The schema file. Default `prisma/schema.prisma`. */
  readonly schema?: string;
  /** Prisma Migrate's migrations folder. Default `migrations` beside the schema. */
  readonly migrations?: string;
  /** The spec module to write. Default `vitess-messages.ts` beside the schema. */
  readonly out?: string;
  /** The migration's name after the timestamp. Default `message_tables`. */
  readonly name?: string;
  /** Where the spec module imports `defineMessageTable` from. Default `vitess-messages`. */
  readonly importFrom?: string;
  /** Render only; write nothing. */
  readonly dryrun?: boolean;
  /** The migration's time. Default now. */
  readonly now?: Date;
}

/** What {@link generatePrismaMigration} found and wrote. */
export interface PrismaGenerateResult {
  /** Every message model of the schema, in model order. */
  readonly tables: readonly PrismaMessageTable[];
  /** Tables the new migration creates (empty: none written). */
  readonly created: readonly PrismaMessageTable[];
  /** Where the spec module is (or, with `dryrun`, would be) written. */
  readonly specFile: string;
  /** The spec module's text. */
  readonly specText: string;
  /** The migration written (absent when every table has one already). */
  readonly migrationFile?: string;
  /** The migration's text (absent with the file). */
  readonly migrationSql?: string;
}

/** `20261201131500`: Prisma Migrate's folder timestamp (UTC). */
export function migrationTimestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Tables earlier migrations created, with their fingerprints and migration folders. */
function migratedTables(dir: string): Map<string, { fingerprint: string; migration: string }> {
  const out = new Map<string, { fingerprint: string; migration: string }>();
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(dir, entry.name, 'migration.sql');
    if (!existsSync(file)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(TABLE_LINE)) out.set(m[1]!, { fingerprint: m[2]!, migration: entry.name });
  }
  return out;
}

const NAME = /^[a-z0-9_]{1,100}$/;

/**
 * Reads `schema.prisma`, writes the spec module of its models marked
 * `/// @vitess.message(…)` and, for tables no earlier migration created, a
 * migration in Prisma Migrate's layout (what the CLI's
 * `prisma generate` runs). Returns what it wrote; prints nothing.
 *
 * @throws PrismaSchemaError for a schema it cannot read or support, and for a
 *   model whose table an earlier migration created with other DDL (changes are
 *   not generated); nothing is written then.
 */
export function generatePrismaMigration(options: PrismaGenerateOptions = {}): PrismaGenerateResult {
  const schema = options.schema ?? 'prisma/schema.prisma';
  if (!existsSync(schema)) throw new PrismaSchemaError(`no schema file at ${schema}`);
  const name = options.name ?? 'message_tables';
  if (!NAME.test(name)) throw new PrismaSchemaError(`the migration name must be lower-case letters, digits and _ (got ${JSON.stringify(name)})`);
  const tables = messageTablesFromPrismaSchema(readFileSync(schema, 'utf8'));
  const dir = options.migrations ?? join(dirname(schema), 'migrations');
  const specFile = options.out ?? join(dirname(schema), 'vitess-messages.ts');
  const specText = renderSpecModule(tables, relative(dirname(specFile), schema) || schema, options.importFrom);

  const migrated = migratedTables(dir);
  const created: PrismaMessageTable[] = [];
  for (const t of tables) {
    const qualified = quoteTable(t.spec.table, t.spec.keyspace);
    const before = migrated.get(qualified);
    if (!before) created.push(t);
    else if (before.fingerprint !== tableFingerprint(t)) {
      throw new PrismaSchemaError(`its table ${qualified} differs from what migration ${before.migration} created; changes to a message table are not generated: write that migration by hand (print-sql --spec on the generated module shows the DDL the model gives now)`, undefined, t.model);
    }
  }
  let migrationFile: string | undefined;
  let migrationSql: string | undefined;
  if (created.length > 0) {
    migrationSql = renderMigrationSql(created);
    migrationFile = join(dir, `${migrationTimestamp(options.now ?? new Date())}_${name}`, 'migration.sql');
  }
  if (!options.dryrun) {
    mkdirSync(dirname(specFile), { recursive: true });
    writeFileSync(specFile, specText);
    if (migrationFile && migrationSql) {
      mkdirSync(dirname(migrationFile), { recursive: true });
      writeFileSync(migrationFile, migrationSql);
      const lock = join(dir, 'migration_lock.toml');
      if (!existsSync(lock)) writeFileSync(lock, '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "mysql"\n');
    }
  }
  return { tables, created, specFile, specText, ...(migrationFile ? { migrationFile, migrationSql } : {}) };
}
