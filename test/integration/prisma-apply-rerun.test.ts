/**
 * `vitess-messages prisma generate --apply` can be run again after a failed
 * apply: it creates the marked models' tables the database lacks, whatever
 * the migrations folder says. The first run writes the migration but cannot
 * reach vtgate; the second creates the table; after the table is dropped by
 * hand (its vindex stays in the vschema), a third creates it again and keeps
 * that vindex; a fourth finds nothing to do. A statement that fails reports a
 * QueryError naming the table.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { QueryError } from '../../src/core/errors';
import { quoteTable } from '../../src/core/identifiers';
import { buildDropSchemaSql } from '../../src/migration/ddl';
import { PRISMA_BOOKKEEPING_SNIPPET } from '../../src/prisma/bookkeeping-fields';
import { applyMessageTables } from '../../src/prisma/apply';
import { messageTablesFromPrismaSchema } from '../../src/prisma/message-models';
import { closePool, uniqueName, vitess, vtgatePool } from '../helpers/vitess';

after(closePool);

function schemaText(table: string): string {
  return `datasource db {
  provider = "mysql"
}

/// @vitess.message(ackWait: "30s", keyspace: "${vitess.sharded}")
model RerunJob {
${PRISMA_BOOKKEEPING_SNIPPET.replace(/^\n/, '')}

  label String @db.VarChar(64)

  @@map("${table}")
}
`;
}

async function tableExists(table: string): Promise<boolean> {
  const [rows] = await vtgatePool().query('select table_name from information_schema.tables where table_schema = ? and table_name = ?', [vitess.sharded, table]);
  return (rows as unknown[]).length > 0;
}

test('prisma generate --apply: a rerun creates the tables a failed apply (or a hand) left missing', async (t) => {
  const table = uniqueName('prisma_rerun');
  const dir = mkdtempSync(join(tmpdir(), 'vm-prisma-rerun-'));
  const schema = join(dir, 'schema.prisma');
  writeFileSync(schema, schemaText(table));
  const spec = messageTablesFromPrismaSchema(schemaText(table))[0]!.spec;
  t.after(async () => {
    const [drop, ...vschema] = buildDropSchemaSql(spec);
    await vtgatePool().query(drop!);
    for (const sql of vschema) await vtgatePool().query(sql).catch(() => undefined);
  });
  const cli = resolve(__dirname, '../../src/migration/cli.js');
  const generate = (url: string) =>
    spawnSync(process.execPath, [cli, 'prisma', 'generate', '--schema', schema, '--import-from', 'vitess-messages', '--apply', '--url', url], { encoding: 'utf8' });

  // Nothing listens on port 1: the migration is written, the apply fails.
  const failed = generate('mysql://root@127.0.0.1:1/');
  assert.notEqual(failed.status, 0, failed.stdout);
  assert.equal(readdirSync(join(dir, 'migrations')).filter((d) => d !== 'migration_lock.toml').length, 1);
  assert.equal(await tableExists(table), false);

  const rerun = generate(vitess.mysqlUrl);
  assert.equal(rerun.status, 0, `${rerun.stdout}\n${rerun.stderr}`);
  assert.match(rerun.stdout, /every message table has a migration already/);
  assert.match(rerun.stdout, new RegExp(`applied: created ${table} and its vindex\\n`));
  assert.equal(await tableExists(table), true);

  // Dropped by hand: its vindex stays in the vschema, and is kept rather than added twice.
  await vtgatePool().query(`drop table ${quoteTable(table, vitess.sharded)}`);
  const again = generate(vitess.mysqlUrl);
  assert.equal(again.status, 0, `${again.stdout}\n${again.stderr}`);
  assert.match(again.stdout, new RegExp(`applied: created ${table}\\n`));
  assert.equal(await tableExists(table), true);
  await vtgatePool().query(`insert into ${quoteTable(table, vitess.sharded)} (id, label) values (?, ?)`, ['42', 'routed']);

  const done = generate(vitess.mysqlUrl);
  assert.equal(done.status, 0, `${done.stdout}\n${done.stderr}`);
  assert.match(done.stdout, /applied: every message table exists already/);
  assert.equal(readdirSync(join(dir, 'migrations')).filter((d) => d !== 'migration_lock.toml').length, 1, 'no second migration');

  // A statement that fails (the table exists) is a QueryError naming the table.
  const [model] = messageTablesFromPrismaSchema(schemaText(table));
  const err = await applyMessageTables(fromMysql2(vtgatePool()), [model!]).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof QueryError, String(err));
  assert.match(err.message, new RegExp(table));
});
