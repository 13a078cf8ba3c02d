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
import { buildAlterComment, buildDropSchemaSql, buildSchemaSql, buildVindexDdl } from '../../src/migration/ddl';
import type { MessageTableSpec } from '../../src/core/spec';
import { getMessageTableSpec } from '../../src/typeorm';
import { EmailJob } from '../../examples/entities/email-job';
import { OrderEvent } from '../../examples/entities/order-event';
import { OddPayload } from '../fixtures/odd-payload';

const golden = (name: string) => readFileSync(join(process.cwd(), 'test/golden', `${name}.sql`), 'utf8');
// The goldens, like migrations/, are for the default keyspace `commerce`; the
// example entities follow VITESS_SHARDED_KEYSPACE (an external vtgate's).
const committed = (entity: Function): MessageTableSpec => ({ ...getMessageTableSpec(entity), keyspace: 'commerce' });
const render = (sql: string[]) => sql.join(';\n\n') + ';\n';

for (const [name, entity] of [['email-job', EmailJob], ['order-event', OrderEvent], ['odd-payload', OddPayload]] as const) {
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
];
for (const [what, fn, option, rule] of invalid) {
  test(`defineMessageTable rejects ${what}`, () => {
    assert.throws(fn, (e: unknown) => e instanceof InvalidOptionError && e.option === option && rule.test(e.rule) && e.subject === `defineMessageTable(${e.subject.slice(19, -1)})`);
  });
}
