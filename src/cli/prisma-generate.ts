/**
 * `vitess-messages prisma generate`: Prisma models marked `/// @vitess.message(…)`
 * → a typed `defineMessageTable` module and a Prisma Migrate migration; with
 * `--apply`, the marked models' tables the database lacks created through
 * vtgate (so a rerun finishes an apply that failed).
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../core/errors';
import { applyMessageTables, missingMessageTables } from '../prisma/apply';
import { generatePrismaMigration } from '../prisma/generate';

interface Options {
  schema: string;
  migrations?: string;
  out?: string;
  name: string;
  importFrom: string;
  dryrun?: boolean;
  apply?: boolean;
  url?: string;
}

export function registerPrismaGenerate(program: Command): void {
  const prisma = program.commands.find((c) => c.name() === 'prisma') ?? program.command('prisma').description('message tables from Prisma models');
  prisma
    .command('generate')
    .description('write the defineMessageTable module and a Prisma Migrate migration for models marked /// @vitess.message(…)')
    .option('--schema <file>', 'the Prisma schema', 'prisma/schema.prisma')
    .option('--migrations <dir>', "Prisma Migrate's migrations folder (default: migrations beside the schema)")
    .option('--out <file>', 'the spec module to write (default: vitess-messages.ts beside the schema)')
    .option('-n, --name <name>', 'migration name after the timestamp', 'message_tables')
    .option('--import-from <module>', 'where the spec module imports defineMessageTable from', 'vitess-messages')
    .option('--dryrun', 'print the module and the migration instead of writing them')
    .option('--apply', 'create the message tables the database lacks through vtgate (where prisma migrate deploy cannot run); safe to rerun')
    .option('--url <url>', 'vtgate MySQL URL for --apply (default: $DATABASE_URL)')
    .action(async (o: Options) => {
      const url = o.apply ? (o.url ?? process.env.DATABASE_URL) : undefined;
      if (o.apply && !url) throw new InvalidOptionError('vitess-messages prisma generate', 'url', 'is needed with --apply (or set DATABASE_URL)');
      const result = generatePrismaMigration({
        schema: o.schema,
        name: o.name,
        importFrom: o.importFrom,
        ...(o.migrations !== undefined ? { migrations: o.migrations } : {}),
        ...(o.out !== undefined ? { out: o.out } : {}),
        ...(o.dryrun ? { dryrun: true } : {}),
      });
      if (result.tables.length === 0) {
        console.error('no models marked /// @vitess.message(…) in the schema');
        process.exitCode = 1;
        return;
      }
      if (o.dryrun) {
        process.stdout.write(`-- ${result.specFile}\n${result.specText}\n`);
        if (result.migrationSql) process.stdout.write(`-- ${result.migrationFile}\n${result.migrationSql}`);
      } else {
        console.log(`wrote ${result.specFile} (${result.tables.map((t) => t.key).join(', ')})`);
      }
      if (!result.migrationFile) console.log('every message table has a migration already: no migration written');
      else if (!o.dryrun) console.log(`wrote ${result.migrationFile} (${result.created.map((t) => t.spec.table).join(', ')})`);
      if (o.apply && url && !o.dryrun) {
        // mysql2 is a dependency of ours; loaded only here.
        const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
        const { fromMysql2 } = require('../adapters/mysql2') as typeof import('../adapters/mysql2');
        const conn = await mysql.createConnection({ uri: url, supportBigNumbers: true, bigNumberStrings: true });
        try {
          const executor = fromMysql2(conn);
          // Every marked model whose table the database lacks, migrated or not: a rerun finishes a failed apply.
          const missing = await missingMessageTables(executor, result.tables);
          if (missing.length === 0) console.log('applied: every message table exists already');
          for (const r of await applyMessageTables(executor, missing)) {
            console.log(`applied: created ${r.table}${r.vindex ? ' and its vindex' : ''}`);
          }
        } finally {
          await conn.end();
        }
      }
    });
}
