#!/usr/bin/env node
/**
 * `vitess-messages`: generate TypeORM migrations for `@MessageTable` entities,
 * check committed migrations for drift, print the DDL for Prisma/raw-SQL users.
 * The only place in the library that prints and sets exit codes.
 */
import 'reflect-metadata';
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { InvalidOptionError, VitessMessagesError } from '../core/errors';
import type { MessageTableSpec } from '../core/spec';
import { buildDropSchemaSql, buildSchemaSql } from './ddl';
import { buildDowngradeSql, buildUpgradeSql } from './upgrade';

/**
 * The TypeORM side of the generator, loaded only for a DataSource (`-d`): it
 * loads TypeORM, which Prisma and mysql2 users running `print-sql --spec` need
 * not have installed.
 */
function generator(): typeof import('../typeorm/generate-migration') {
  try {
    return require('../typeorm/generate-migration') as typeof import('../typeorm/generate-migration');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'typeorm[/']/.test((err as Error).message)) {
      throw new VitessMessagesError('-d/--dataSource needs typeorm installed; without TypeORM, export defineMessageTable() results and pass --spec <file>', { cause: err });
    }
    throw err;
  }
}

/** Loads a module; `.ts` through ts-node (TypeScript 6: TypeScript 7 has no compiler API for it). */
export function loadModule(file: string): Record<string, unknown> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InvalidOptionError('vitess-messages', 'file', 'does not exist', file);
  if (/\.[cm]?ts$/.test(path)) {
    // Type-checked builds are the job of tsc; here we only need the entities' decorator metadata.
    let tsNode: { register(o: object): unknown };
    try {
      tsNode = require('ts-node') as typeof tsNode;
    } catch (err) {
      throw new VitessMessagesError(`loading ${file} needs ts-node (with TypeScript 6; TypeScript 7 has no compiler API for it); install it, or compile first and pass the .js file`, { cause: err });
    }
    const key = Symbol.for('vitess-messages.ts-node');
    const g = globalThis as Record<symbol, unknown>;
    if (!g[key]) g[key] = tsNode.register({ transpileOnly: true });
  }
  return require(path) as Record<string, unknown>;
}

function isDataSource(x: unknown): x is DataSource {
  return typeof x === 'object' && x !== null && 'options' in x && 'entityMetadatas' in x && 'driver' in x;
}

/** The DataSource a module exports (default or named), like TypeORM's `-d`. */
export function loadDataSource(file: string): DataSource {
  const mod = loadModule(file);
  const found = [mod.default, ...Object.values(mod)].find(isDataSource);
  if (!found) throw new InvalidOptionError('vitess-messages', 'dataSource', 'must name a module that exports a TypeORM DataSource', file);
  return found;
}

function isSpec(x: unknown): x is MessageTableSpec {
  return typeof x === 'object' && x !== null && 'table' in x && 'payload' in x && 'streamed' in x && 'options' in x;
}

async function tablesFrom(opts: { dataSource?: string; spec?: string }): Promise<MessageTableSpec[]> {
  if (opts.spec) {
    const mod = loadModule(opts.spec);
    return [...new Set([mod.default, ...Object.values(mod)])].filter(isSpec);
  }
  return generator().messageTablesOf(loadDataSource(opts.dataSource ?? 'ormconfig.ts'));
}

export function buildProgram(): Command {
  const program = new Command('vitess-messages')
    .description('Vitess message tables: migrations for TypeORM entities, DDL for everyone else')
    .showHelpAfterError();

  program
    .command('generate', { isDefault: true })
    .description('write a TypeORM migration that takes the committed migrations to the entities')
    .option('-d, --dataSource <file>', 'module exporting the TypeORM DataSource', 'ormconfig.ts')
    .option('--dir <dir>', 'migrations folder (read and written)', 'migrations')
    .option('-n, --name <name>', 'migration name (the class name before the timestamp)', 'MessageTables')
    .option('--check', 'write nothing; exit 1 when the entities differ from the migrations')
    .option('--dryrun', 'print the migration instead of writing it')
    .action(async (o: { dataSource: string; dir: string; name: string; check?: boolean; dryrun?: boolean }) => {
      const result = await generator().generateMigration({
        dataSource: loadDataSource(o.dataSource),
        dir: o.dir,
        name: o.name,
        ...(o.check ? { check: true } : {}),
        ...(o.dryrun ? { dryrun: true } : {}),
      });
      if (result.status === 'dryrun') process.stdout.write(result.text ?? '');
      (result.status === 'drift' ? console.error : console.log)(result.message);
      if (result.status === 'drift') process.exitCode = 1;
    });

  program
    .command('print-sql')
    .description('print the DDL (vschema + CREATE TABLE) of the message tables, for Prisma and raw-SQL users')
    .option('-d, --dataSource <file>', 'module exporting the TypeORM DataSource', 'ormconfig.ts')
    .option('--spec <file>', 'module exporting defineMessageTable() results instead of a DataSource')
    .option('--drop', 'print the statements that remove them instead')
    .option('--upgrade', 'print the ALTER TABLEs that add the bookkeeping columns enqueued_at and failed_at to tables made by an earlier version (with --drop: that remove them)')
    .action(async (o: { dataSource: string; spec?: string; drop?: boolean; upgrade?: boolean }) => {
      const tables = await tablesFrom(o);
      if (tables.length === 0) {
        console.error('no message tables found');
        process.exitCode = 1;
        return;
      }
      for (const t of tables) {
        if (o.upgrade) {
          for (const sql of o.drop ? buildDowngradeSql(t) : buildUpgradeSql(t)) console.log(`${sql};\n`);
          continue;
        }
        for (const sql of o.drop ? buildDropSchemaSql(t) : buildSchemaSql(t)) {
          // On an unsharded keyspace a vindex would mark the whole keyspace sharded.
          if (sql.startsWith('ALTER VSCHEMA')) console.log('-- only if the keyspace is sharded (SHOW VSCHEMA KEYSPACES):');
          console.log(`${sql};\n`);
        }
      }
    });
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      process.exitCode = 2;
    });
}
