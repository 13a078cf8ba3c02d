/**
 * What is particular to Kysely (the shared contract runs in
 * producer-executors): plugins such as CamelCasePlugin do not rename the
 * columns the library reads back, and a pool that returns 64-bit integers as
 * JS numbers is refused with a typed error instead of a rounded id.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CamelCasePlugin, Kysely, MysqlDialect } from 'kysely';
import { createPool } from 'mysql2';
import { fromKysely } from '../../src/adapters/kysely';
import { InvalidOptionError } from '../../src/core/errors';
import { ack, enqueue, getMessages } from '../../src/core/operations';
import { producerTable } from '../helpers/producer-harness';
import { closePool, vitess } from '../helpers/vitess';

after(closePool);

function kysely(bigNumberStrings: boolean): Kysely<Record<string, never>> {
  return new Kysely({
    dialect: new MysqlDialect({ pool: createPool({ uri: vitess.mysqlUrl, supportBigNumbers: bigNumberStrings, bigNumberStrings, connectionLimit: 2 }) }),
    plugins: [new CamelCasePlugin()],
  });
}

test('kysely: a CamelCasePlugin does not rename what the library reads; a pool without bigNumberStrings is refused, not rounded', async () => {
  const t = await producerTable('k_plugin', { ackWaitS: 30 });
  const good = kysely(true);
  const lossy = kysely(false);
  try {
    const big = (2n ** 63n - 25n).toString();
    assert.equal(await enqueue(fromKysely(good), t.spec, { body: { a: 1 } }, { id: big }), big);
    const [status] = await getMessages(fromKysely(good), t.spec, big);
    assert.equal(status!.id, big);
    assert.equal(status!.state, 'pending');
    assert.equal(typeof status!.enqueuedAtNs, 'string', 'enqueued_at read back under its own name');
    // The control: the lossy pool reads the same row as JS numbers.
    await assert.rejects(getMessages(fromKysely(lossy), t.spec, big), (err: unknown) => err instanceof InvalidOptionError && /bigNumberStrings/.test(err.message));
    assert.equal(await ack(fromKysely(good), t.spec, big), 1);
  } finally {
    await good.destroy();
    await lossy.destroy();
    await t.drop();
  }
});
