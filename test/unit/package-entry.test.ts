/**
 * The package is one CommonJS build with ESM entry points that re-export it:
 * `import` and `require` must see the same module objects (one entity registry).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

const load = new Function('s', 'return import(s)') as (s: string) => Promise<Record<string, unknown>>;

test('import and require of vitess-messages give the same exports, one module state', async () => {
  const esm = await load('vitess-messages');
  const cjs = require('vitess-messages') as Record<string, unknown>;
  const names = Object.keys(cjs).filter((k) => k !== '__esModule');
  assert.ok(names.length > 10);
  for (const name of names) assert.equal(esm[name], cjs[name], name);
  assert.equal(esm.default, cjs);
});
