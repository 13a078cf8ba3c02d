/**
 * Prisma models as message tables, end to end on the real Vitess: a marked
 * model in a schema.prisma → `vitess-messages prisma generate --apply` (the
 * CLI: the typed spec module, the migration in Prisma Migrate's layout, the
 * table created through vtgate) → enqueue inside a Prisma `$transaction`
 * through the client extension (a rolled-back one writes nothing) → a
 * subscriber gets the payload. The Prisma client is the tests' generated one
 * (generating a client per test is too slow); the message table is reached
 * through the extension's raw statements, as for any user.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import type { PrismaLike } from '../../src/adapters/prisma';
import type { MessageTableSpec } from '../../src/core/spec';
import { buildDropSchemaSql } from '../../src/migration/ddl';
import { loadModule } from '../../src/migration/cli';
import { PRISMA_BOOKKEEPING_SNIPPET } from '../../src/prisma/bookkeeping-fields';
import { vitessMessages } from '../../src/prisma/extension';
import { countRows } from '../helpers/producer-harness';
import { closePool, uniqueName, vitess, vtgatePool, waitUntil } from '../helpers/vitess';

after(closePool);

interface ExtendedClient extends PrismaLike {
  $messages(): Record<string, import('../../src/queue-handle').MessageQueue<{ recipient: string; body?: unknown; attempts?: number | bigint | string }>>;
  $transaction<T>(fn: (tx: ExtendedClient) => Promise<T>, options?: { timeout?: number; maxWait?: number }): Promise<T>;
  $disconnect(): Promise<void>;
}

function prismaClient(): { $extends(ext: unknown): ExtendedClient; $disconnect(): Promise<void> } {
  const { PrismaClient } = require('../prisma-client/client') as { PrismaClient: new (options: { adapter: unknown }) => { $extends(ext: unknown): ExtendedClient; $disconnect(): Promise<void> } };
  const { PrismaMariaDb } = require('@prisma/adapter-mariadb') as { PrismaMariaDb: new (config: unknown) => unknown };
  const url = new URL(vitess.mysqlUrl);
  return new PrismaClient({
    adapter: new PrismaMariaDb({
      host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'),
      password: decodeURIComponent(url.password), database: vitess.sharded, connectionLimit: 4,
    }),
  });
}

test('prisma models: schema → generate --apply through vtgate → enqueue in $transaction (rollback writes nothing) → subscriber', async () => {
  const table = uniqueName('prisma_job');
  const dir = mkdtempSync(join(tmpdir(), 'vm-prisma-e2e-'));
  const schema = join(dir, 'schema.prisma');
  writeFileSync(schema, `datasource db {
  provider = "mysql"
}

/// Emails to send.
/// @vitess.message(ackWait: "1s", pollerInterval: "500ms", keyspace: "${vitess.sharded}", batchSize: 100)
model EmailJob {
${PRISMA_BOOKKEEPING_SNIPPET.replace(/^\n/, '')}

  recipient String @db.VarChar(320)
  body      Json?
  attempts  Int    @default(0)

  @@map("${table}")
}
`);
  const cli = resolve(__dirname, '../../src/migration/cli.js');
  const index = resolve(__dirname, '../../src/index.js');
  const res = spawnSync(process.execPath, [cli, 'prisma', 'generate', '--schema', schema, '--import-from', index, '--apply', '--url', vitess.mysqlUrl], { encoding: 'utf8' });
  assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
  assert.match(res.stdout, new RegExp(`applied: created ${table} and its vindex`));
  const migrations = readdirSync(join(dir, 'migrations')).filter((d) => d !== 'migration_lock.toml');
  assert.equal(migrations.length, 1);
  assert.match(migrations[0]!, /^\d{14}_message_tables$/);
  assert.match(readFileSync(join(dir, 'migrations', migrations[0]!, 'migration.sql'), 'utf8'), new RegExp(`CREATE TABLE \`${vitess.sharded}\`.\`${table}\``));

  const spec = loadModule(join(dir, 'vitess-messages.ts')).emailJob as MessageTableSpec;
  assert.equal(spec.table, table);
  const base = prismaClient();
  const prisma = base.$extends(vitessMessages({ emailJob: spec }, { address: vitess.grpcAddr }));
  const received = new Map<string, { recipient: string; body?: unknown; attempts?: unknown }>();
  const worker = prisma.$messages().emailJob!.subscribe(async (job) => {
    received.set(job.id, { recipient: job.recipient, body: job.body, attempts: job.attempts });
  });
  try {
    let rolledBack = '';
    await assert.rejects(prisma.$transaction(async (tx) => {
      rolledBack = (await tx.$messages().emailJob!.enqueue({ recipient: 'gone@example.com' })).id;
      throw new Error('business rule failed');
    }, { timeout: 30_000, maxWait: 10_000 }), /business rule failed/);
    const { id, inserted } = await prisma.$transaction(
      async (tx) => tx.$messages().emailJob!.enqueue({ recipient: 'a@example.com', body: { order: 42 } }),
      { timeout: 30_000, maxWait: 10_000 },
    );
    assert.equal(inserted, true);
    await waitUntil(() => received.has(id), 20_000, 'the committed message delivered');
    assert.deepEqual(received.get(id), { recipient: 'a@example.com', body: { order: 42 }, attempts: 0 });
    await waitUntil(async () => (await prisma.$messages().emailJob!.getMessages(id))[0]?.state === 'acked', 15_000, 'the handler\'s ack');
    assert.equal(received.has(rolledBack), false);
    assert.equal(await countRows(`\`${vitess.sharded}\`.\`${table}\``, 'id = ?', [rolledBack]), 0, 'no row for the rolled-back message');
  } finally {
    await worker.close({ timeout: '5s' });
    await base.$disconnect();
    const [drop, ...vschema] = buildDropSchemaSql(spec);
    await vtgatePool().query(drop!);
    for (const sql of vschema) await vtgatePool().query(sql).catch(() => undefined);
  }
});
