/**
 * The ORM-free entry points: `vitess-messages/mysql2`, `vitess-messages/prisma`
 * and `vitess-messages/kysely` load neither TypeORM nor the Prisma client nor
 * mysql2 nor kysely; the adapters turn their
 * clients' results into the Executor's shape and refuse what is not a client.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fromKysely } from '../../src/adapters/kysely';
import { fromMysql2 } from '../../src/adapters/mysql2';
import { fromPrisma } from '../../src/adapters/prisma';
import { InvalidOptionError } from '../../src/core/errors';
import { fromEntityManager } from '../../src/typeorm/entity-manager-executor';

function loadedModules(entry: string, esm: boolean): string[] {
  const script = esm
    ? `await import(${JSON.stringify(entry)}); const { createRequire } = await import('node:module'); console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`
    : `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache)));`;
  const res = spawnSync(process.execPath, [esm ? '--input-type=module' : '--input-type=commonjs', '-e', script], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as string[];
}

for (const entry of ['vitess-messages/mysql2', 'vitess-messages/prisma', 'vitess-messages/kysely']) {
  for (const esm of [false, true]) {
    test(`adapter-entries: ${entry} (${esm ? 'import' : 'require'}) loads no ORM and no driver`, () => {
      const modules = loadedModules(entry, esm);
      assert.ok(modules.some((m) => m.includes('/dist/adapters/')), 'the adapter itself was loaded');
      for (const forbidden of ['/node_modules/typeorm/', '/node_modules/@prisma/', '/node_modules/mysql2/', '/node_modules/kysely/']) {
        assert.deepEqual(modules.filter((m) => m.includes(forbidden)), [], `${forbidden} stays unloaded`);
      }
    });
  }
}

test('adapter-entries: the entry points export their adapter and the operations', () => {
  const mysql2 = require('vitess-messages/mysql2') as Record<string, unknown>;
  const prisma = require('vitess-messages/prisma') as Record<string, unknown>;
  const kysely = require('vitess-messages/kysely') as Record<string, unknown>;
  for (const name of ['enqueue', 'enqueueMany', 'ack', 'nack', 'fail', 'retry', 'extend', 'listFailed', 'getMessages', 'counts', 'purgeFailed', 'get']) {
    assert.equal(typeof mysql2[name], 'function', `mysql2 ${name}`);
    assert.equal(mysql2[name], prisma[name], `one copy of ${name}`);
    assert.equal(mysql2[name], kysely[name], `one copy of ${name}`);
  }
  assert.equal(typeof mysql2.fromMysql2, 'function');
  assert.equal(typeof prisma.fromPrisma, 'function');
  assert.equal(typeof kysely.fromKysely, 'function');
});

test('adapter-mysql2: passes values as parameters with 64-bit integers as strings; maps rows and write headers', async () => {
  const calls: unknown[] = [];
  const fake = {
    async query(options: unknown): Promise<[unknown, unknown]> {
      calls.push(options);
      return (options as { sql: string }).sql.startsWith('select') ? [[{ id: '1' }], []] : [{ affectedRows: 3 }, undefined];
    },
  };
  const ex = fromMysql2(fake);
  assert.deepEqual(await ex.query('select ?', ['x']), { rows: [{ id: '1' }], affectedRows: 0 });
  assert.deepEqual(await ex.query('update t set a = ?', [1]), { rows: [], affectedRows: 3 });
  assert.deepEqual(calls[0], { sql: 'select ?', values: ['x'], supportBigNumbers: true, bigNumberStrings: true });
  // A callback-API object is used through its promise() wrapper.
  const ex2 = fromMysql2({ promise: () => fake });
  assert.equal((await ex2.query('update t', [])).affectedRows, 3);
  assert.throws(() => fromMysql2(null as never), InvalidOptionError);
  assert.throws(() => fromMysql2({} as never), InvalidOptionError);
});

test('adapter-prisma: reads go to $queryRawUnsafe, writes to $executeRawUnsafe, values spread as parameters', async () => {
  const calls: Array<[string, string, unknown[]]> = [];
  const fake = {
    async $executeRawUnsafe(sql: string, ...values: unknown[]) { calls.push(['execute', sql, values]); return 2; },
    async $queryRawUnsafe(sql: string, ...values: unknown[]) { calls.push(['query', sql, values]); return [{ id: 5n }]; },
  };
  const ex = fromPrisma(fake);
  assert.deepEqual(await ex.query('select `id` from t where id = ?', ['5']), { rows: [{ id: 5n }], affectedRows: 0 });
  assert.deepEqual(await ex.query('update t set a = ? where id in (?, ?)', [1, '2', '3']), { rows: [], affectedRows: 2 });
  assert.deepEqual(calls, [['query', 'select `id` from t where id = ?', ['5']], ['execute', 'update t set a = ? where id in (?, ?)', [1, '2', '3']]]);
  assert.throws(() => fromPrisma({ $executeRawUnsafe: fake.$executeRawUnsafe } as never), InvalidOptionError);
});

test('adapter-kysely: raw compiled queries with values as parameters, plugins bypassed, numAffectedRows read as a count', async () => {
  const calls: Array<{ sql: string; parameters: readonly unknown[]; query: { kind: string } }> = [];
  const unplugged = {
    async executeQuery(q: { sql: string; parameters: readonly unknown[] }) {
      calls.push(q as (typeof calls)[number]);
      return q.sql.startsWith('select') ? { rows: [{ time_next: '1' }] } : { rows: [], numAffectedRows: 3n };
    },
  };
  const withPlugins = {
    executeQuery: async () => ({ rows: [{ timeNext: '1' }] }),
    withoutPlugins: () => unplugged,
  };
  const ex = fromKysely(withPlugins);
  assert.deepEqual(await ex.query('select `time_next` from t where id = ?', ['5']), { rows: [{ time_next: '1' }], affectedRows: 0 });
  assert.deepEqual(await ex.query('update t set a = ? where id in (?, ?)', [1, '2', '3']), { rows: [], affectedRows: 3 });
  assert.deepEqual(calls.map((c) => [c.sql, c.parameters, c.query.kind]), [
    ['select `time_next` from t where id = ?', ['5'], 'RawNode'],
    ['update t set a = ? where id in (?, ?)', [1, '2', '3'], 'RawNode'],
  ]);
  // A write result without numAffectedRows (a statement that affects nothing) counts 0.
  assert.equal((await fromKysely({ executeQuery: async () => ({ rows: [] }) }).query('update t', [])).affectedRows, 0);
  assert.throws(() => fromKysely(null as never), InvalidOptionError);
  assert.throws(() => fromKysely({} as never), InvalidOptionError);
});

test('adapter-typeorm: an EntityManager result and a QueryRunner structured result both map to the Executor shape', async () => {
  const manager = { query: async (sql: string) => (sql.startsWith('select') ? [{ n: 1 }] : { affectedRows: 4 }), withRepository: () => undefined };
  assert.deepEqual(await fromEntityManager(manager).query('select 1', []), { rows: [{ n: 1 }], affectedRows: 0 });
  assert.deepEqual(await fromEntityManager(manager).query('update t', []), { rows: [], affectedRows: 4 });
  const runner = {
    manager: {},
    connection: {},
    query: async (_sql: string, _p: unknown, structured: true) => (structured ? { raw: { affectedRows: 2 }, records: [] } : undefined),
  };
  assert.deepEqual(await fromEntityManager(runner as never).query('update t', []), { rows: [], affectedRows: 2 });
  assert.throws(() => fromEntityManager({} as never), InvalidOptionError);
});
