/**
 * `vitess-messages print-sql --spec` in a project without TypeORM, as Prisma and
 * mysql2 users have it: the package (dist/, proto/, package.json) installed in a
 * scratch folder whose node_modules holds only its runtime dependencies.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { defineMessageTable } from '../../src/core/define';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';

const root = process.cwd();
const project = mkdtempSync(join(tmpdir(), 'vm-no-typeorm-'));
after(() => rmSync(project, { recursive: true, force: true }));

/** The scratch project: the package as npm would install it, plus its runtime dependencies only. */
function install(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const home = join(project, 'node_modules', 'vitess-messages');
  mkdirSync(home, { recursive: true });
  for (const part of ['dist', 'proto', 'package.json']) cpSync(join(root, part), join(home, part), { recursive: true });
  for (const dep of Object.keys(pkg.dependencies)) {
    const link = join(project, 'node_modules', dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), link, 'dir');
  }
  return join(home, 'dist', 'migration', 'cli.js');
}

const input = {
  table: 'email_job',
  keyspace: 'commerce',
  columns: { recipient: { type: 'varchar(320)', comment: "who it's for" }, body: { type: 'json', nullable: true } },
  indexes: [{ name: 'idx_recipient', columns: ['recipient'] }],
  ackWait: '1m' as const,
};

test('print-sql --spec runs where typeorm is not installed and prints the DDL', () => {
  const cli = install();
  assert.throws(() => require.resolve('typeorm', { paths: [project] }), /Cannot find module/, 'the scratch project must not see typeorm');
  writeFileSync(join(project, 'emails.js'), `const { defineMessageTable } = require('vitess-messages');\nexports.emails = defineMessageTable(${JSON.stringify(input)});\n`);
  const spec = defineMessageTable(input);
  const printed = (sql: string[]) => sql.map((s) => `${s.startsWith('ALTER VSCHEMA') ? '-- only if the keyspace is sharded (SHOW VSCHEMA KEYSPACES):\n' : ''}${s};\n\n`).join('');

  const create = spawnSync(process.execPath, [cli, 'print-sql', '--spec', 'emails.js'], { cwd: project, encoding: 'utf8' });
  assert.equal(create.status, 0, create.stderr);
  assert.equal(create.stdout, printed(buildSchemaSql(spec)));
  assert.match(create.stdout, /CREATE TABLE `commerce`\.`email_job` \(\n  `id` bigint NOT NULL,/);

  const drop = spawnSync(process.execPath, [cli, 'print-sql', '--spec', 'emails.js', '--drop'], { cwd: project, encoding: 'utf8' });
  assert.equal(drop.status, 0, drop.stderr);
  assert.equal(drop.stdout, printed(buildDropSchemaSql(spec)));

  // -d needs TypeORM: a clear message, not a stack from deep inside the generator.
  writeFileSync(join(project, 'ormconfig.js'), 'module.exports = {};\n');
  const typeorm = spawnSync(process.execPath, [cli, 'print-sql', '-d', 'ormconfig.js'], { cwd: project, encoding: 'utf8' });
  assert.equal(typeorm.status, 2);
  assert.match(typeorm.stderr, /^VitessMessagesError: .*needs typeorm installed.*--spec/m);
});
