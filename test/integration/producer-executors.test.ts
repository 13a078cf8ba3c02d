/**
 * The producer operations on the real 2-shard Vitess, once per client: mysql2,
 * TypeORM (EntityManager) and Prisma 7 (interactive transactions). Each test owns
 * its message table and watches deliveries over gRPC.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { InvalidOptionError, PayloadTooLongError, PayloadValidationError } from '../../src/core/errors';
import { ack, enqueue, enqueueMany, fail, getMessages, listFailed, nack, retry } from '../../src/core/operations';
import { TableStream } from '../helpers/stream-table';
import {
  businessTable, countRows, mysql2Harness, prismaHarness, producerTable, typeormHarness, type ExecutorHarness, type TestTable,
} from '../helpers/producer-harness';
import { closePool, vtgatePool } from '../helpers/vitess';

const harnesses: Array<() => Promise<ExecutorHarness>> = [async () => mysql2Harness(), typeormHarness, prismaHarness];

after(closePool);

/** A fresh table and a stream on it for one test; both cleaned up after. */
async function withTable(prefix: string, fn: (t: TestTable, stream: TableStream) => Promise<void>, options = {}): Promise<void> {
  const t = await producerTable(prefix, options);
  const stream = await TableStream.open(t.keyspace, t.table);
  try {
    await fn(t, stream);
  } finally {
    await stream.close();
    await t.drop();
  }
}

for (const make of harnesses) {
  // The name is known only once the harness exists; describe() needs it now.
  const name = make === prismaHarness ? 'prisma' : make === typeormHarness ? 'typeorm' : 'mysql2';
  describe(`producer on ${name}`, () => {
    let h: ExecutorHarness;
    const harness = async (): Promise<ExecutorHarness> => (h ??= await make());
    after(async () => h?.close());

    test(`${name}: enqueue in a transaction that throws writes nothing; one that commits is delivered once`, async () => {
      const x = await harness();
      await withTable('p_tx', async (t, stream) => {
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
        await stream.waitFor((s) => s.counts().get(committed) === 1, 10_000, 'the committed message');
        assert.equal(await ack(x.executor(), t.spec, committed), 1);
        // The unacked control comes back after the ack wait: by then an unacked
        // committed message would have too.
        await stream.waitFor((s) => (s.counts().get(control) ?? 0) >= 2, 15_000, 'the control to come back');
        assert.equal(stream.counts().get(committed), 1);
        assert.deepEqual(stream.deliveries.find((d) => d.row.id === committed)!.row.body, { n: 2 });
        assert.equal(stream.counts().has(rolledBack), false);
        assert.equal(await countRows(t.qualified, 'id = ?', [rolledBack]), 0, 'no row for the rolled-back message');
        await ack(x.executor(), t.spec, control);
      });
    });

    test(`${name}: enqueueMany of 1,000 lands on both shards and every message is delivered`, async () => {
      const x = await harness();
      await withTable('p_many', async (t, stream) => {
        const items = Array.from({ length: 1000 }, (_, i) => ({ payload: { body: { i } } }));
        const ids = await x.transaction((ex) => enqueueMany(ex, t.spec, items));
        assert.equal(new Set(ids).size, 1000);
        await stream.waitFor((s) => ids.every((id) => s.counts().has(id)), 30_000, 'all 1,000 messages');
        for (const shard of ['-80', '80-']) {
          const conn = await vtgatePool().getConnection();
          try {
            await conn.query(`use \`${t.keyspace}:${shard}\``);
            const [rows] = await conn.query(`select count(*) as n from \`${t.table}\``);
            assert.ok(Number((rows as Array<{ n: string }>)[0]!.n) > 100, `shard ${shard} holds a good share`);
          } finally {
            await conn.query(`use \`${t.keyspace}\``);
            conn.release();
          }
        }
        assert.equal(await ack(x.executor(), t.spec, ids), 1000, 'ack counts the messages it acked');
        assert.equal(await ack(x.executor(), t.spec, ids), 0, 'acking acked messages changes nothing');
      }, { batchSize: 500 });
    });

    test(`${name}: an ack in the same transaction as a business write is undone by its rollback`, async () => {
      const x = await harness();
      const biz = await businessTable('p_biz');
      try {
        await withTable('p_ack_tx', async (t, stream) => {
          const id = await enqueue(x.executor(), t.spec, { body: { order: 7 } });
          await stream.waitFor((s) => s.counts().get(id) === 1, 10_000, 'the first delivery');
          await assert.rejects(x.transaction(async (ex) => {
            await ex.query(`insert into ${biz.qualified} (id, label) values (?, ?)`, ['7', 'shipped']);
            assert.equal(await ack(ex, t.spec, id), 1);
            throw new Error('handler failed after the ack');
          }), /handler failed/);
          await stream.waitFor((s) => (s.counts().get(id) ?? 0) >= 2, 15_000, 'the message to come back');
          assert.equal(await countRows(biz.qualified), 0);
          await x.transaction(async (ex) => {
            await ex.query(`insert into ${biz.qualified} (id, label) values (?, ?)`, ['7', 'shipped']);
            assert.equal(await ack(ex, t.spec, id), 1);
          });
          const [status] = await getMessages(x.executor(), t.spec, id);
          assert.equal(status!.state, 'acked');
          assert.equal(await countRows(biz.qualified), 1);
        });
      } finally {
        await biz.drop();
      }
    });

    test(`${name}: nack redelivers promptly; a nack of a failed message leaves it failed`, async () => {
      const x = await harness();
      // A long ack wait: a redelivery within seconds can only be the nack's doing.
      await withTable('p_nack', async (t, stream) => {
        const [a, b] = await enqueueMany(x.executor(), t.spec, [{ payload: { body: { k: 'a' } } }, { payload: { body: { k: 'b' } } }]);
        await stream.waitFor((s) => s.counts().get(a!) === 1 && s.counts().get(b!) === 1, 10_000, 'first deliveries');
        const first = stream.deliveries.find((d) => d.row.id === a)!;
        assert.equal(await nack(x.executor(), t.spec, { id: a!, epoch: String(first.row.epoch) }), 1);
        await stream.waitFor((s) => (s.counts().get(a!) ?? 0) >= 2, 10_000, 'the nacked message again');
        const again = stream.deliveries.filter((d) => d.row.id === a);
        assert.equal(again[1]!.row.epoch, '1', 'the nack kept the epoch; the redelivery counts one more');

        assert.equal(await fail(x.executor(), t.spec, { id: b!, epoch: '0' }, { reason: 'bad input' }), 1);
        assert.equal(await nack(x.executor(), t.spec, b!), 0, 'a nack does not touch a failed message');
        const [status] = await getMessages(x.executor(), t.spec, b!);
        assert.equal(status!.state, 'failed');
        assert.equal(status!.reason, 'bad input');
        await ack(x.executor(), t.spec, [a!]);
      }, { ackWaitS: 30 });
    });

    test(`${name}: a failed message stays away across several ack waits while a control comes back; retry brings it back with epoch 0`, async () => {
      const x = await harness();
      await withTable('p_fail', async (t, stream) => {
        const [failed, control] = await enqueueMany(x.executor(), t.spec, [{ payload: { body: { k: 'f' } } }, { payload: { body: { k: 'c' } } }]);
        await stream.waitFor((s) => s.counts().has(failed!) && s.counts().has(control!), 10_000, 'first deliveries');
        assert.equal(await fail(x.executor(), t.spec, { id: failed!, epoch: 0 }, { reason: 'Error: boom' }), 1);
        assert.equal(await fail(x.executor(), t.spec, failed!, { reason: 'again' }), 0, 'failing a failed message changes nothing');
        await stream.waitFor((s) => (s.counts().get(control!) ?? 0) >= 3, 20_000, 'the control three times');
        assert.equal(stream.counts().get(failed!), 1, 'the failed message was not sent again');

        const page = await listFailed(x.executor(), t.spec);
        assert.deepEqual(page.messages.map((m) => [m.id, m.reason, m.epoch]), [[failed!, 'Error: boom', '1']]);
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
    });

    test(`${name}: ids above 2^53 are exact, and the same id twice keeps one message`, async () => {
      const x = await harness();
      await withTable('p_ids', async (t, stream) => {
        const big = (2n ** 63n - 7n).toString();
        const odd = (2n ** 53n + 1n).toString();
        assert.equal(await enqueue(x.executor(), t.spec, { body: { v: 1 } }, { id: big }), big);
        assert.equal(await enqueue(x.executor(), t.spec, { body: { v: 2 } }, { id: BigInt(big) }), big, 'a duplicate is not an error');
        assert.equal(await enqueue(x.executor(), t.spec, { body: { v: 3 } }, { id: odd }), odd);
        await stream.waitFor((s) => s.counts().has(big) && s.counts().has(odd), 10_000, 'both messages');
        assert.equal(await countRows(t.qualified, 'id = ?', [big]), 1);
        assert.deepEqual(stream.deliveries.find((d) => d.row.id === big)!.row.body, { v: 1 }, 'the first message is kept');
        assert.equal(stream.counts().has((2n ** 53n).toString()), false, 'no precision loss');
        const statuses = await getMessages(x.executor(), t.spec, [big, odd]);
        assert.deepEqual(statuses.map((s) => s.id).sort(), [odd, big].sort());
        assert.equal(await ack(x.executor(), t.spec, [big, odd]), 2);
      });
    });

    test(`${name}: a payload too long for its column is an error and nothing is written`, async () => {
      const x = await harness();
      await withTable('p_long', async (t) => {
        const err = await enqueue(x.executor(), t.spec, { note: 'x'.repeat(9) }).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof PayloadTooLongError, `got ${String(err)}`);
        assert.equal(err.column, 'note');
        assert.ok(err.cause instanceof Error);
        assert.match(err.stack ?? '', /producer-executors/, 'the stack is the caller\'s');
        await assert.rejects(
          enqueueMany(x.executor(), t.spec, [{ payload: { body: { a: 1 }, note: 'short' } }, { payload: { body: {}, note: 'far too long' } }]),
          PayloadTooLongError,
        );
        assert.equal(await countRows(t.qualified), 0);
      });
    });

    test(`${name}: bad input is a typed error before any SQL; SQL-looking strings travel as data`, async () => {
      const x = await harness();
      await withTable('p_bad', async (t, stream) => {
        const ex = x.executor();
        await assert.rejects(enqueue(ex, t.spec, { body: {}, nope: 1 } as object), (e: unknown) => e instanceof PayloadValidationError && e.problems[0]!.property === 'nope');
        await assert.rejects(enqueue(ex, t.spec, { note: 5 } as object), (e: unknown) => e instanceof PayloadValidationError && e.problems[0]!.property === 'note');
        await assert.rejects(enqueue(ex, t.spec, { body: 1n } as object), PayloadValidationError);
        await assert.rejects(enqueue(ex, t.spec, {}, { id: 12 as unknown as string }), InvalidOptionError);
        await assert.rejects(enqueue(ex, t.spec, {}, { id: `1; drop table ${t.table}` }), InvalidOptionError);
        await assert.rejects(enqueue(ex, t.spec, {}, { priority: 500 }), InvalidOptionError);
        await assert.rejects(enqueue(ex, t.spec, {}, { delay: 'soon' as '1s' }), InvalidOptionError);
        await assert.rejects(ack(ex, t.spec, `0 or 1=1`), InvalidOptionError);
        await assert.rejects(nack(ex, t.spec, { id: '1', epoch: '-1' }), InvalidOptionError);
        await assert.rejects(enqueue(ex, { ...t.spec, table: `${t.table}\`; drop table x; --` }, {}), InvalidOptionError);
        assert.equal(await countRows(t.qualified), 0, 'nothing written');

        const evil = `'); drop table ${t.table}; --`;
        const id = await enqueue(ex, t.spec, { body: { text: evil, quote: '\\"' }, note: "'--" });
        await stream.waitFor((s) => s.counts().has(id), 10_000, 'the message with SQL-looking data');
        const row = stream.deliveries.find((d) => d.row.id === id)!.row;
        assert.deepEqual(row.body, { text: evil, quote: '\\"' });
        assert.equal(row.note, "'--");
        assert.equal(await countRows(t.qualified), 1, 'the table is still there, with one row');
        await ack(ex, t.spec, id);
      });
    });
  });
}

