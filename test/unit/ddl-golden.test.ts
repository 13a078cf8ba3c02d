/**
 * The DDL of message tables, pinned: golden files for the example entities and
 * an entity with odd payload types and reserved-word columns (the integration
 * test migrations-golden checks the same tables on real Vitess), plus
 * defineMessageTable for Prisma/raw users.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defineMessageTable } from '../../src/core/define';
import { InvalidOptionError } from '../../src/core/errors';
import { buildAlterComment, buildColumnDefinition, buildDropSchemaSql, buildIndexDefinition, buildSchemaSql, buildVindexDdl } from '../../src/migration/ddl';
import { diffTables } from '../../src/migration/diff';
import type { MessageTableSpec } from '../../src/core/spec';
import { getMessageTableSpec } from '../../src/typeorm';
import { EmailJob } from '../../examples/entities/email-job';
import { OrderEvent } from '../../examples/entities/order-event';
import { AWKWARD_COMMENT, ColumnOptions } from '../fixtures/column-options';
import { OddPayload } from '../fixtures/odd-payload';
import { SpatialPayload } from '../fixtures/spatial-payload';

const golden = (name: string) => readFileSync(join(process.cwd(), 'test/golden', `${name}.sql`), 'utf8');
// The goldens, like migrations/, are for the default keyspace `commerce`; the
// example entities follow VITESS_SHARDED_KEYSPACE (an external vtgate's).
const committed = (entity: Function): MessageTableSpec => ({ ...getMessageTableSpec(entity), keyspace: 'commerce' });
const render = (sql: string[]) => sql.join(';\n\n') + ';\n';

for (const [name, entity] of [['email-job', EmailJob], ['order-event', OrderEvent], ['odd-payload', OddPayload], ['column-options', ColumnOptions], ['spatial-payload', SpatialPayload]] as const) {
  test(`DDL of ${entity.name} matches test/golden/${name}.sql`, () => {
    assert.equal(render(buildSchemaSql(committed(entity))), golden(name));
  });
}

test('a business-column vindex is streamed right after epoch and shards the table', () => {
  const spec = committed(OrderEvent);
  assert.deepEqual(spec.vindex, { column: 'customer_id', type: 'hash' });
  assert.deepEqual(spec.streamed, ['id', 'epoch', 'customer_id', 'kind', 'amount', 'payload']);
  assert.equal(buildVindexDdl(spec), 'ALTER VSCHEMA ON `commerce`.`order_event` ADD VINDEX `hash`(`customer_id`) USING `hash`');
  assert.deepEqual(buildDropSchemaSql(spec), ['DROP TABLE `commerce`.`order_event`', 'ALTER VSCHEMA ON `commerce`.`order_event` DROP VINDEX `hash`']);
});

test('defineMessageTable gives Prisma/raw users the same table as the equivalent entity', () => {
  const spec = defineMessageTable({
    table: 'email_job',
    keyspace: 'commerce',
    columns: { recipient: 'varchar(320)', subject: 'varchar(200)', body: { type: 'json', nullable: true } },
    indexes: [{ name: 'idx_email_job_recipient', columns: ['recipient'] }],
    ackWait: '1m',
    maxAttempts: 10,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(spec)), JSON.parse(JSON.stringify(committed(EmailJob))));
  assert.equal(render(buildSchemaSql(spec)), golden('email-job'));
});

test('defineMessageTable: no keyspace, no vindex, selected streamed columns', () => {
  const spec = defineMessageTable({ table: 'jobs', columns: { kind: { type: 'varchar(20)', default: "'x'" }, data: 'json' }, streamedColumns: ['data'], vindex: false, batchSize: 100 });
  assert.equal(buildVindexDdl(spec), undefined);
  assert.deepEqual(buildSchemaSql(spec), [
    'CREATE TABLE `jobs` (\n  `id` bigint NOT NULL,\n  `priority` tinyint NOT NULL DEFAULT \'50\',\n  `epoch` bigint NOT NULL DEFAULT \'0\',\n  `time_next` bigint NULL DEFAULT \'0\',\n  `time_acked` bigint NULL,\n  `failure_reason` text NULL,\n  `enqueued_at` bigint NULL,\n  `failed_at` bigint NULL,\n' +
      "  `kind` varchar(20) NOT NULL DEFAULT 'x',\n  `data` json NOT NULL,\n  PRIMARY KEY (`id`),\n  INDEX `poller_idx` (`time_acked`, `priority`, `time_next` DESC)\n" +
      ") COMMENT='vitess_message,vt_ack_wait=30,vt_purge_after=86400,vt_batch_size=100,vt_cache_size=10000,vt_poller_interval=1,vt_max_backoff=3600,vt_message_cols=id|epoch|data'",
  ]);
  assert.equal(buildAlterComment(spec), "ALTER TABLE `jobs` COMMENT='vitess_message,vt_ack_wait=30,vt_purge_after=86400,vt_batch_size=100,vt_cache_size=10000,vt_poller_interval=1,vt_max_backoff=3600,vt_message_cols=id|epoch|data'");
});

test('defineMessageTable takes comments, generated columns, ON UPDATE and FULLTEXT like the entity', () => {
  const spec = defineMessageTable({
    table: 'column_options',
    keyspace: 'commerce',
    columns: {
      title: { type: 'varchar(100)', comment: AWKWARD_COMMENT },
      body: { type: 'text', comment: 'the body' },
      quantity: { type: 'int', default: "'1'" },
      quantityDoubled: { name: 'quantity_doubled', type: 'int', asExpression: 'quantity * 2' },
      titleUpper: { name: 'title_upper', type: 'varchar(100)', asExpression: 'upper(`title`)', generatedType: 'STORED', nullable: true, comment: 'stored' },
      code: 'varchar(20) CHARACTER SET latin1 COLLATE latin1_general_cs',
      updatedAt: { name: 'updated_at', type: 'datetime(6)', default: 'CURRENT_TIMESTAMP(6)', onUpdate: 'CURRENT_TIMESTAMP(6)' },
    },
    indexes: [
      { name: 'ft_column_options_title', columns: ['title'], fulltext: true, parser: 'ngram' },
      { name: 'ft_column_options_body', columns: ['body'], fulltext: true },
      { name: 'IDX_b4445cd6773d65dc35e2c55aa0', columns: ['code'], unique: true },
    ],
    ackWait: '1s', pollerInterval: '500ms', minBackoff: '500ms', batchSize: 100,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(spec)), JSON.parse(JSON.stringify(committed(ColumnOptions))));
  assert.equal(render(buildSchemaSql(spec)), golden('column-options'));
});

test('a column comment is one quoted literal whatever it holds', () => {
  const col = { name: 'c', property: 'c', sqlType: 'int', nullable: false };
  assert.equal(buildColumnDefinition({ ...col, comment: "it's \\ done" }), "`c` int NOT NULL COMMENT 'it''s \\\\ done'");
  assert.equal(buildColumnDefinition({ ...col, comment: "x', drop column `id` -- \\" }), "`c` int NOT NULL COMMENT 'x'', drop column `id` -- \\\\'");
  assert.equal(buildIndexDefinition({ name: 'ft', columns: ['a', 'b'], unique: false, kind: 'fulltext', parser: 'ngram' }), 'FULLTEXT INDEX `ft` (`a`, `b`) WITH PARSER `ngram`');
  // A spec read back from a snapshot file is checked again before it becomes DDL.
  assert.throws(() => buildColumnDefinition({ ...col, generated: { expression: '1) stored, drop column `id`, add `x` int as (1', stored: false } }), InvalidOptionError);
});

test('a changed comment or index kind is a migration step, and down restores it', () => {
  const before = defineMessageTable({ table: 't', keyspace: 'commerce', columns: { a: { type: 'text', comment: 'old' } }, indexes: [{ name: 'ix_a', columns: ['a'], fulltext: true }] });
  const after = defineMessageTable({ table: 't', keyspace: 'commerce', columns: { a: { type: 'text', comment: 'new' } }, indexes: [{ name: 'ix_a', columns: ['a'], fulltext: true, parser: 'ngram' }] });
  const diff = diffTables(new Map([['commerce.t', before]]), new Map([['commerce.t', after]]));
  assert.deepEqual(diff.up, [
    "ALTER TABLE `commerce`.`t` MODIFY COLUMN `a` text NOT NULL COMMENT 'new' AFTER `failed_at`",
    'ALTER TABLE `commerce`.`t` DROP INDEX `ix_a`',
    'ALTER TABLE `commerce`.`t` ADD FULLTEXT INDEX `ix_a` (`a`) WITH PARSER `ngram`',
  ]);
  assert.deepEqual(diff.down, [
    'ALTER TABLE `commerce`.`t` DROP INDEX `ix_a`',
    'ALTER TABLE `commerce`.`t` ADD FULLTEXT INDEX `ix_a` (`a`)',
    "ALTER TABLE `commerce`.`t` MODIFY COLUMN `a` text NOT NULL COMMENT 'old' AFTER `failed_at`",
  ]);
});

const invalid: Array<[string, () => unknown, string, RegExp]> = [
  ['a zero batch size', () => defineMessageTable({ table: 't', columns: {}, batchSize: 0 }), 'batchSize', /at least 1/],
  ['a payload column named time_next', () => defineMessageTable({ table: 't', columns: { time_next: 'bigint' } }), 'column time_next', /bookkeeping/],
  ['a payload property named timeAcked', () => defineMessageTable({ table: 't', columns: { timeAcked: 'bigint' } }), 'column timeAcked', /bookkeeping/],
  ['a vindex column that does not exist', () => defineMessageTable({ table: 't', columns: { a: 'int' }, vindex: { column: 'customer_id' } }), 'vindex.column', /payload columns \(a\)/],
  ['a bad table name', () => defineMessageTable({ table: 'x; drop table y', columns: {} }), 'name', /must match/],
  ['SQL in a column type', () => defineMessageTable({ table: 't', columns: { a: "int; drop table t" } }), 'column a type', /plain SQL type/],
  ['a second clause in a column type', () => defineMessageTable({ table: 't', columns: { a: 'int, drop column priority' } }), 'column a type', /plain SQL type/],
  ['unbalanced parentheses in a column type', () => defineMessageTable({ table: 't', columns: { a: 'decimal(30,10))' } }), 'column a type', /plain SQL type/],
  ['a comment in a default', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', default: '1 -- x' } } }), 'column a default', /plain SQL/],
  ['an index on an unknown column', () => defineMessageTable({ table: 't', columns: { a: 'int' }, indexes: [{ columns: ['b'] }] }), 'index idx_b', /unknown column/],
  ['a misspelt option', () => defineMessageTable({ table: 't', columns: {}, ackwait: '1s' } as never), 'ackwait', /is not an option/],
  ['a streamed column that is not payload', () => defineMessageTable({ table: 't', columns: { a: 'int' }, streamedColumns: ['nope'] }), 'streamedColumns', /payload/],
  ['an emoji in a comment (MySQL would store ?)', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', comment: 'go 🚀' } } }), 'column a comment', /utf8mb3/],
  ['a NUL in a comment', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', comment: 'a\u0000b' } } }), 'column a comment', /NUL/],
  ['a comment over 1024 characters', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', comment: 'x'.repeat(1025) } } }), 'column a comment', /at most 1024/],
  ['a statement in a generated expression', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', asExpression: '1; drop table t' } } }), 'column a asExpression', /plain SQL expression/],
  ['a generated expression that closes its parenthesis', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', asExpression: '1) stored, b int as (2' } } }), 'column a asExpression', /balanced/],
  ['a comment in a generated expression', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', asExpression: '1 /* x */' } } }), 'column a asExpression', /comments/],
  ['a default on a generated column', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', asExpression: '1', default: '2' } } }), 'column a default', /generated column/],
  ['generatedType without asExpression', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', generatedType: 'STORED' } } }), 'column a generatedType', /needs asExpression/],
  ['an ON UPDATE that is not a timestamp function', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', onUpdate: 'a + 1' } } }), 'column a onUpdate', /CURRENT_TIMESTAMP/],
  ['a vindex on a generated column', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', asExpression: 'id % 10' } }, vindex: { column: 'a' } }), 'vindex.column', /generated/],
  ['a unique fulltext index', () => defineMessageTable({ table: 't', columns: { a: 'text' }, indexes: [{ name: 'ix', columns: ['a'], fulltext: true, unique: true }] }), 'index ix unique', /fulltext/],
  ['a parser on a plain index', () => defineMessageTable({ table: 't', columns: { a: 'text' }, indexes: [{ name: 'ix', columns: ['a'], parser: 'ngram' }] }), 'index ix parser', /fulltext/],
  ['a misspelt column option', () => defineMessageTable({ table: 't', columns: { a: { type: 'int', commnet: 'x' } as never } }), 'column a commnet', /is not an option of a column/],
  ['a misspelt index option', () => defineMessageTable({ table: 't', columns: { a: 'text' }, indexes: [{ name: 'ix', columns: ['a'], fullText: true } as never] }), 'index ix fullText', /is not an option of an index/],
  ['a spatial index on two columns', () => defineMessageTable({ table: 't', columns: { a: 'point', b: 'point' }, indexes: [{ name: 'ix', columns: ['a', 'b'], spatial: true }] }), 'index ix', /exactly one column/],
];
for (const [what, fn, option, rule] of invalid) {
  test(`defineMessageTable rejects ${what}`, () => {
    assert.throws(fn, (e: unknown) => e instanceof InvalidOptionError && e.option === option && rule.test(e.rule) && e.subject === `defineMessageTable(${e.subject.slice(19, -1)})`);
  });
}
