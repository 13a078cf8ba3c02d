/**
 * The migration generator for TypeORM users: a DataSource's `@MessageTable`
 * entities are the wanted schema. The generator itself (`src/migration/`) knows
 * only specs, so it never loads TypeORM.
 */
import type { DataSource } from 'typeorm';
import type { MessageTableSpec } from '../core/spec';
import {
  generateMigration as generateFromSpecs,
  type GenerateMigrationOptions as SpecGenerateMigrationOptions,
  type GenerateMigrationResult,
} from '../migration/generate';
import { getMessageTableSpec, isMessageTable } from './registry';

export type { GenerateMigrationResult };

/**
 * Options of {@link generateMigration}: the generator's own, plus a DataSource
 * whose message entities are the wanted schema.
 */
export interface GenerateMigrationOptions extends SpecGenerateMigrationOptions {
  /** The DataSource whose `@MessageTable` entities are the wanted schema (with `tables`, if both are given). */
  readonly dataSource?: DataSource;
}

/** The message tables among a DataSource's entities, building its metadata first if needed (nothing connects). */
export async function messageTablesOf(dataSource: DataSource): Promise<MessageTableSpec[]> {
  if (dataSource.entityMetadatas.length === 0) {
    // DataSource.buildMetadatas() is what initialize() runs before connecting; it needs no connection.
    await (dataSource as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  }
  return dataSource.entityMetadatas
    .filter((m) => isMessageTable(m.target))
    .map((m) => getMessageTableSpec(m.target as Function, dataSource));
}

/**
 * Writes (or with `check`/`dryrun` only computes) the migration that takes the
 * committed migrations in `dir` to the DataSource's message entities and `tables`.
 */
export async function generateMigration(options: GenerateMigrationOptions): Promise<GenerateMigrationResult> {
  const { dataSource, tables, ...rest } = options;
  const fromEntities = dataSource ? await messageTablesOf(dataSource) : [];
  return generateFromSpecs({ ...rest, tables: [...(tables ?? []), ...fromEntities] });
}
