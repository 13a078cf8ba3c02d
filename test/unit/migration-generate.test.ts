/**
 * The generator without a database: snapshots in generated files are the
 * baseline; new tables, option changes, payload and index changes become the
 * matching DDL; `down` reverses `up`; nothing changed → no file; `--check`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defineMessageTable, type DefineMessageTableInput } from '../../src/core/define';
import { InvalidOptionError } from '../../src/core/errors';
import { diffTables, tableKey } from '../../src/migration/diff';
import { generateMigration } from '../../src/migration/generate';
import { parseSnapshot, readMigratedTables } from '../../src/migration/snapshot';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'vm-migrations-'));
  dirs.push(d);
  return d;
};

const base: DefineMessageTableInput = {
  table: 'jobs',
  keyspace: 'commerce',
  columns: { kind: 'varchar(20)', data: { type: 'json', nullable: true } },
  ackWait: '1s',
};

test('new table → vindex + CREATE; unchanged → no file; --check sees drift only when there is some', async () => {
  const dir = tmp();
  const v1 = defineMessageTable(base);
  const check0 = await generateMigration({ dir, tables: [v1], check: true });
  assert.equal(check0.status, 'drift');
  assert.deepEqual(check0.changes, ['create message table commerce.jobs']);
  assert.deepEqual(readdirSync(dir), [], '--check writes nothing');

  const r1 = await generateMigration({ dir, tables: [v1], timestamp: 1_700_000_000_000, name: 'CreateJobs' });
  assert.equal(r1.status, 'written');
  assert.equal(r1.file, join(dir, '1700000000000-CreateJobs.ts'));
  assert.equal(r1.className, 'CreateJobs1700000000000');
  assert.deepEqual(r1.up.map((s) => s.split('\n')[0]), ['ALTER VSCHEMA ON `commerce`.`jobs` ADD VINDEX `hash`(`id`) USING `hash`', 'CREATE TABLE `commerce`.`jobs` (']);
  assert.deepEqual(r1.down, ['DROP TABLE `commerce`.`jobs`', 'ALTER VSCHEMA ON `commerce`.`jobs` DROP VINDEX `hash`']);
  const text = readFileSync(r1.file!, 'utf8');
  assert.match(text, /export class CreateJobs1700000000000 implements MigrationInterface/);
  assert.match(text, /if \(await shardedKeyspace\(queryRunner, 'commerce'\)\) await queryRunner\.query\("ALTER VSCHEMA/);
  assert.deepEqual(JSON.parse(JSON.stringify(readMigratedTables(dir).get('commerce.jobs'))), JSON.parse(JSON.stringify(v1)));

  const again = await generateMigration({ dir, tables: [v1] });
  assert.equal(again.status, 'up-to-date');
  assert.match(again.message, /No changes/);
  assert.equal(readdirSync(dir).length, 1);
  assert.equal((await generateMigration({ dir, tables: [v1], check: true })).status, 'up-to-date');
  // A timestamp TypeORM cannot order by is refused before anything is read or written.
  await assert.rejects(generateMigration({ dir, tables: [v1], timestamp: 123 }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'timestamp');
  // maxAttempts lives in the subscriber, not the table: no DDL, no drift.
  assert.equal((await generateMigration({ dir, tables: [defineMessageTable({ ...base, maxAttempts: 3 })], check: true })).status, 'up-to-date');
});

test('option change → ALTER COMMENT; payload and index changes → matching ALTERs; down reverses up statement by statement', async () => {
  const dir = tmp();
  await generateMigration({ dir, tables: [defineMessageTable({ ...base, indexes: [{ name: 'idx_kind', columns: ['kind'] }] })], timestamp: 1_700_000_000_000 });
  const v2 = defineMessageTable({
    ...base,
    ackWait: '3s',
    columns: { tenant: 'int', kind: 'varchar(40)', extra: { type: 'text', nullable: true } },
    indexes: [{ name: 'idx_kind', columns: ['tenant', 'kind'] }],
  });
  const r = await generateMigration({ dir, tables: [v2], timestamp: 1_700_000_000_001, dryrun: true });
  assert.equal(r.status, 'dryrun');
  assert.equal(readdirSync(dir).length, 1, 'dry run writes nothing');
  const t = '`commerce`.`jobs`';
  const comment = (ack: number, cols: string) => `COMMENT='vitess_message,vt_ack_wait=${ack},vt_purge_after=86400,vt_batch_size=500,vt_cache_size=10000,vt_poller_interval=1,vt_max_backoff=3600,vt_message_cols=id|epoch|${cols}'`;
  assert.deepEqual(r.up, [
    `ALTER TABLE ${t} ADD COLUMN \`tenant\` int NOT NULL AFTER \`failure_reason\``,
    `ALTER TABLE ${t} MODIFY COLUMN \`kind\` varchar(40) NOT NULL AFTER \`tenant\``,
    `ALTER TABLE ${t} ADD COLUMN \`extra\` text NULL AFTER \`kind\``,
    `ALTER TABLE ${t} DROP INDEX \`idx_kind\``,
    `ALTER TABLE ${t} ADD INDEX \`idx_kind\` (\`tenant\`, \`kind\`)`,
    `ALTER TABLE ${t} ${comment(3, 'tenant|kind|extra')}`,
    `ALTER TABLE ${t} DROP COLUMN \`data\``,
  ]);
  assert.deepEqual(r.down, [
    `ALTER TABLE ${t} ADD COLUMN \`data\` json NULL AFTER \`extra\``,
    `ALTER TABLE ${t} ${comment(1, 'kind|data')}`,
    `ALTER TABLE ${t} DROP INDEX \`idx_kind\``,
    `ALTER TABLE ${t} ADD INDEX \`idx_kind\` (\`kind\`)`,
    `ALTER TABLE ${t} DROP COLUMN \`extra\``,
    // Each inverse names the column before it at that moment (tenant is dropped after).
    `ALTER TABLE ${t} MODIFY COLUMN \`kind\` varchar(20) NOT NULL AFTER \`tenant\``,
    `ALTER TABLE ${t} DROP COLUMN \`tenant\``,
  ]);
  const snap = parseSnapshot(r.text!);
  assert.deepEqual(Object.keys(snap!.tables), ['commerce.jobs']);
});

test('dropping a middle column rewrites no other column; moving one past a dropped column still reverses exactly', () => {
  const t = '`commerce`.`jobs`';
  const v1 = defineMessageTable({ ...base, columns: { x: 'int', y: 'int', z: 'int' } });
  const key = tableKey(v1);
  const dropY = diffTables(new Map([[key, v1]]), new Map([[key, defineMessageTable({ ...base, columns: { x: 'int', z: 'int' } })]]));
  assert.deepEqual(dropY.up.filter((s) => !/COMMENT=/.test(s)), [`ALTER TABLE ${t} DROP COLUMN \`y\``]);
  assert.deepEqual(dropY.down.filter((s) => !/COMMENT=/.test(s)), [`ALTER TABLE ${t} ADD COLUMN \`y\` int NOT NULL AFTER \`x\``]);
  const moveZ = diffTables(new Map([[key, v1]]), new Map([[key, defineMessageTable({ ...base, columns: { z: 'int', x: 'int' } })]]));
  assert.deepEqual(moveZ.up.filter((s) => !/COMMENT=/.test(s)), [
    `ALTER TABLE ${t} MODIFY COLUMN \`z\` int NOT NULL AFTER \`failure_reason\``,
    `ALTER TABLE ${t} DROP COLUMN \`y\``,
  ]);
  assert.deepEqual(moveZ.down.filter((s) => !/COMMENT=/.test(s)), [
    `ALTER TABLE ${t} ADD COLUMN \`y\` int NOT NULL AFTER \`x\``,
    `ALTER TABLE ${t} MODIFY COLUMN \`z\` int NOT NULL AFTER \`y\``,
  ]);
});

test('a removed entity drops its table (down recreates it); a vindex change is refused', () => {
  const v1 = defineMessageTable(base);
  const d = diffTables(new Map([[tableKey(v1), v1]]), new Map());
  assert.deepEqual(d.up, ['DROP TABLE `commerce`.`jobs`', 'ALTER VSCHEMA ON `commerce`.`jobs` DROP VINDEX `hash`']);
  assert.equal(d.down[0], 'ALTER VSCHEMA ON `commerce`.`jobs` ADD VINDEX `hash`(`id`) USING `hash`');
  assert.match(d.down[1]!, /^CREATE TABLE `commerce`.`jobs`/);
  assert.equal(d.changed.get('commerce.jobs'), null);
  const moved = defineMessageTable({ ...base, vindex: { column: 'kind', type: 'unicode_loose_md5' } });
  assert.throws(() => diffTables(new Map([[tableKey(v1), v1]]), new Map([[tableKey(moved), moved]])), (e: unknown) => e instanceof InvalidOptionError && e.option === 'vindex');
});

test('snapshots survive enum values with comment terminators', async () => {
  const dir = tmp();
  const odd = defineMessageTable({ ...base, columns: { s: "enum('*/','a')" } });
  const r = await generateMigration({ dir, tables: [odd], timestamp: 1_700_000_000_000 });
  assert.equal(r.status, 'written');
  assert.equal(readMigratedTables(dir).get('commerce.jobs')!.payload[0]!.sqlType, "enum('*/','a')");
  assert.equal((await generateMigration({ dir, tables: [odd], check: true })).status, 'up-to-date');
});

test('comments and generated expressions survive the migration file: snapshot, statements, --check', async () => {
  const dir = tmp();
  const comment = "ends */ here, `ticks` ${x} \\ and 'quotes'";
  const odd = defineMessageTable({
    ...base,
    columns: { s: { type: 'text', comment }, g: { type: 'varchar(10)', asExpression: "concat('*/', `s`)", generatedType: 'STORED', nullable: true } },
    indexes: [{ name: 'ft_s', columns: ['s'], fulltext: true, parser: 'ngram' }],
  });
  const r = await generateMigration({ dir, tables: [odd], timestamp: 1_700_000_000_000 });
  assert.equal(r.status, 'written');
  const text = readFileSync(r.file!, 'utf8');
  const payload = readMigratedTables(dir).get('commerce.jobs')!.payload;
  assert.equal(payload[0]!.comment, comment);
  assert.deepEqual(payload[1]!.generated, { expression: "concat('*/', `s`)", stored: true });
  // The statements are JSON string literals in the migration's source: read them back as JavaScript would.
  const create = r.up.find((s) => s.startsWith('CREATE TABLE'))!;
  assert.ok(text.includes(`await queryRunner.query(${JSON.stringify(create)});`));
  assert.match(create, /`s` text NOT NULL COMMENT 'ends \*\/ here, `ticks` \$\{x\} \\\\ and ''quotes'''/);
  assert.equal((await generateMigration({ dir, tables: [odd], check: true })).status, 'up-to-date');
});
