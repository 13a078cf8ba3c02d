/**
 * Ids on a table sharded by a business column (`customer_id`), once per client
 * (mysql2, TypeORM, Prisma): the key is `PRIMARY KEY (id)` per shard, so the
 * same id means the same message only with the same vindex value. A repeat is
 * idempotent; another customer's id on the same shard is a DuplicateIdError
 * with nothing written; batched acks touch exactly the (id, customer) pairs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuplicateIdError } from '../../src/core/errors';
import { ack, enqueue, enqueueMany, getMessages } from '../../src/core/operations';
import { countRows, customerShardedTable, mysql2Harness, prismaHarness, typeormHarness, type ExecutorHarness, type TestTable } from '../helpers/producer-harness';
import { closePool, vitess, vtgatePool } from '../helpers/vitess';

const harnesses: Array<() => Promise<ExecutorHarness>> = [async () => mysql2Harness(), typeormHarness, prismaHarness];

after(closePool);

/** Customers A and B on one shard, C on the other: read where probe rows landed, shard by shard. */
let customers: { a: string; b: string; c: string };
before(async () => {
  const t = await customerShardedTable('pv_probe');
  try {
    const db = vtgatePool();
    for (let c = 1; c <= 12; c++) await db.query(`insert into ${t.qualified} (id, customer_id) values (?, ?)`, [c, c]);
    const conn = await db.getConnection();
    const byShard: string[][] = [];
    try {
      for (const shard of ['-80', '80-']) {
        await conn.query(`use \`${vitess.sharded}:${shard}\``);
        const [rows] = await conn.query(`select customer_id from \`${t.table}\` order by customer_id`);
        byShard.push((rows as Array<{ customer_id: string }>).map((r) => String(r.customer_id)));
      }
    } finally {
      conn.destroy(); // its default keyspace was changed
    }
    const [one, other] = byShard[0]!.length >= 2 ? [byShard[0]!, byShard[1]!] : [byShard[1]!, byShard[0]!];
    assert.ok(one.length >= 2 && other.length >= 1, `12 customers over 2 shards: ${JSON.stringify(byShard)}`);
    customers = { a: one[0]!, b: one[1]!, c: other[0]! };
  } finally {
    await t.drop();
  }
});

async function withTable(fn: (t: TestTable) => Promise<void>): Promise<void> {
  const t = await customerShardedTable('pv');
  try {
    await fn(t);
  } finally {
    await t.drop();
  }
}

for (const make of harnesses) {
  const name = make === prismaHarness ? 'prisma' : make === typeormHarness ? 'typeorm' : 'mysql2';
  describe(`ids and vindex values on ${name}`, () => {
    let h: ExecutorHarness;
    const harness = async (): Promise<ExecutorHarness> => (h ??= await make());
    after(async () => h?.close());

    test(`${name}: the same id with the same customer twice is one message, not an error`, async () => {
      const x = await harness();
      await withTable(async (t) => {
        const { a } = customers;
        assert.equal(await enqueue(x.executor(), t.spec, { customerId: a, payload: { v: 1 } }, { id: '77' }), '77');
        assert.equal(await enqueue(x.executor(), t.spec, { customerId: a, payload: { v: 2 } }, { id: '77' }), '77');
        await x.transaction((ex) => enqueueMany(ex, t.spec, [{ id: '77', payload: { customerId: a, payload: { v: 3 } } }, { id: '78', payload: { customerId: a, payload: null } }]));
        assert.equal(await countRows(t.qualified, 'id = 77'), 1);
        const [rows] = await vtgatePool().query(`select cast(payload as char) as p from ${t.qualified} where id = 77`);
        assert.equal((rows as Array<{ p: string }>)[0]!.p, '{"v": 1}', 'the first message is kept');
      });
    });

    test(`${name}: the same id for another customer on the same shard is a DuplicateIdError and writes nothing`, async () => {
      const x = await harness();
      await withTable(async (t) => {
        const { a, b, c } = customers;
        await enqueue(x.executor(), t.spec, { customerId: a, payload: { v: 1 } }, { id: '77' });
        const isDuplicate = (err: unknown): boolean => {
          assert.ok(err instanceof DuplicateIdError, `got ${String(err)}`);
          assert.equal(err.id, '77');
          assert.equal(err.vindexColumn, 'customer_id');
          assert.deepEqual(err.clashes, [{ id: '77', vindexValue: b, existingVindexValues: [a] }]);
          assert.equal(err.table, `${t.keyspace}.${t.table}`);
          return true;
        };
        await assert.rejects(enqueue(x.executor(), t.spec, { customerId: b, payload: { v: 2 } }, { id: '77' }), isDuplicate);
        // A batch spanning both shards is refused whole, in autocommit and in a transaction that then commits.
        const batch = [
          { id: '80', payload: { customerId: a, payload: null } },
          { id: '81', payload: { customerId: c, payload: null } },
          { id: '77', payload: { customerId: b, payload: null } },
        ];
        await assert.rejects(enqueueMany(x.executor(), t.spec, batch), isDuplicate);
        await x.transaction(async (ex) => {
          await assert.rejects(enqueueMany(ex, t.spec, batch), isDuplicate);
          await enqueue(ex, t.spec, { customerId: c, payload: null }, { id: '90' });
        });
        assert.equal(await countRows(t.qualified), 2, 'the first message and the one enqueued after the refusal');
        assert.equal(await countRows(t.qualified, 'id = 77 and customer_id = ?', [a]), 1);
        assert.equal(await countRows(t.qualified, 'id = 90'), 1);
      });
    });

    test(`${name}: the same id for a customer on the other shard is another message`, async () => {
      const x = await harness();
      await withTable(async (t) => {
        const { a, c } = customers;
        await enqueue(x.executor(), t.spec, { customerId: a, payload: null }, { id: '77' });
        await enqueue(x.executor(), t.spec, { customerId: c, payload: null }, { id: '77' });
        assert.equal(await countRows(t.qualified, 'id = 77'), 2);
      });
    });

    test(`${name}: a batched ack of (id, customer) pairs leaves other customers' rows with those ids alone`, async () => {
      const x = await harness();
      await withTable(async (t) => {
        const { a, c } = customers;
        // Ids above 2^53, as decimal strings: one and two each exist for customer A and customer C (other shards).
        const one = (2n ** 62n + 1n).toString();
        const two = (2n ** 62n + 2n).toString();
        for (const [id, customerId] of [[one, a], [one, c], [two, a], [two, c]] as const) {
          await enqueue(x.executor(), t.spec, { customerId, payload: null }, { id });
        }
        assert.equal(await ack(x.executor(), t.spec, [{ id: one, vindexValue: a }, { id: two, vindexValue: c }]), 2);
        assert.equal(await countRows(t.qualified, 'time_acked is not null'), 2);
        assert.equal(await countRows(t.qualified, 'time_acked is null and ((id = ? and customer_id = ?) or (id = ? and customer_id = ?))', [one, c, two, a]), 2);
        const states = await getMessages(x.executor(), t.spec, [{ id: one, vindexValue: c }, { id: two, vindexValue: a }]);
        assert.deepEqual(states.map((s) => s.state), ['pending', 'pending']);
        // A single pair too (MySQL treats a one-pair row IN differently).
        assert.equal(await ack(x.executor(), t.spec, { id: one, vindexValue: c }), 1);
        assert.equal(await countRows(t.qualified, 'time_acked is null'), 1);
      });
    });
  });
}
