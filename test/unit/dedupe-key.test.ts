/**
 * Dedupe keys: the documented hash from a key to a message id, and the checks
 * of `key` before any SQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineMessageTable } from '../../src/core/define';
import { InvalidOptionError } from '../../src/core/errors';
import type { Executor, SqlParam } from '../../src/core/executor';
import { idFromKey, MAX_KEY_BYTES } from '../../src/core/ids';
import { enqueue, enqueueMany } from '../../src/core/operations';
import { clearRepeatMark } from '../../src/core/sql/enqueue';

const spec = defineMessageTable({ table: 'keyed', keyspace: 'commerce', columns: { note: { type: 'varchar(8)', nullable: true } } });

function recorder(): { executor: Executor; calls: Array<{ sql: string; params: readonly SqlParam[] }> } {
  const calls: Array<{ sql: string; params: readonly SqlParam[] }> = [];
  return { calls, executor: { query: async (sql, params) => (calls.push({ sql, params }), { rows: [], affectedRows: 1 }) } };
}

test('dedupe key: the id is SHA-256("vitess-messages:key:" + key), first 8 bytes big-endian, mod 2^63 - 1, plus 1', () => {
  // 0x850c884bacf45c6e is above 2^63: the modulo keeps it a positive int64.
  assert.equal(idFromKey('order-42:receipt'), '363815528515787888');
  assert.equal(idFromKey('ключ ✓'), '3836721667247680421', 'UTF-8 bytes');
  assert.equal(idFromKey('order-42:receipt'), idFromKey('order-42:receipt'));
  assert.notEqual(idFromKey('order-42:receipt'), idFromKey('order-43:receipt'));
});

test('dedupe key: the INSERT carries the key\'s id', async () => {
  const r = recorder();
  assert.equal(await enqueue(r.executor, spec, { note: 'a' }, { key: 'order-42:receipt' }), '363815528515787888');
  assert.equal(r.calls[0]!.params[0], '363815528515787888');
  const ids = await enqueueMany(r.executor, spec, [{ payload: {}, key: 'a' }, { payload: {} }]);
  assert.equal(ids[0], idFromKey('a'));
  assert.notEqual(ids[1], idFromKey('a'));
});

test('dedupe key: an empty, too long, ill-formed or non-string key, or one with an id, is refused before any SQL', async () => {
  const r = recorder();
  const bad: unknown[] = ['', 'x'.repeat(MAX_KEY_BYTES + 1), 'é'.repeat(MAX_KEY_BYTES / 2 + 1), 'a\uD800b', 42, null];
  for (const key of bad) {
    await assert.rejects(enqueue(r.executor, spec, {}, { key: key as string }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'key', String(key));
  }
  await assert.rejects(enqueue(r.executor, spec, {}, { key: 'k', id: '1' }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'key');
  await assert.rejects(enqueueMany(r.executor, spec, [{ payload: {}, key: 'k', id: 1n }]), InvalidOptionError);
  assert.equal(r.calls.length, 0);
  assert.equal(idFromKey('x'.repeat(MAX_KEY_BYTES)).length > 0, true, 'the limit itself is allowed');
});

test('repeat mark: enqueued_at is read back with its lowest bit cleared', () => {
  assert.equal(clearRepeatMark('1796125076071478001'), '1796125076071478000');
  assert.equal(clearRepeatMark('1796125076071478000'), '1796125076071478000');
});
