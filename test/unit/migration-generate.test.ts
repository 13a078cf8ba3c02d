/**
 * The generator without a database: snapshots in generated files are the
 * baseline; new tables, option changes, payload and index changes become the
 * matching DDL; `down` reverses `up`; nothing changed → no file; `--check`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defineMessageTable, type DefineMessageTableInput } from '../../src/core/define';
import { InvalidOptionError } from '../../src/core/errors';
import { diffTables, tableKey } from '../../src/migration/diff';
import { generateMigration } from '../../src/migration/generate';
import { parseSnapshot, readMigratedTables } from '../../src/migration/snapshot';
import { renderMigration } from '../../src/migration/render';
import { BOOKKEEPING_NAMES, buildDowngradeSql, buildUpgradeSql } from '../../src/migration/upgrade';

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
  assert.match(text, /await alterShardedVschema\(queryRunner, 'commerce', "ALTER VSCHEMA/);
  assert.deepEqual(JSON.parse(JSON.stringify(readMigratedTables(dir).get('commerce.jobs'))), { ...JSON.parse(JSON.stringify(v1)), bookkeeping: [...BOOKKEEPING_NAMES] });
  assert.equal(parseSnapshot(text)!.version, 2);

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

/** The generated migration's class, compiled from its text, with `up` run on a scripted query runner. */
async function runUp(text: string, answer: (sql: string, calls: number) => unknown): Promise<string[]> {
  const { transpileModule, ModuleKind } = await import('typescript');
  const js = transpileModule(text, { compilerOptions: { module: ModuleKind.CommonJS } }).outputText;
  const mod = { exports: {} as Record<string, new () => { up(q: unknown): Promise<void> }> };
  new Function('module', 'exports', 'require', js)(mod, mod.exports, require);
  const seen: string[] = [];
  const runner = {
    async query(sql: string) {
      seen.push(sql);
      return answer(sql, seen.filter((s) => s === sql).length);
    },
  };
  await new (Object.values(mod.exports)[0]!)().up(runner);
  return seen;
}

test("generated vschema statements run only on a sharded keyspace, and again while vtgate says the session's version was stale", async () => {
  const r = await generateMigration({ dir: tmp(), tables: [defineMessageTable(base)], timestamp: 1_700_000_000_000, name: 'CreateJobs' });
  const text = readFileSync(r.file!, 'utf8');
  const stale = new Error("failed to update vschema as the session's version was stale; please try again");
  const keyspaces = (sharded: boolean) => [{ Keyspace: 'commerce', Sharded: String(sharded) }];
  const alter = (sql: string) => sql.startsWith('ALTER VSCHEMA');

  const retried = await runUp(text, (sql, calls) => {
    if (sql === 'SHOW VSCHEMA KEYSPACES') return keyspaces(true);
    if (alter(sql) && calls < 3) throw stale;
    return [];
  });
  assert.equal(retried.filter(alter).length, 3, 'two stale answers, then the change');
  assert.equal(retried.filter((s) => s.startsWith('CREATE TABLE')).length, 1);

  const other = new Error('VT05005: keyspace not found');
  await assert.rejects(runUp(text, (sql) => { if (alter(sql)) throw other; return sql === 'SHOW VSCHEMA KEYSPACES' ? keyspaces(true) : []; }), other);
  await assert.rejects(runUp(text, (sql) => { if (alter(sql)) throw stale; return sql === 'SHOW VSCHEMA KEYSPACES' ? keyspaces(true) : []; }), /stale/, 'gives up after 5 attempts');

  const unsharded = await runUp(text, (sql) => (sql === 'SHOW VSCHEMA KEYSPACES' ? keyspaces(false) : []));
  assert.equal(unsharded.filter(alter).length, 0);
  assert.equal(unsharded.filter((s) => s.startsWith('CREATE TABLE')).length, 1);
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
    `ALTER TABLE ${t} ADD COLUMN \`tenant\` int NOT NULL AFTER \`failed_at\``,
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
    `ALTER TABLE ${t} MODIFY COLUMN \`z\` int NOT NULL AFTER \`failed_at\``,
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

/** A migration as the first release wrote it: snapshot format 1, a table without enqueued_at / failed_at. */
function firstReleaseMigration(dir: string, spec: ReturnType<typeof defineMessageTable>): void {
  const text = renderMigration({
    className: 'CreateJobs1700000000000',
    up: ['-- (the first release\'s CREATE TABLE)'],
    down: [],
    changes: ['create message table commerce.jobs'],
    snapshot: { version: 1, tables: { [tableKey(spec)]: JSON.parse(JSON.stringify(spec)) } },
  });
  writeFileSync(join(dir, '1700000000000-CreateJobs.ts'), text);
}

test('a table from before enqueued_at / failed_at gets ADD COLUMNs in their canonical places; down drops them; then up to date', async () => {
  const dir = tmp();
  const v1 = defineMessageTable({ ...base, indexes: [{ name: 'idx_kind', columns: ['kind'] }] });
  firstReleaseMigration(dir, v1);
  assert.deepEqual(readMigratedTables(dir).get('commerce.jobs')!.bookkeeping, ['id', 'priority', 'epoch', 'time_next', 'time_acked', 'failure_reason']);
  const check = await generateMigration({ dir, tables: [v1], check: true });
  assert.equal(check.status, 'drift');
  const t = '`commerce`.`jobs`';
  const up = [
    `ALTER TABLE ${t} ADD COLUMN \`enqueued_at\` bigint NULL AFTER \`failure_reason\``,
    `ALTER TABLE ${t} ADD COLUMN \`failed_at\` bigint NULL AFTER \`enqueued_at\``,
  ];
  assert.deepEqual(check.up, up, 'only the two columns: no payload column is moved, no comment rewritten');
  assert.deepEqual(check.down, [`ALTER TABLE ${t} DROP COLUMN \`failed_at\``, `ALTER TABLE ${t} DROP COLUMN \`enqueued_at\``]);
  assert.deepEqual(check.changes, ['commerce.jobs: add column enqueued_at', 'commerce.jobs: add column failed_at']);
  // print-sql --upgrade prints the same statements for defineMessageTable users.
  assert.deepEqual(buildUpgradeSql(v1), up);
  assert.deepEqual(buildDowngradeSql(v1), check.down);
  assert.deepEqual(buildUpgradeSql(v1, BOOKKEEPING_NAMES), [], 'a current table needs nothing');

  const r = await generateMigration({ dir, tables: [v1], timestamp: 1_700_000_000_001 });
  assert.equal(r.status, 'written');
  assert.deepEqual(parseSnapshot(r.text!)!.tables['commerce.jobs']!.bookkeeping, [...BOOKKEEPING_NAMES]);
  // After adding columns, up waits until vtgate's schema tracking resolves them; down needs no wait.
  const up0 = r.text!.indexOf('public async up('), down0 = r.text!.indexOf('public async down(');
  const wait = r.text!.indexOf('    await untilVtgateResolves(queryRunner, "`commerce`.`jobs`", ["`enqueued_at`","`failed_at`"]);');
  assert.ok(wait > r.text!.lastIndexOf('ADD COLUMN `failed_at`') && wait > up0 && wait < down0, r.text);
  assert.equal(r.text!.split('await untilVtgateResolves(').length - 1, 1);
  assert.equal((await generateMigration({ dir, tables: [v1], check: true })).status, 'up-to-date');

  // Payload changes in the same run come after, placed after the last bookkeeping column.
  const dir2 = tmp();
  firstReleaseMigration(dir2, v1);
  const both = await generateMigration({ dir: dir2, tables: [defineMessageTable({ ...base, columns: { tenant: 'int', ...base.columns }, indexes: [{ name: 'idx_kind', columns: ['kind'] }] })], check: true });
  assert.deepEqual(both.up.filter((s) => !/COMMENT=/.test(s)), [...up, `ALTER TABLE ${t} ADD COLUMN \`tenant\` int NOT NULL AFTER \`failed_at\``]);
});

test('snapshots from a newer version are refused with a clear error, not misread', () => {
  const dir = tmp();
  const v1 = defineMessageTable(base);
  const spec = { ...JSON.parse(JSON.stringify(v1)), bookkeeping: [...BOOKKEEPING_NAMES, 'leased_by'] };
  writeFileSync(join(dir, '1700000000000-Newer.ts'), renderMigration({ className: 'Newer1700000000000', up: [], down: [], changes: [], snapshot: { version: 2, tables: { 'commerce.jobs': spec } } }));
  assert.throws(() => diffTables(readMigratedTables(dir), new Map([['commerce.jobs', v1]])), (e: unknown) => e instanceof InvalidOptionError && e.option === 'bookkeeping' && /newer/.test(e.rule));
  writeFileSync(join(dir, '1700000000001-Newest.ts'), renderMigration({ className: 'Newest1700000000001', up: [], down: [], changes: [], snapshot: { version: 3 as 2, tables: {} } }));
  assert.throws(() => readMigratedTables(dir), (e: unknown) => e instanceof InvalidOptionError && e.option === 'snapshot version');
});

test('enqueued_at and failed_at are reserved: a payload column may not take those names', () => {
  for (const name of ['enqueued_at', 'failed_at', 'enqueuedAt', 'failedAt']) {
    assert.throws(() => defineMessageTable({ ...base, columns: { [name]: 'bigint' } }), (e: unknown) => e instanceof InvalidOptionError && /bookkeeping/.test(e.rule), name);
  }
  // Nor can the stream carry them: streamedColumns takes payload columns only.
  assert.throws(() => defineMessageTable({ ...base, streamedColumns: ['enqueued_at'] }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'streamedColumns');
});

test('print-sql --upgrade prints the ALTERs that add enqueued_at / failed_at (with --drop, that remove them)', () => {
  const dir = tmp();
  const file = join(dir, 'emails.js');
  writeFileSync(file, `const { defineMessageTable } = require(${JSON.stringify(join(process.cwd(), 'build/src/core/define'))});
exports.emails = defineMessageTable({ table: 'email_job', keyspace: 'commerce', columns: { recipient: 'varchar(320)' } });\n`);
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(process.cwd(), 'build/src/migration/cli.js'), 'print-sql', '--spec', file, ...args], { encoding: 'utf8' });
  const up = cli('--upgrade');
  assert.equal(up.status, 0, up.stderr);
  assert.equal(up.stdout,
    'ALTER TABLE `commerce`.`email_job` ADD COLUMN `enqueued_at` bigint NULL AFTER `failure_reason`;\n\n' +
    'ALTER TABLE `commerce`.`email_job` ADD COLUMN `failed_at` bigint NULL AFTER `enqueued_at`;\n\n');
  const down = cli('--upgrade', '--drop');
  assert.equal(down.stdout, 'ALTER TABLE `commerce`.`email_job` DROP COLUMN `failed_at`;\n\nALTER TABLE `commerce`.`email_job` DROP COLUMN `enqueued_at`;\n\n');
});
