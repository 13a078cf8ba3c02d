/**
 * The package is one CommonJS build with ESM entry points that re-export it:
 * `import` and `require` must see the same module objects (one entity registry),
 * and the main entry must not load TypeORM or Prisma.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const load = new Function('s', 'return import(s)') as (s: string) => Promise<Record<string, unknown>>;

for (const entry of ['vitess-messages', 'vitess-messages/typeorm', 'vitess-messages/mysql2', 'vitess-messages/prisma', 'vitess-messages/kysely']) {
  test(`import and require of ${entry} give the same exports, one module state`, async () => {
    const esm = await load(entry);
    const cjs = require(entry) as Record<string, unknown>;
    const names = Object.keys(cjs).filter((k) => k !== '__esModule');
    assert.ok(names.length > 0);
    for (const name of names) assert.equal(esm[name], cjs[name], name);
    assert.equal(esm.default, cjs);
  });
}

test('the main entry loads neither TypeORM nor Prisma', () => {
  const res = spawnSync(process.execPath, ['-e', "require('vitess-messages'); console.log(JSON.stringify(Object.keys(require.cache)))"], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const modules = JSON.parse(res.stdout) as string[];
  assert.ok(modules.some((m) => m.includes('/dist/index.js')));
  for (const forbidden of ['/node_modules/typeorm/', '/node_modules/@prisma/']) {
    assert.deepEqual(modules.filter((m) => m.includes(forbidden)), [], forbidden);
  }
});
