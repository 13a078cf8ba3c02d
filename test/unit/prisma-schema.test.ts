/**
 * Prisma models as message tables, the pure parts: the schema reader, the
 * Prisma → MySQL type mapping, the bookkeeping check and other refusals, and
 * the generated module and migration text (pinned).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PRISMA_BOOKKEEPING_SNIPPET } from '../../src/prisma/bookkeeping-fields';
import { generatePrismaMigration } from '../../src/prisma/generate';
import { messageTablesFromPrismaSchema } from '../../src/prisma/message-models';
import { PrismaSchemaError } from '../../src/prisma/prisma-schema-error';
import { renderMigrationSql, renderSpecModule } from '../../src/prisma/render';
import { parsePrismaSchema } from '../../src/prisma/schema-parser';
import { VitessMessagesError } from '../../src/core/errors';

const HEAD = 'datasource db {\n  provider = "mysql"\n}\n\n';

/** A marked model with the bookkeeping snippet and `payload` lines. */
function model(payload: string, marker = '/// @vitess.message(ackWait: "1m", keyspace: "commerce")', bookkeeping = PRISMA_BOOKKEEPING_SNIPPET): string {
  return `${HEAD}${marker}\nmodel EmailJob {\n${bookkeeping}\n${payload}\n  @@map("email_job")\n}\n`;
}

function refused(schema: string, pattern: RegExp): void {
  assert.throws(() => messageTablesFromPrismaSchema(schema), (err: unknown) => {
    assert.ok(err instanceof PrismaSchemaError, `a PrismaSchemaError, got ${String(err)}`);
    assert.ok(err instanceof VitessMessagesError);
    assert.match(err.message, pattern);
    return true;
  });
}

test('prisma-schema: the reader keeps models, fields, attributes with arguments, enums and /// comments', () => {
  const schema = parsePrismaSchema(`${HEAD}enum Kind {\n  A\n  B @map("b")\n}\n\n/// Doc line\n/// @vitess.message(ackWait: "1m")\nmodel Job {\n  id BigInt @id // trailing comment\n  /// field doc\n  name String? @db.VarChar(32) @default("x \\"y\\"")\n  tags Json[]\n  @@index([name(sort: Desc), id], map: "ix")\n}\n`);
  assert.equal(schema.provider, 'mysql');
  assert.deepEqual(schema.enums, [{ name: 'Kind', values: [{ name: 'A', dbName: 'A' }, { name: 'B', dbName: 'b' }], line: 5 }]);
  const [m] = schema.models;
  assert.deepEqual(m!.documentation, ['Doc line', '@vitess.message(ackWait: "1m")']);
  assert.deepEqual(m!.fields.map((f) => [f.name, f.type, f.optional, f.list, f.line]), [['id', 'BigInt', false, false, 13], ['name', 'String', true, false, 15], ['tags', 'Json', false, true, 16]]);
  assert.deepEqual(m!.fields[1]!.documentation, ['field doc']);
  assert.deepEqual(m!.fields[1]!.attributes, [
    { name: 'db.VarChar', args: [{ value: { kind: 'number', value: '32' } }], line: 15 },
    { name: 'default', args: [{ value: { kind: 'string', value: 'x "y"' } }], line: 15 },
  ]);
  assert.deepEqual(m!.attributes, [{
    name: 'index',
    args: [
      { value: { kind: 'array', items: [{ kind: 'call', name: 'name', args: [{ name: 'sort', value: { kind: 'name', value: 'Desc' } }] }, { kind: 'name', value: 'id' }] } },
      { name: 'map', value: { kind: 'string', value: 'ix' } },
    ],
    line: 17,
  }]);
});

test('prisma-schema: unreadable text is a PrismaSchemaError with its line', () => {
  assert.throws(() => parsePrismaSchema('model A {\n  id BigInt @id\n'), (e: unknown) => e instanceof PrismaSchemaError && e.line === 1 && /not closed/.test(e.message));
  assert.throws(() => parsePrismaSchema('model A {\n  id BigInt @default("x)\n}\n'), (e: unknown) => e instanceof PrismaSchemaError && e.line === 2 && /unterminated string/.test(e.message));
  assert.throws(() => parsePrismaSchema('oops\n'), (e: unknown) => e instanceof PrismaSchemaError && e.line === 1);
});

test('prisma-schema: Prisma types map to the MySQL types Prisma Migrate gives them', () => {
  const cases: Array<[string, unknown]> = [
    ['String', 'varchar(191)'],
    ['String @db.VarChar(320)', 'varchar(320)'],
    ['String @db.Char(2)', 'char(2)'],
    ['String @db.Text', 'text'],
    ['String? @db.LongText', { type: 'longtext', nullable: true }],
    ['Boolean', 'tinyint(1)'],
    ['Boolean @default(true)', { type: 'tinyint(1)', default: '1' }],
    ['Int', 'int'],
    ['Int @db.UnsignedSmallInt', 'smallint unsigned'],
    ['Int @default(-3)', { type: 'int', default: '-3' }],
    ['BigInt @db.UnsignedBigInt', 'bigint unsigned'],
    ['Float', 'double'],
    ['Float @db.Float', 'float'],
    ['Decimal', 'decimal(65,30)'],
    ['Decimal @db.Decimal(10, 2)', 'decimal(10,2)'],
    ['DateTime', 'datetime(3)'],
    ['DateTime @default(now())', { type: 'datetime(3)', default: 'CURRENT_TIMESTAMP(3)' }],
    ['DateTime @db.Timestamp(0) @default(now())', { type: 'timestamp(0)', default: 'CURRENT_TIMESTAMP' }],
    ['DateTime @db.Date', 'date'],
    ['Json?', { type: 'json', nullable: true }],
    ['Bytes', 'longblob'],
    ['Bytes @db.VarBinary(16)', 'varbinary(16)'],
    ['String @default("it\'s")', { type: 'varchar(191)', default: "'it''s'" }],
    ['String @map("the_name")', { type: 'varchar(191)', name: 'the_name' }],
    ['Kind @default(B)', { type: "enum('A','b')", default: "'b'" }],
  ];
  for (const [decl, want] of cases) {
    const schema = `enum Kind {\n  A\n  B @map("b")\n}\n${model(`  value ${decl}`)}`;
    const [t] = messageTablesFromPrismaSchema(schema);
    assert.deepEqual(t!.input.columns.value, want, decl);
  }
});

test('prisma-schema: a marked model becomes a spec with its options, indexes and Prisma index names; unmarked models are left alone', () => {
  const schema = `${model('  recipient String @db.VarChar(320) @unique\n  customerId BigInt @map("customer_id")\n  body Json?\n  @@index([customerId, recipient])\n  @@fulltext([recipient], map: "ft")', '/// @vitess.message(ackWait: "1m", keyspace: "commerce", batchSize: 100, vindex: "customerId", maxAttempts: 5, streamedColumns: ["recipient"])')}\nmodel Order {\n  id BigInt @id\n}\n`;
  const tables = messageTablesFromPrismaSchema(schema);
  assert.equal(tables.length, 1);
  const [t] = tables;
  assert.equal(t!.model, 'EmailJob');
  assert.equal(t!.key, 'emailJob');
  assert.equal(t!.spec.table, 'email_job');
  assert.equal(t!.spec.keyspace, 'commerce');
  assert.deepEqual(t!.spec.vindex, { column: 'customer_id', type: 'hash' });
  assert.deepEqual(t!.spec.streamed, ['id', 'epoch', 'customer_id', 'recipient']);
  assert.equal(t!.spec.options.ackWaitMs, 60_000);
  assert.equal(t!.spec.options.batchSize, 100);
  assert.equal(t!.spec.options.maxAttempts, 5);
  assert.deepEqual(t!.spec.payload.map((c) => [c.property, c.name, c.sqlType, c.nullable]), [
    ['recipient', 'recipient', 'varchar(320)', false], ['customerId', 'customer_id', 'bigint', false], ['body', 'body', 'json', true],
  ]);
  assert.deepEqual(t!.spec.indexes!.map((ix) => [ix.name, ix.columns, ix.unique, ix.kind]), [
    ['email_job_recipient_key', ['recipient'], true, undefined],
    ['email_job_customer_id_recipient_idx', ['customer_id', 'recipient'], false, undefined],
    ['ft', ['recipient'], false, 'fulltext'],
  ]);
});

test('prisma-schema: bookkeeping fields that differ from the canonical ones are refused, naming the field and giving the snippet', () => {
  const swap = (from: string, to: string): string => {
    assert.ok(PRISMA_BOOKKEEPING_SNIPPET.includes(from), from);
    return PRISMA_BOOKKEEPING_SNIPPET.replace(from, to);
  };
  const marker = '/// @vitess.message()';
  refused(model('  a String', marker, swap('@default(50) @db.TinyInt', '@default(50)')), /field priority \(column priority\) differs.*expected Int @default\(50\) \(tinyint\).*got Int @default \(int\)/s);
  refused(model('  a String', marker, swap('timeNext      BigInt?', 'timeNext      BigInt')), /field timeNext \(column time_next\) differs/);
  refused(model('  a String', marker, swap('epoch         BigInt  @default(0)', 'epoch         Int  @default(0)')), /column epoch/);
  refused(model('  a String', marker, swap('id            BigInt  @id', 'id            BigInt  @id @default(autoincrement())')), /field id \(column id\) differs/);
  refused(model('  a String', marker, swap('  failedAt      BigInt? @map("failed_at")\n', '')), /no field for the bookkeeping column failed_at[\s\S]*failedAt +BigInt\? @map\("failed_at"\)/);
  refused(model('  a String', marker, swap('timeNext(sort: Desc)', 'timeNext')), /no @@index\(\[timeAcked, priority, timeNext\(sort: Desc\)\], map: "poller_idx"\)/);
  refused(model('  a String', marker, swap('failureReason String? @map("failure_reason") @db.Text', 'failureReason String? @map("failure_reason")')), /column failure_reason/);
});

test('prisma-schema: what the generator cannot honour is refused with the reason', () => {
  refused(`${model('  other Order')}\nmodel Order {\n  id BigInt @id\n}\n`, /field other: relation fields are not supported/);
  refused(model('  other Order'), /field other: type Order is not supported/);
  refused(model('  tags String[]'), /list fields are not supported/);
  refused(model('  updated DateTime @updatedAt'), /@updatedAt is not supported.*Prisma sets it in its client/);
  refused(model('  ref String @default(uuid())'), /@default \(uuid\(\)\) is not supported/);
  refused(model('  body Json @default("{}")'), /on a Json field is not supported/);
  refused(model('  day DateTime @db.Date @default(now())'), /now\(\)\) is supported on datetime and timestamp columns only/);
  refused(model('  n Int @db.VarChar(3)'), /@db.VarChar is not supported for Int/);
  refused(model('  geo Unsupported("point")'), /Unsupported/);
  refused(model('  a String\n  @@id([id, a])'), /@@id/);
  refused(model('  a String', '/// @vitess.message(ackWiat: "1m")'), /unknown option ackWiat/);
  refused(model('  a String', '/// @vitess.message(ackWait: "soon")'), /model EmailJob: .*ackWait/);
  refused(model('  priority2 String @map("time_next")'), /declared twice|time_next/);
  refused(`datasource db {\n  provider = "postgresql"\n}\n`, /need "mysql"/);
});

test('prisma-schema: the generated module and migration.sql (pinned)', () => {
  const tables = messageTablesFromPrismaSchema(model('  recipient String @db.VarChar(320)\n  body Json?\n  kind String @default("a")', '/// @vitess.message(ackWait: "1m", keyspace: "commerce", batchSize: 100)'));
  assert.equal(renderSpecModule(tables, 'schema.prisma'), `// Generated by \`vitess-messages prisma generate\` from schema.prisma: do not edit.
// Change the model and generate again.
import { defineMessageTable } from 'vitess-messages';

/** Model EmailJob: the message table \`commerce\`.\`email_job\`. */
export const emailJob = defineMessageTable({
  table: 'email_job',
  keyspace: 'commerce',
  columns: {
    recipient: 'varchar(320)',
    body: { type: 'json', nullable: true },
    kind: { type: 'varchar(191)', default: "'a'" },
  },
  ackWait: '1m',
  batchSize: 100,
});
`);
  assert.equal(renderMigrationSql(tables), `-- Message tables, generated by \`vitess-messages prisma generate\`.
-- vitess-messages table \`commerce\`.\`email_job\` sha256:${/sha256:([0-9a-f]{16})/.exec(renderMigrationSql(tables))![1]}

-- The primary vindex (a sharded keyspace; for an unsharded one, mark the model vindex: false):
ALTER VSCHEMA ON \`commerce\`.\`email_job\` ADD VINDEX \`hash\`(\`id\`) USING \`hash\`;
CREATE TABLE \`commerce\`.\`email_job\` (
  \`id\` bigint NOT NULL,
  \`priority\` tinyint NOT NULL DEFAULT '50',
  \`epoch\` bigint NOT NULL DEFAULT '0',
  \`time_next\` bigint NULL DEFAULT '0',
  \`time_acked\` bigint NULL,
  \`failure_reason\` text NULL,
  \`enqueued_at\` bigint NULL,
  \`failed_at\` bigint NULL,
  \`recipient\` varchar(320) NOT NULL,
  \`body\` json NULL,
  \`kind\` varchar(191) NOT NULL DEFAULT 'a',
  PRIMARY KEY (\`id\`),
  INDEX \`poller_idx\` (\`time_acked\`, \`priority\`, \`time_next\` DESC)
) COMMENT='vitess_message,vt_ack_wait=60,vt_purge_after=86400,vt_batch_size=100,vt_cache_size=10000,vt_poller_interval=1,vt_max_backoff=3600,vt_message_cols=id|epoch|recipient|body|kind';
`);
  // With vindex: false (an unsharded keyspace) there is no vschema statement.
  const unsharded = messageTablesFromPrismaSchema(model('  a String', '/// @vitess.message(keyspace: "meta", vindex: false)'));
  assert.doesNotMatch(renderMigrationSql(unsharded), /VSCHEMA/);
});

test('prisma-schema: generate writes Prisma Migrate\'s layout once per table and refuses a changed table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-prisma-'));
  const schema = join(dir, 'schema.prisma');
  writeFileSync(schema, model('  recipient String @db.VarChar(320)'));
  const first = generatePrismaMigration({ schema, now: new Date('2026-12-01T13:15:07Z') });
  assert.equal(first.migrationFile, join(dir, 'migrations', '20261201131507_message_tables', 'migration.sql'));
  assert.match(readFileSync(first.migrationFile!, 'utf8'), /CREATE TABLE `commerce`.`email_job`/);
  assert.match(readFileSync(join(dir, 'migrations', 'migration_lock.toml'), 'utf8'), /provider = "mysql"/);
  assert.equal(readFileSync(join(dir, 'vitess-messages.ts'), 'utf8'), first.specText);
  // Again with nothing changed: no new migration.
  const again = generatePrismaMigration({ schema, now: new Date('2026-12-01T13:16:00Z') });
  assert.equal(again.migrationFile, undefined);
  assert.deepEqual(readdirSync(join(dir, 'migrations')).sort(), ['20261201131507_message_tables', 'migration_lock.toml']);
  // A changed model is refused, nothing written.
  writeFileSync(schema, model('  recipient String @db.VarChar(200)'));
  assert.throws(() => generatePrismaMigration({ schema }), (e: unknown) => e instanceof PrismaSchemaError && /differs from what migration 20261201131507_message_tables created/.test(e.message));
  assert.equal(readdirSync(join(dir, 'migrations')).length, 2);
});

test('prisma-schema: the golden module of test/fixtures/prisma (type-checked by test/types/prisma-generated.ts) is what generate writes', () => {
  const fixture = join(process.cwd(), 'test/fixtures/prisma');
  const result = generatePrismaMigration({ schema: join(fixture, 'schema.prisma'), out: join(fixture, 'vitess-messages.ts'), importFrom: '../../../src/core/define', dryrun: true });
  assert.equal(result.specText, readFileSync(join(fixture, 'vitess-messages.ts'), 'utf8'));
  assert.deepEqual(result.tables.map((t) => t.model), ['EmailJob']);
});

test('prisma-schema: Prisma itself accepts a message model with the bookkeeping snippet and the marker (prisma validate, offline)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-prisma-validate-'));
  const run = (schema: string) => {
    writeFileSync(join(dir, 'schema.prisma'), schema);
    return spawnSync(process.execPath, [join(process.cwd(), 'node_modules/prisma/build/index.js'), 'validate', '--schema', join(dir, 'schema.prisma')], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  };
  const ok = run(readFileSync(join(process.cwd(), 'test/fixtures/prisma/schema.prisma'), 'utf8'));
  assert.equal(ok.status, 0, `${ok.stdout}\n${ok.stderr}`);
  // The control: Prisma refuses what it does not know, so the pass above means something.
  const bad = run(model('  a String @db.TinyInt(1)'));
  assert.notEqual(bad.status, 0);
  assert.match(`${bad.stdout}${bad.stderr}`, /TinyInt/);
});
