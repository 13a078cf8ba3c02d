#!/usr/bin/env node
/**
 * `vitess-messages`: generate TypeORM migrations for `@MessageTable` entities,
 * check committed migrations for drift, print the DDL for Prisma/raw-SQL users,
 * and inspect or repair queues (tables, stats, failed, retry, purge-failed,
 * peek, explain: each in src/cli/<command>.ts).
 * The only place in the library that prints and sets exit codes.
 */
import 'reflect-metadata';
import { Command } from 'commander';
import type { MessageTableSpec } from '../core/spec';
import { generator, loadDataSource, loadModule } from '../cli/load-module';

export { loadDataSource, loadModule };
import { registerDashboard } from '../cli/dashboard';
import { registerExplain } from '../cli/explain';
import { registerFailed } from '../cli/failed';
import { registerPeek } from '../cli/peek';
import { registerPrismaGenerate } from '../cli/prisma-generate';
import { registerPurgeFailed } from '../cli/purge-failed';
import { registerRetry } from '../cli/retry';
import { registerStats } from '../cli/stats';
import { registerTables } from '../cli/tables';
import { buildDropSchemaSql, buildSchemaSql } from './ddl';
import { buildDowngradeSql, buildUpgradeSql } from './upgrade';

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
    .description('Vitess message tables: migrations for TypeORM entities, DDL for everyone else, and inspecting or repairing queues')
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

  // Admin commands: they read and fix tables, and never stream (a stream would take deliveries).
  registerTables(program);
  registerStats(program);
  registerFailed(program);
  registerRetry(program);
  registerPurgeFailed(program);
  registerPeek(program);
  registerExplain(program);
  registerDashboard(program);
  registerPrismaGenerate(program);
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
