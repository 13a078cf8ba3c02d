/**
 * The queue handle on the real 2-shard Vitess: `messageQueue(spec, { executor })`
 * over mysql2 (and Prisma for `inserted`) and `messageQueue(Entity, { dataSource })`
 * over TypeORM — enqueue inside a transaction through `with(…)` (commit and
 * rollback), subscribe through the handle, and dedupe keys: the same key twice
 * is one message, and the second enqueue says it was not new, without
 * delivering the message again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Column, type DataSource } from 'typeorm';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { defineMessageTable } from '../../src/core/define';
import { InvalidOptionError } from '../../src/core/errors';
import { idFromKey } from '../../src/core/ids';
import { messageQueue } from '../../src/queue-handle';
import { MessageTable } from '../../src/typeorm/message-table';
import { messageQueue as entityQueue } from '../../src/typeorm/queue-handle';
import { getMessageTableSpec } from '../../src/typeorm/registry';
import { VitessMessage } from '../../src/typeorm/vitess-message';
import { countRows, createFromSpec, prismaHarness, typeormDataSource, type TestTable } from '../helpers/producer-harness';
import { closePool, uniqueName, vitess, vtgatePool, waitUntil } from '../helpers/vitess';

const tableOptions = { ackWait: '1s', minBackoff: '500ms', pollerInterval: '500ms', batchSize: 100 } as const;

function emailTable(table: string) {
  return defineMessageTable({
    table,
    keyspace: vitess.sharded,
    columns: { recipient: 'varchar(320)', body: { type: 'json', nullable: true } },
    ...tableOptions,
  });
}

after(() => closePool());

describe('messageQueue(spec, { executor }) over mysql2', () => {
  let t: TestTable;
  const spec = emailTable(uniqueName('qh_mysql2'));
  const pool = vtgatePool();
  const jobs = messageQueue(spec, { executor: fromMysql2(pool), address: vitess.grpcAddr });

  before(async () => {
    t = await createFromSpec(spec);
  });
  after(() => t.drop());

  async function inTransaction<T>(fn: (tx: typeof jobs) => Promise<T>, outcome: 'commit' | 'rollback'): Promise<T> {
    const conn = await pool.getConnection();
    try {
      await conn.beginTransaction();
      const out = await fn(jobs.with(fromMysql2(conn)));
      await (outcome === 'commit' ? conn.commit() : conn.rollback());
      return out;
    } finally {
      conn.release();
    }
  }

  test('with(connection) enqueues in that transaction: committed messages exist, rolled-back ones do not', async () => {
    const kept = await inTransaction((tx) => tx.enqueue({ recipient: 'kept@example.com' }), 'commit');
    const lost = await inTransaction((tx) => tx.enqueue({ recipient: 'lost@example.com', body: { x: 1 } }), 'rollback');
    assert.equal(kept.inserted, true);
    assert.equal(lost.inserted, true, 'new inside its transaction');
    assert.equal(await countRows(t.qualified, 'id = ?', [kept.id]), 1);
    assert.equal(await countRows(t.qualified, 'id = ?', [lost.id]), 0);
    assert.notEqual(jobs.with(fromMysql2(pool)), jobs, 'with() returns a copy');
    assert.ok(Object.isFrozen(jobs));
    await jobs.ack(kept.id);
  });

  test('a dedupe key twice is one message; the repeat reports inserted: false, keeps the first payload and enqueued_at', async () => {
    const key = `order-${uniqueName('k')}:receipt`;
    const first = await jobs.enqueue({ recipient: 'first@example.com' }, { key });
    assert.deepEqual(first, { id: idFromKey(key), inserted: true });
    const [before] = await jobs.getMessages(first.id);
    for (const recipient of ['second@example.com', 'third@example.com']) {
      assert.deepEqual(await jobs.enqueue({ recipient }, { key }), { id: first.id, inserted: false }, recipient);
    }
    // A repeat inside a transaction that rolls back is not new either, and leaves the message as it was.
    assert.deepEqual(await inTransaction((tx) => tx.enqueue({ recipient: 'tx@example.com' }, { key }), 'rollback'), { id: first.id, inserted: false });
    assert.equal(await countRows(t.qualified, 'id = ?', [first.id]), 1);
    const [rows] = await pool.query(`select recipient from ${t.qualified} where id = ?`, [first.id]);
    assert.deepEqual(rows, [{ recipient: 'first@example.com' }]);
    const [afterRepeats] = await jobs.getMessages(first.id);
    assert.equal(afterRepeats!.enqueuedAtNs, before!.enqueuedAtNs, 'enqueued_at is the first one, as read back');
    assert.equal(afterRepeats!.epoch, 0);
    // An explicit id repeats the same way.
    const id = `${BigInt(first.id) ^ 1n}`;
    assert.deepEqual(await jobs.enqueue({ recipient: 'a@example.com' }, { id }), { id, inserted: true });
    assert.deepEqual(await jobs.enqueue({ recipient: 'a@example.com' }, { id }), { id, inserted: false });
    await jobs.ack([first.id, id]);
    assert.deepEqual(await jobs.enqueue({ recipient: 'again@example.com' }, { key }), { id: first.id, inserted: false }, 'an acked message is still that message until purged');
    const got = await jobs.get(first.id);
    assert.deepEqual([got?.state, got?.payload.recipient, got?.enqueuedAtNs], ['acked', 'first@example.com', before!.enqueuedAtNs]);
    assert.equal(typeof (await jobs.counts()).acked, 'number');
    assert.equal(await jobs.purgeFailed({ olderThan: '1d' }), 0);
  });

  test('subscribe through the handle: its address is the default; a repeat of a message never delivers it again', async () => {
    const seen = new Map<string, number>();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const key = `held-${uniqueName('k')}`;
    const keyedId = idFromKey(key);
    const worker = jobs.subscribe(async (job, ctx) => {
      assert.equal(typeof job.recipient, 'string');
      seen.set(job.id, (seen.get(job.id) ?? 0) + 1);
      if (job.id === keyedId && ctx.epoch === 0) await held;
    }, { concurrency: 4 });
    try {
      assert.equal((await jobs.enqueue({ recipient: 'held@example.com' }, { key })).inserted, true);
      await waitUntil(() => seen.has(keyedId), 15_000, 'the keyed message delivered');
      // Repeats while it is being handled (sent, postponed) …
      assert.equal((await jobs.enqueue({ recipient: 'held@example.com' }, { key })).inserted, false);
      release();
      await waitUntil(async () => (await jobs.getMessages(keyedId))[0]?.state === 'acked', 15_000, 'the keyed message acked');
      // … and after it was acked.
      assert.equal((await jobs.enqueue({ recipient: 'held@example.com' }, { key })).inserted, false);
      // Later messages on both shards are delivered; by then the repeats' row events were read too.
      const later = await jobs.enqueueMany(Array.from({ length: 20 }, (_, i) => ({ payload: { recipient: `later${i}@example.com` } })));
      await waitUntil(() => later.every((id) => seen.has(id)), 15_000, 'the later messages delivered');
      assert.equal(seen.get(keyedId), 1, 'the keyed message was handled once');
    } finally {
      await worker.close({ timeout: '5s' });
    }
  });

  test('bad handle options are typed errors', () => {
    assert.throws(() => messageQueue(spec, { executor: undefined as never }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'executor');
    assert.throws(() => messageQueue(spec, { executor: fromMysql2(pool), adress: 'x' } as never), (err: unknown) => err instanceof InvalidOptionError && err.option === 'adress');
    assert.throws(() => jobs.subscribe(() => undefined, { concurency: 2 } as never), (err: unknown) => err instanceof InvalidOptionError && err.option === 'concurency');
    assert.throws(() => jobs.with({} as never), (err: unknown) => err instanceof InvalidOptionError && err.option === 'executor');
  });
});

test('messageQueue over Prisma: the repeat of a key reports inserted: false too', async () => {
  const spec = emailTable(uniqueName('qh_prisma'));
  const t = await createFromSpec(spec);
  const prisma = await prismaHarness();
  try {
    const key = `p-${uniqueName('k')}`;
    const results = await prisma.transaction(async (tx) => {
      const q = messageQueue(spec, { executor: tx });
      return [await q.enqueue({ recipient: 'a@example.com' }, { key }), await q.enqueue({ recipient: 'b@example.com' }, { key })];
    });
    assert.deepEqual(results, [{ id: idFromKey(key), inserted: true }, { id: idFromKey(key), inserted: false }]);
    assert.deepEqual(await messageQueue(spec, { executor: prisma.executor() }).enqueue({ recipient: 'c@example.com' }, { key }), { id: idFromKey(key), inserted: false });
    assert.equal(await countRows(t.qualified), 1);
  } finally {
    await prisma.close();
    await t.drop();
  }
});

describe('messageQueue(Entity, { dataSource }) over TypeORM', () => {
  const table = uniqueName('qh_typeorm');

  @MessageTable({ name: table, keyspace: vitess.sharded, ...tableOptions })
  class HandleJob extends VitessMessage {
    @Column('varchar', { length: 320 })
    recipient!: string;

    @Column('json', { nullable: true })
    body!: { text: string } | null;
  }

  let ds: DataSource;
  let t: TestTable;

  before(async () => {
    ds = await typeormDataSource([HandleJob]);
    t = await createFromSpec(getMessageTableSpec(HandleJob, ds));
  });
  after(async () => {
    await t.drop();
    await ds.destroy();
  });

  test('with(manager) inside dataSource.transaction: committed or rolled back with it; keys dedupe', async () => {
    const jobs = entityQueue(HandleJob, { dataSource: ds, address: vitess.grpcAddr });
    const kept = await ds.transaction((m) => jobs.with(m).enqueue({ recipient: 'kept@example.com', body: { text: 'hi' } }));
    let lost = '';
    await assert.rejects(ds.transaction(async (m) => {
      lost = (await jobs.with(m).enqueue({ recipient: 'lost@example.com', body: null })).id;
      throw new Error('roll back');
    }), /roll back/);
    assert.equal(kept.inserted, true);
    assert.equal(await countRows(t.qualified, 'id = ?', [kept.id]), 1);
    assert.equal(await countRows(t.qualified, 'id = ?', [lost]), 0);

    const key = `order-${uniqueName('k')}`;
    const first = await ds.transaction((m) => jobs.with(m).enqueue({ recipient: 'k@example.com', body: null }, { key }));
    const again = await jobs.enqueue({ recipient: 'k@example.com', body: null }, { key });
    assert.deepEqual([first, again], [{ id: idFromKey(key), inserted: true }, { id: idFromKey(key), inserted: false }]);
    assert.throws(() => jobs.with({} as never), InvalidOptionError);
    // The bound copy names its manager and is frozen; the handle reads the DataSource's at each access.
    await ds.transaction(async (m) => {
      const bound = jobs.with(m);
      assert.equal(bound.manager, m);
      assert.ok(Object.isFrozen(bound));
      assert.throws(() => Object.assign(bound, { manager: ds.manager }), TypeError);
    });
    assert.equal(jobs.manager, ds.manager);
    await jobs.ack([kept.id, first.id]);
  });

  test('subscribe through the entity handle hands out entities with the handle\'s defaults', async () => {
    const jobs = entityQueue(HandleJob, { dataSource: ds, address: vitess.grpcAddr, concurrency: 2 });
    const { id } = await jobs.enqueue({ recipient: 'sub@example.com', body: { text: 'streamed' } });
    const got = new Map<string, HandleJob['body']>();
    const worker = jobs.subscribe(async (job) => {
      assert.ok(job instanceof HandleJob);
      got.set(job.id, job.body);
    });
    try {
      await waitUntil(() => got.has(id), 15_000, 'the message delivered');
      assert.deepEqual(got.get(id), { text: 'streamed' });
      await waitUntil(async () => (await jobs.getMessages(id))[0]?.state === 'acked', 15_000, 'acked by the handle\'s subscriber');
    } finally {
      await worker.close({ timeout: '5s' });
    }
  });
});
