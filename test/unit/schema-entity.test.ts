/**
 * `@MessageTable` on TypeORM entities: bookkeeping columns first in canonical
 * order, TypeORM's own metadata agrees, the spec follows naming strategies, and
 * invalid definitions fail when the class is defined, with a clear error.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Column, CreateDateColumn, DataSource, DefaultNamingStrategy, Entity, Generated, PrimaryColumn } from 'typeorm';
import { InvalidOptionError, NotAMessageTableError, UnknownEntityError } from '../../src/core/errors';
import { buildTableComment } from '../../src/core/options';
import { getMessageTableSpec, isMessageTable, MessageTable, VitessMessage } from '../../src/typeorm';
import { messageTableClasses } from '../../src/typeorm/registry';
import { EmailJob } from '../../examples/entities/email-job';
import { OrderEvent } from '../../examples/entities/order-event';

async function built(...entities: Function[]): Promise<DataSource> {
  const ds = new DataSource({ type: 'mysql', entities });
  await (ds as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  return ds;
}

test('TypeORM sees the bookkeeping columns first, in canonical order and types, then the payload in declaration order', async () => {
  const ds = await built(EmailJob, OrderEvent);
  const m = ds.getMetadata(EmailJob);
  assert.deepEqual(m.columns.map((c) => c.databaseName), ['id', 'priority', 'epoch', 'time_next', 'time_acked', 'failure_reason', 'enqueued_at', 'failed_at', 'recipient', 'subject', 'body']);
  assert.deepEqual(m.columns.map((c) => c.propertyName).slice(0, 8), ['id', 'priority', 'epoch', 'timeNext', 'timeAcked', 'failureReason', 'enqueuedAt', 'failedAt']);
  const col = (n: string) => m.columns.find((c) => c.databaseName === n)!;
  assert.deepEqual([col('id').type, col('id').isPrimary, col('id').isNullable], ['bigint', true, false]);
  assert.deepEqual([col('priority').type, col('priority').default, col('priority').isNullable], ['tinyint', 50, false]);
  assert.deepEqual([col('epoch').type, col('epoch').default], ['bigint', 0]);
  assert.deepEqual([col('time_next').type, col('time_next').isNullable, col('time_next').default], ['bigint', true, 0]);
  assert.deepEqual([col('time_acked').isNullable, col('failure_reason').type, col('failure_reason').isNullable], [true, 'text', true]);
  // Nullable without a default: ADD COLUMN works on a table with rows, and rows written before read NULL.
  for (const n of ['enqueued_at', 'failed_at']) assert.deepEqual([col(n).type, col(n).isNullable, col(n).default], ['bigint', true, undefined], n);
  // epoch is read as a number; ids and times stay strings (bigNumberStrings).
  assert.equal(col('epoch').transformer && (col('epoch').transformer as { from(v: unknown): unknown }).from('3'), 3);
  assert.equal(m.tableName, 'email_job');
  assert.equal(m.database, process.env.VITESS_SHARDED_KEYSPACE ?? 'commerce'); // the example follows the env
  assert.equal(m.synchronize, false, 'TypeORM leaves message tables to our generator');
  assert.equal(m.comment, buildTableComment(getMessageTableSpec(EmailJob, ds)));
  assert.deepEqual(m.indices.map((i) => [i.name, i.columns.map((c) => c.databaseName)]).sort(), [
    ['idx_email_job_recipient', ['recipient']],
    ['poller_idx', ['time_acked', 'priority', 'time_next']],
  ]);
  assert.deepEqual(ds.getMetadata(OrderEvent).columns.map((c) => c.databaseName).slice(8), ['customer_id', 'kind', 'amount', 'payload']);
});

test('isMessageTable, NotAMessageTableError, UnknownEntityError', async () => {
  @Entity({ name: 'plain_entity_for_test' })
  class Plain {
    @PrimaryColumn({ type: 'int' }) id!: number;
  }
  assert.equal(isMessageTable(EmailJob), true);
  assert.equal(isMessageTable(Plain), false);
  assert.throws(() => getMessageTableSpec(Plain), (e: unknown) => e instanceof NotAMessageTableError && e.entity === 'Plain');
  const ds = await built(OrderEvent);
  assert.throws(() => getMessageTableSpec(EmailJob, ds), (e: unknown) => e instanceof UnknownEntityError && e.entity === 'EmailJob');
  // Listed but not built yet: resolved on the side, nothing connects.
  assert.equal(getMessageTableSpec(EmailJob, new DataSource({ type: 'mysql', entities: [EmailJob] })).table, 'email_job');
});

test('a naming strategy renames payload columns in the spec; a renamed streamed column is reported', async () => {
  class Snake extends DefaultNamingStrategy {
    override columnName(propertyName: string, customName: string | undefined, prefixes: string[]): string {
      return customName ?? [...prefixes, propertyName].join('_').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    }
  }
  @MessageTable({ name: 'naming_a', keyspace: 'commerce', streamedColumns: [] })
  class NamingA extends VitessMessage {
    @Column({ type: 'varchar', length: 10 }) sentTo!: string;
  }
  @MessageTable({ name: 'naming_b', keyspace: 'commerce' })
  class NamingB extends VitessMessage {
    @Column({ type: 'varchar', length: 10 }) sentTo!: string;
  }
  const ds = new DataSource({ type: 'mysql', entities: [NamingA, NamingB], namingStrategy: new Snake() });
  await (ds as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  const a = getMessageTableSpec(NamingA, ds);
  assert.deepEqual(a.payload.map((c) => [c.name, c.property]), [['sent_to', 'sentTo']]);
  assert.deepEqual(a.streamed, ['id', 'epoch']);
  assert.equal(ds.getMetadata(NamingA).columns[3]!.databaseName, 'time_next', 'bookkeeping names are fixed');
  assert.throws(() => getMessageTableSpec(NamingB, ds), (e: unknown) => e instanceof InvalidOptionError && /explicit `name`/.test(e.rule));
});

function rejects(fn: () => unknown, option: string, rule: RegExp, subject?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidOptionError, String(e));
    assert.equal(e.option, option);
    assert.match(e.rule, rule);
    if (subject) assert.equal(e.subject, subject);
    return true;
  });
}

test('invalid definitions fail when the class is defined', () => {
  rejects(() => {
    @MessageTable({ name: 'bad_batch', batchSize: 0 })
    class ZeroBatch extends VitessMessage {}
    return ZeroBatch;
  }, 'batchSize', /at least 1/, 'ZeroBatch');

  rejects(() => {
    @MessageTable({ name: 'bad_time_next' })
    class TimeNextPayload {
      @Column({ type: 'bigint' }) time_next!: string;
    }
    return TimeNextPayload;
  }, 'column time_next', /bookkeeping/, 'TimeNextPayload');

  rejects(() => {
    @MessageTable({ name: 'bad_named_column' })
    class NamedLikeBookkeeping {
      @Column({ name: 'epoch', type: 'int' }) attempts!: number;
    }
    return NamedLikeBookkeeping;
  }, 'column attempts', /bookkeeping/);

  rejects(() => {
    @MessageTable({ name: 'bad_id' })
    class StringId {
      @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
    }
    return StringId;
  }, 'id', /bigint/, 'StringId');

  rejects(() => {
    @MessageTable({ name: 'bad_vindex', keyspace: 'commerce', vindex: { column: 'customerId' } })
    class NoSuchVindex extends VitessMessage {
      @Column({ type: 'json' }) payload!: unknown;
    }
    return NoSuchVindex;
  }, 'vindex.column', /payload column \(payload\)/, 'NoSuchVindex');

  rejects(() => {
    @MessageTable({ name: 'email_job', keyspace: getMessageTableSpec(EmailJob).keyspace! })
    class AnotherEmailJob extends VitessMessage {}
    return AnotherEmailJob;
  }, 'name', /already the table of message entity EmailJob/, 'AnotherEmailJob');

  rejects(() => {
    @MessageTable({ name: 'bad_typo', ackwait: '1s' } as never)
    class Typo extends VitessMessage {}
    return Typo;
  }, 'ackwait', /is not an option/, 'Typo');

  rejects(() => {
    @MessageTable({ name: 'bad name' })
    class BadName extends VitessMessage {}
    return BadName;
  }, 'name', /must match/);
});

test('a bigint id declared by the user is accepted and replaced by the canonical one', async () => {
  @MessageTable({ name: 'own_bigint_id', keyspace: 'commerce' })
  class OwnId {
    @PrimaryColumn({ type: 'bigint' }) id!: string;
    @Column({ type: 'int' }) n!: number;
    @CreateDateColumn({ name: 'created_at', precision: 6 }) createdAt!: Date;
  }
  const ds = await built(OwnId);
  assert.deepEqual(ds.getMetadata(OwnId).columns.map((c) => c.databaseName), ['id', 'priority', 'epoch', 'time_next', 'time_acked', 'failure_reason', 'enqueued_at', 'failed_at', 'n', 'created_at']);
  const spec = getMessageTableSpec(OwnId);
  assert.deepEqual(spec.payload.map((c) => [c.name, c.sqlType, c.default]), [['n', 'int', undefined], ['created_at', 'datetime(6)', 'CURRENT_TIMESTAMP(6)']]);
  assert.deepEqual(spec.streamed, ['id', 'epoch', 'n', 'created_at']);
});

test('column options the DDL would not carry are refused when the class is defined, naming class and option', () => {
  rejects(() => {
    @MessageTable({ name: 'bad_zerofill' })
    class Zerofill extends VitessMessage {
      @Column({ type: 'int', zerofill: true } as never) n!: number;
    }
    return Zerofill;
  }, 'column n zerofill', /not emitted by TypeORM 1\.x/, 'Zerofill');

  rejects(() => {
    @MessageTable({ name: 'bad_width' })
    class Width extends VitessMessage {
      @Column({ type: 'int', width: 5 } as never) n!: number;
    }
    return Width;
  }, 'column n width', /display widths/, 'Width');

  rejects(() => {
    @MessageTable({ name: 'bad_srid' })
    class Srid extends VitessMessage {
      @Column({ type: 'point', srid: 4326 }) place!: string;
    }
    return Srid;
  }, 'column place srid', /no SRID/, 'Srid');

  rejects(() => {
    @MessageTable({ name: 'bad_primary' })
    class CompositeKey extends VitessMessage {
      @PrimaryColumn({ type: 'int' }) tenant!: number;
    }
    return CompositeKey;
  }, 'column tenant primary', /id alone/, 'CompositeKey');

  rejects(() => {
    @MessageTable({ name: 'bad_generated' })
    class GeneratedUuid extends VitessMessage {
      @Column({ type: 'varchar', length: 36 }) @Generated('uuid') ref!: string;
    }
    return GeneratedUuid;
  }, 'column ref generated', /save\(\)/, 'GeneratedUuid');

  // The spec is resolved later (generate, enqueue); bad generated-column options fail there, still typed.
  @MessageTable({ name: 'bad_generated_default' })
  class GeneratedWithDefault extends VitessMessage {
    @Column({ type: 'int', asExpression: 'id + 1', default: 3 }) n!: number;
  }
  rejects(() => getMessageTableSpec(GeneratedWithDefault), 'column n default', /generated column/, 'GeneratedWithDefault');
  @MessageTable({ name: 'bad_comment' })
  class EmojiComment extends VitessMessage {
    @Column({ type: 'int', comment: 'rocket 🚀' }) n!: number;
  }
  rejects(() => getMessageTableSpec(EmojiComment), 'column n comment', /utf8mb3/, 'EmojiComment');
});

test('two classes of one name on one table: a duplicate unless it is the same class defined again', () => {
  const first = require('../fixtures/duplicate-job-a') as { DuplicateJob: Function };
  // The same module evaluated again (watch mode, a fresh module registry): the same class.
  delete require.cache[require.resolve('../fixtures/duplicate-job-a')];
  const again = require('../fixtures/duplicate-job-a') as { DuplicateJob: Function };
  assert.notEqual(again.DuplicateJob, first.DuplicateJob);
  // The same definition from another file (src/ through ts-node and dist/): the same class.
  const copy = require('../fixtures/duplicate-job-copy') as { DuplicateJob: Function };
  assert.equal(messageTableClasses().filter((c) => c.name === 'DuplicateJob').length, 1, 'one class per table');
  assert.ok(messageTableClasses().includes(copy.DuplicateJob), 'the latest definition is the table\'s class');
  assert.ok(isMessageTable(first.DuplicateJob), 'an earlier definition stays usable');
  assert.deepEqual(getMessageTableSpec(first.DuplicateJob), getMessageTableSpec(copy.DuplicateJob));
  // The same name from another file with another definition: another class.
  rejects(() => require('../fixtures/duplicate-job-b'), 'name', /already the table of message entity DuplicateJob \(.*duplicate-job-copy\.[jt]s\).*this class \(.*duplicate-job-b\.[jt]s\)/, 'DuplicateJob');
});
