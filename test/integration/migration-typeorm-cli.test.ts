/**
 * The committed migrations of the example entities through the stock TypeORM
 * CLI (`typeorm-ts-node-commonjs`, TypeScript 6 + ts-node) on vtgate, with the
 * DataSource of ormconfig.ts on the unsharded keyspace; then TypeORM's own
 * `migration:generate --dryrun` proposes nothing, our `--check` agrees, and
 * `migration:revert` removes the tables again. With synchronize switched on for
 * the message entities TypeORM would propose CREATE TABLE again, and only
 * because information_schema names the shard's MySQL database: that finding is
 * pinned here, so the test says so the day it stops being true.
 *
 * migrations/ was generated for the default keyspace `commerce`. When
 * VITESS_SHARDED_KEYSPACE names another (an external vtgate), the test does what
 * a user there does: generates the example's migration for that keyspace into a
 * scratch folder and runs that with the same stock CLI.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DataSource, QueryRunner } from 'typeorm';
import { EmailJob } from '../../examples/entities/email-job';
import { OrderEvent } from '../../examples/entities/order-event';
import { migrationFiles } from '../../src/migration/snapshot';
import { closePool, vitess, vtgatePool } from '../helpers/vitess';

const root = process.cwd();
const keyspace = vitess.sharded;
const committedKeyspace = 'commerce';

function run(args: string[]): { status: number | null; out: string } {
  const res = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: process.env, timeout: 120_000 });
  return { status: res.status, out: `${res.stdout}\n${res.stderr}` };
}

async function exists(table: string): Promise<boolean> {
  try {
    await vtgatePool().query(`select 1 from \`${keyspace}\`.\`${table}\` limit 1`);
    return true;
  } catch {
    return false;
  }
}

/** Where the migrations for this run's keyspace are, and a DataSource module for the stock CLI that runs them. */
function migrationsForKeyspace(): { dir: string; dataSource: string; cleanup(): void } {
  if (keyspace === committedKeyspace) return { dir: 'migrations', dataSource: 'ormconfig.ts', cleanup: () => undefined };
  // Inside build/, so ts-node resolves `typeorm` from the project's node_modules.
  const dir = mkdtempSync(join(root, 'build', 'vm-migrations-'));
  const gen = run(['build/src/migration/cli.js', 'generate', '-d', 'build/ormconfig.js', '--dir', dir, '-n', 'ExampleMessageTables']);
  assert.equal(gen.status, 0, gen.out);
  const dataSource = join(dir, 'datasource.ts');
  writeFileSync(dataSource, [
    `import dataSource from ${JSON.stringify(join(root, 'ormconfig'))};`,
    `dataSource.setOptions({ migrations: [${JSON.stringify(join(dir, '*-ExampleMessageTables.ts'))}] });`,
    'export default dataSource;',
    '',
  ].join('\n'));
  return { dir, dataSource, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * What TypeORM's schema diff proposes for the message entities with
 * synchronize on; `shardDbAsKeyspace` maps information_schema's shard database
 * names (`vt_<keyspace>_<shard>`, whatever they are) back to the keyspace.
 */
async function typeormProposes(ds: DataSource, shardDbs: string[], shardDbAsKeyspace: boolean): Promise<string[]> {
  const messageTables = ds.entityMetadatas.filter((m) => m.target === EmailJob || m.target === OrderEvent);
  const driver = ds.driver as unknown as { createQueryRunner(mode: string): QueryRunner };
  const create = driver.createQueryRunner;
  const rename = (s: string) => shardDbs.reduce((acc, db) => acc.split(db).join(keyspace), s);
  if (shardDbAsKeyspace) {
    driver.createQueryRunner = (mode) => {
      const qr = create.call(driver, mode);
      const query = qr.query.bind(qr) as (sql: string, params?: unknown[]) => Promise<unknown>;
      qr.query = (async (sql: string, params?: unknown[]) => {
        const res = await query(rename(sql), params);
        if (Array.isArray(res)) {
          for (const row of res) for (const [k, v] of Object.entries(row as object)) if (typeof v === 'string') (row as Record<string, unknown>)[k] = rename(v);
        }
        return res;
      }) as QueryRunner['query'];
      return qr;
    };
  }
  for (const m of messageTables) m.synchronize = true;
  try {
    const log = await ds.driver.createSchemaBuilder().log();
    return log.upQueries.map((q) => q.query);
  } finally {
    for (const m of messageTables) m.synchronize = false;
    driver.createQueryRunner = create;
  }
}

test('typeorm migration:run applies our migrations through vtgate; TypeORM then proposes nothing; revert undoes them', async (t) => {
  t.after(closePool);
  const migrations = migrationsForKeyspace();
  t.after(() => migrations.cleanup());
  const typeorm = (...args: string[]) => run(['node_modules/typeorm/cli-ts-node-commonjs.js', ...args, '-d', migrations.dataSource]);
  const ours = migrationFiles(migrations.dir).length;
  const ran = typeorm('migration:run');
  assert.equal(ran.status, 0, ran.out);
  assert.match(ran.out, /Example\w+\d{13} has been executed successfully|No migrations are pending/);
  // `npm run example` applies the same migrations and leaves them; put back what we found.
  const executed = (ran.out.match(/has been executed successfully/g) ?? []).length;
  const wasApplied = executed === 0;
  try {
    assert.ok(await exists('email_job'));
    assert.ok(await exists('order_event'));

    // The entity maps onto the migrated table: a 64-bit id round-trips exactly, bookkeeping defaults apply.
    const ds = (require(join(root, 'build/ormconfig.js')) as { default: DataSource }).default;
    await ds.initialize();
    try {
      const repo = ds.getRepository(EmailJob);
      const id = (2n ** 63n - 7n).toString();
      await repo.insert({ id, recipient: 'a@example.com', subject: 'hi', body: { text: 'héllo' } });
      const got = await repo.findOneByOrFail({ id });
      assert.deepEqual([got.id, got.priority, got.epoch, got.timeNext, got.timeAcked, got.failureReason], [id, 50, 0, '0', null, null]);
      assert.deepEqual(got.body, { text: 'héllo' });
      await repo.delete({ id });

      // Why message entities are synchronize: false. Through vtgate, information_schema
      // answers a question about the keyspace with the shard's MySQL database name…
      const [rows] = await vtgatePool().query(
        'select table_schema as db from information_schema.tables where table_schema = ? and table_name in (?, ?)',
        [keyspace, 'email_job', 'order_event'],
      );
      const reported = [...new Set((rows as Array<{ db: string }>).map((r) => r.db))];
      assert.ok(reported.length > 0, 'information_schema finds the migrated tables');
      assert.ok(!reported.includes(keyspace), `information_schema reports ${reported.join(', ')}, not the keyspace ${keyspace}; if it ever says ${keyspace}, try dropping synchronize: false`);
      // Each query lands on any one shard: the other shards' databases (vt_<keyspace>_<shard> by Vitess's default naming) too.
      const [shards] = await vtgatePool().query('show vitess_shards');
      const shardDbs = [...new Set([
        ...reported,
        ...(shards as Array<Record<string, string>>).map((r) => Object.values(r)[0]!).filter((n) => n.startsWith(`${keyspace}/`)).map((n) => `vt_${keyspace}_${n.slice(keyspace.length + 1)}`),
      ])].sort((x, y) => y.length - x.length);
      // …so with synchronize on TypeORM does not find the tables and proposes to create them again:
      // (TypeORM leaves out the database when it is the DataSource's own.)
      const proposed = await typeormProposes(ds, shardDbs, false);
      const table = (name: string) => (keyspace === ds.options.database ? `\`${name}\`` : `\`${keyspace}\`.\`${name}\``);
      assert.deepEqual(proposed.map((q) => /^CREATE TABLE (`[^`]+`\.)?`[^`]+`/.exec(q)?.[0] ?? q), [
        `CREATE TABLE ${table('email_job')}`,
        `CREATE TABLE ${table('order_event')}`,
      ]);
      // …and that is the whole reason: with those names mapped back to the keyspace it proposes nothing.
      assert.deepEqual(await typeormProposes(ds, shardDbs, true), []);
    } finally {
      await ds.destroy();
    }

    // With synchronize: false (as registered), TypeORM's own generator proposes nothing.
    const gen = typeorm('migration:generate', 'migrations/TypeormDiff', '--dryrun');
    assert.match(gen.out, /No changes in database schema were found/, gen.out);

    const check = run(['build/src/migration/cli.js', 'generate', '--check', '-d', 'ormconfig.ts', '--dir', migrations.dir]);
    assert.equal(check.status, 0, check.out);
    assert.match(check.out, /No changes/);
    const printed = run(['build/src/migration/cli.js', 'print-sql', '-d', 'build/ormconfig.js']);
    assert.equal(printed.status, 0, printed.out);
    const golden = readFileSync(join(root, 'test/golden/email-job.sql'), 'utf8').split('\n\n')[1]!.trim();
    assert.ok(printed.out.includes(golden.split(`\`${committedKeyspace}\`.`).join(`\`${keyspace}\`.`)), printed.out);
    const empty = mkdtempSync(join(tmpdir(), 'vm-empty-'));
    try {
      const drift = run(['build/src/migration/cli.js', 'generate', '--check', '-d', 'build/ormconfig.js', '--dir', empty]);
      assert.equal(drift.status, 1, drift.out);
      assert.ok(drift.out.includes(`create message table ${keyspace}.email_job`), drift.out);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  } finally {
    // TypeORM reverts one migration per call: what this run applied, or all of them to re-apply below.
    for (let i = 0; i < (wasApplied ? ours : executed); i++) {
      const reverted = typeorm('migration:revert');
      assert.equal(reverted.status, 0, reverted.out);
      assert.match(reverted.out, /has been reverted successfully/);
    }
  }
  if (wasApplied || executed === ours) {
    assert.equal(await exists('email_job'), false);
    assert.equal(await exists('order_event'), false);
  }
  if (wasApplied) {
    const again = typeorm('migration:run');
    assert.match(again.out, /has been executed successfully/, again.out);
    assert.ok(await exists('email_job'));
  }
});
