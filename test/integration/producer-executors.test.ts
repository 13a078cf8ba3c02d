/**
 * The producer operations on the real 2-shard Vitess, once per client (mysql2,
 * TypeORM's EntityManager, Prisma 7 interactive transactions, Kysely's MySQL
 * dialect) and once per way
 * a user defines a table (a `@MessageTable` entity, `defineMessageTable`), each
 * table created by the library's own DDL. Deliveries are watched over gRPC;
 * where rows live is read from the shard databases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidOptionError, PayloadTooLongError, PayloadValidationError } from '../../src/core/errors';
import { ack, enqueue, enqueueMany, fail, getMessages, listFailed, nack, retry } from '../../src/core/operations';
import { countByShard } from '../helpers/count-by-shard';
import { TableStream } from '../helpers/stream-table';
import {
  businessTable, countRows, kyselyHarness, mysql2Harness, prismaHarness, producerTable, TABLE_ORIGINS, typeormHarness,
  type ExecutorHarness, type ProducerTableOptions, type TableOrigin, type TestTable,
} from '../helpers/producer-harness';
import { closePool } from '../helpers/vitess';

const harnesses: ReadonlyArray<readonly [string, () => Promise<ExecutorHarness>]> = [
  ['mysql2', async () => mysql2Harness()],
  ['typeorm', typeormHarness],
  ['prisma', prismaHarness],
  ['kysely', async () => kyselyHarness()],
];

after(closePool);

/** A table and a stream on it, shared by the tests of one suite (each test uses its own messages). */
interface Watched {
  readonly t: TestTable;
  readonly stream: TableStream;
}

async function watched(prefix: string, origin: TableOrigin, options: ProducerTableOptions = {}): Promise<Watched> {
  const t = await producerTable(prefix, { ...options, origin });
  try {
    return { t, stream: await TableStream.open(t.keyspace, t.table) };
  } catch (err) {
    await t.drop();
    throw err;
  }
}

async function unwatch(w: Watched | undefined): Promise<void> {
  if (!w) return;
  await w.stream.close();
  await w.t.drop();
}

/** `id in (?, ?, …)` for per-shard counts of a batch. */
function idIn(ids: readonly string[]): string {
  return `id in (${ids.map(() => '?').join(', ')})`;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

for (const [name, make] of harnesses) {
  // The two table origins run side by side (their tests wait on ack waits, not on CPU).
  describe(`producer on ${name}`, { concurrency: 2 }, () => {
    let made: Promise<ExecutorHarness> | undefined;
    const harness = (): Promise<ExecutorHarness> => (made ??= make());
    after(async () => (await made)?.close());

    for (const origin of TABLE_ORIGINS) {
      const label = `${name}/${origin}`;
      describe(`${name} on a table from ${origin === 'entity' ? 'a @MessageTable entity' : 'defineMessageTable'}`, { concurrency: 1 }, () => {
        // Ack wait 1 s: tests that wait for a redelivery. Ack wait 30 s: tests
        // where a redelivery within seconds must be the library's doing, or
        // where redeliveries are noise. All DDL happens here, up front: DDL
        // while a test waits for a redelivery delays the tablet's message
        // managers by seconds.
        let fast: Watched | undefined;
        let slow: Watched | undefined;
        let biz: Awaited<ReturnType<typeof businessTable>> | undefined;
        before(async () => {
          // allSettled: when one fails, the others are still closed in after() (an open stream would keep the file running).
          const [f, s, b] = await Promise.allSettled([watched('p_fast', origin), watched('p_slow', origin, { ackWaitS: 30 }), businessTable('p_biz')]);
          fast = f.status === 'fulfilled' ? f.value : undefined;
          slow = s.status === 'fulfilled' ? s.value : undefined;
          biz = b.status === 'fulfilled' ? b.value : undefined;
          for (const r of [f, s, b]) if (r.status === 'rejected') throw r.reason;
        });
        after(async () => {
          await Promise.all([unwatch(fast), unwatch(slow), biz?.drop()]);
        });

        test(`${label}: enqueue in a transaction that throws writes nothing; one that commits is delivered once`, async () => {
          const x = await harness();
          const { t, stream } = fast!;
          let rolledBack = '';
          await assert.rejects(
            x.transaction(async (ex) => {
              rolledBack = await enqueue(ex, t.spec, { body: { n: 1 } });
              throw new Error('business rule failed');
            }),
            /business rule failed/,
          );
          const [committed, control] = await x.transaction(async (ex) => [
            await enqueue(ex, t.spec, { body: { n: 2 }, note: 'ok' }),
            await enqueue(ex, t.spec, { body: { n: 3 } }),
          ]);
          // The suite's first message on a new table: under load the tablet can
          // take seconds to start the table's message manager.
          await stream.waitFor((s) => s.counts().get(committed) === 1, 20_000, 'the committed message');
          assert.equal(await ack(x.executor(), t.spec, committed), 1);
          // The unacked control comes back after the ack wait: by then an unacked
          // committed message would have too.
          await stream.waitFor((s) => (s.counts().get(control) ?? 0) >= 2, 15_000, 'the control to come back');
          assert.equal(stream.counts().get(committed), 1);
          assert.deepEqual(stream.deliveries.find((d) => d.row.id === committed)!.row.body, { n: 2 });
          assert.equal(stream.counts().has(rolledBack), false);
          assert.equal(await countRows(t.qualified, 'id = ?', [rolledBack]), 0, 'no row for the rolled-back message');
          assert.equal(await countRows(t.qualified, 'id in (?, ?)', [committed, control]), 2, 'the committed pair is there');
          await ack(x.executor(), t.spec, control);
        });

        test(`${label}: enqueueMany of 1,000 lands on both shards, every message is delivered, and an ack of all acks each shard's rows`, async () => {
          const x = await harness();
          const { t, stream } = fast!;
          const items = Array.from({ length: 1000 }, (_, i) => ({ payload: { body: { i } } }));
          const ids = await x.transaction((ex) => enqueueMany(ex, t.spec, items));
          assert.equal(new Set(ids).size, 1000);
          await stream.waitFor((s) => ids.every((id) => s.counts().has(id)), 30_000, 'all 1,000 messages');
          const placed = await countByShard(t.keyspace, t.table, idIn(ids), ids);
          assert.equal(sum(placed), 1000, 'each message is on exactly one shard');
          for (const [shard, n] of Object.entries(placed)) assert.ok(n > 100, `shard ${shard} holds a good share (${n})`);
          assert.equal(await ack(x.executor(), t.spec, ids), 1000, 'ack counts the messages it acked');
          assert.deepEqual(await countByShard(t.keyspace, t.table, `${idIn(ids)} and time_acked is not null and time_next is null`, ids), placed, 'every shard acked all of its rows');
          assert.equal(await ack(x.executor(), t.spec, ids), 0, 'acking acked messages changes nothing');
        });

        test(`${label}: an ack in the same transaction as a business write is undone by its rollback`, async () => {
          const x = await harness();
          const { t, stream } = fast!;
          const business = biz!.qualified;
          const id = await enqueue(x.executor(), t.spec, { body: { order: 7 } });
          await stream.waitFor((s) => s.counts().get(id) === 1, 10_000, 'the first delivery');
          await assert.rejects(x.transaction(async (ex) => {
            await ex.query(`insert into ${business} (id, label) values (?, ?)`, ['7', 'shipped']);
            assert.equal(await ack(ex, t.spec, id), 1);
            throw new Error('handler failed after the ack');
          }), /handler failed/);
          await stream.waitFor((s) => (s.counts().get(id) ?? 0) >= 2, 15_000, 'the message to come back');
          assert.equal(await countRows(business), 0);
          assert.equal((await getMessages(x.executor(), t.spec, id))[0]!.state, 'pending');
          await x.transaction(async (ex) => {
            await ex.query(`insert into ${business} (id, label) values (?, ?)`, ['7', 'shipped']);
            assert.equal(await ack(ex, t.spec, id), 1);
          });
          const [status] = await getMessages(x.executor(), t.spec, id);
          assert.equal(status!.state, 'acked');
          assert.equal(await countRows(business), 1);
        });

        test(`${label}: nack redelivers promptly; a nack of a failed message leaves it failed`, async () => {
          const x = await harness();
          // A 30 s ack wait: a redelivery within seconds can only be the nack's doing.
          const { t, stream } = slow!;
          const [a, b] = await enqueueMany(x.executor(), t.spec, [{ payload: { body: { k: 'a' } } }, { payload: { body: { k: 'b' } } }]);
          // The first messages on this suite's new slow table (see above).
          await stream.waitFor((s) => s.counts().get(a!) === 1 && s.counts().get(b!) === 1, 20_000, 'first deliveries');
          const first = stream.deliveries.find((d) => d.row.id === a)!;
          assert.equal(await nack(x.executor(), t.spec, { id: a!, epoch: Number(first.row.epoch) }), 1);
          await stream.waitFor((s) => (s.counts().get(a!) ?? 0) >= 2, 10_000, 'the nacked message again');
          const again = stream.deliveries.filter((d) => d.row.id === a);
          assert.equal(again[1]!.row.epoch, '1', 'the nack kept the epoch; the redelivery counts one more');

          assert.equal(await fail(x.executor(), t.spec, { id: b!, epoch: 0 }, { reason: 'bad input' }), 1);
          assert.equal(await nack(x.executor(), t.spec, b!), 0, 'a nack does not touch a failed message');
          const [status] = await getMessages(x.executor(), t.spec, b!);
          assert.equal(status!.state, 'failed');
          assert.equal(status!.reason, 'bad input');
          await ack(x.executor(), t.spec, [a!]);
        });

        test(`${label}: a failed message stays away across several ack waits while a control comes back; retry brings it back with epoch 0`, async () => {
          const x = await harness();
          const { t, stream } = fast!;
          const [failed, control] = await enqueueMany(x.executor(), t.spec, [{ payload: { body: { k: 'f' } } }, { payload: { body: { k: 'c' } } }]);
          await stream.waitFor((s) => s.counts().has(failed!) && s.counts().has(control!), 10_000, 'first deliveries');
          assert.equal(await fail(x.executor(), t.spec, { id: failed!, epoch: 0 }, { reason: 'Error: boom' }), 1);
          assert.equal(await fail(x.executor(), t.spec, failed!, { reason: 'again' }), 0, 'failing a failed message changes nothing');
          await stream.waitFor((s) => (s.counts().get(control!) ?? 0) >= 3, 20_000, 'the control three times');
          assert.equal(stream.counts().get(failed!), 1, 'the failed message was not sent again');

          const page = await listFailed(x.executor(), t.spec);
          assert.deepEqual(page.messages.map((m) => [m.id, m.reason, m.epoch]), [[failed!, 'Error: boom', 1]]);
          assert.deepEqual(page.messages[0]!.payload, { body: { k: 'f' }, note: null });
          assert.equal(page.next, undefined);

          assert.equal(await retry(x.executor(), t.spec, failed!), 1);
          assert.equal(await retry(x.executor(), t.spec, failed!), 0, 'retry only revives failed messages');
          await stream.waitFor((s) => (s.counts().get(failed!) ?? 0) >= 2, 10_000, 'the retried message');
          assert.equal(stream.deliveries.filter((d) => d.row.id === failed).at(-1)!.row.epoch, '0');
          const [status] = await getMessages(x.executor(), t.spec, failed!);
          assert.equal(status!.reason, null);
          await ack(x.executor(), t.spec, [failed!, control!]);
        });

        test(`${label}: ids above 2^53 are exact, and the same id twice keeps one message`, async () => {
          const x = await harness();
          const { t, stream } = slow!;
          const big = (2n ** 63n - 7n).toString();
          const odd = (2n ** 53n + 1n).toString();
          assert.equal(await enqueue(x.executor(), t.spec, { body: { v: 1 } }, { id: big }), big);
          assert.equal(await enqueue(x.executor(), t.spec, { body: { v: 2 } }, { id: BigInt(big) }), big, 'a duplicate is not an error');
          assert.equal(await enqueue(x.executor(), t.spec, { body: { v: 3 } }, { id: odd }), odd);
          await stream.waitFor((s) => s.counts().has(big) && s.counts().has(odd), 10_000, 'both messages');
          assert.equal(sum(await countByShard(t.keyspace, t.table, 'id = ?', [big])), 1, 'one row, on one shard');
          assert.deepEqual(stream.deliveries.find((d) => d.row.id === big)!.row.body, { v: 1 }, 'the first message is kept');
          assert.equal(stream.counts().has((2n ** 53n).toString()), false, 'no precision loss');
          const statuses = await getMessages(x.executor(), t.spec, [big, odd]);
          assert.deepEqual(statuses.map((s) => s.id).sort(), [odd, big].sort());
          assert.equal(await ack(x.executor(), t.spec, [big, odd]), 2);
        });

        test(`${label}: a payload too long for its column is an error and nothing is written`, async () => {
          const x = await harness();
          const { t } = slow!;
          const before = await countRows(t.qualified);
          const err = await enqueue(x.executor(), t.spec, { note: 'x'.repeat(9) }).then(() => undefined, (e: unknown) => e);
          assert.ok(err instanceof PayloadTooLongError, `got ${String(err)}`);
          assert.equal(err.column, 'note');
          assert.ok(err.cause instanceof Error);
          assert.match(err.stack ?? '', /producer-executors/, 'the stack is the caller\'s');
          await assert.rejects(
            enqueueMany(x.executor(), t.spec, [{ payload: { body: { a: 1 }, note: 'short' } }, { payload: { body: {}, note: 'far too long' } }]),
            PayloadTooLongError,
          );
          assert.equal(await countRows(t.qualified), before);
          // The control: a note that fits is written.
          const id = await enqueue(x.executor(), t.spec, { note: 'x'.repeat(8) });
          assert.equal(await countRows(t.qualified), before + 1);
          await ack(x.executor(), t.spec, id);
        });

        test(`${label}: bad input is a typed error before any SQL; SQL-looking strings travel as data`, async () => {
          const x = await harness();
          const { t, stream } = slow!;
          const ex = x.executor();
          const before = await countRows(t.qualified);
          await assert.rejects(enqueue(ex, t.spec, { body: {}, nope: 1 } as object), (e: unknown) => e instanceof PayloadValidationError && e.problems[0]!.property === 'nope');
          await assert.rejects(enqueue(ex, t.spec, { note: 5 } as object), (e: unknown) => e instanceof PayloadValidationError && e.problems[0]!.property === 'note');
          await assert.rejects(enqueue(ex, t.spec, { body: 1n } as object), PayloadValidationError);
          await assert.rejects(enqueue(ex, t.spec, {}, { id: 12 as unknown as string }), InvalidOptionError);
          await assert.rejects(enqueue(ex, t.spec, {}, { id: `1; drop table ${t.table}` }), InvalidOptionError);
          await assert.rejects(enqueue(ex, t.spec, {}, { priority: 500 }), InvalidOptionError);
          await assert.rejects(enqueue(ex, t.spec, {}, { delay: 'soon' as '1s' }), InvalidOptionError);
          await assert.rejects(ack(ex, t.spec, `0 or 1=1`), InvalidOptionError);
          await assert.rejects(nack(ex, t.spec, { id: '1', epoch: -1 }), InvalidOptionError);
          await assert.rejects(enqueue(ex, { ...t.spec, table: `${t.table}\`; drop table x; --` }, {}), InvalidOptionError);
          assert.equal(await countRows(t.qualified), before, 'nothing written');

          const evil = `'); drop table ${t.table}; --`;
          const id = await enqueue(ex, t.spec, { body: { text: evil, quote: '\\"' }, note: "'--" });
          await stream.waitFor((s) => s.counts().has(id), 10_000, 'the message with SQL-looking data');
          const row = stream.deliveries.find((d) => d.row.id === id)!.row;
          assert.deepEqual(row.body, { text: evil, quote: '\\"' });
          assert.equal(row.note, "'--");
          assert.equal(await countRows(t.qualified), before + 1, 'the table is still there, with one more row');
          await ack(ex, t.spec, id);
        });
      });
    }
  });
}
