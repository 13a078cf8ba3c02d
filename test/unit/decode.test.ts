import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRow, decodeValue, parseDateTime, RowDecodeError, splitRow } from '../../src/core/decode';

const row = (cells: Array<string | Buffer | null>) => {
  const bufs = cells.map((c) => (c === null ? null : Buffer.isBuffer(c) ? c : Buffer.from(c, 'utf8')));
  return { lengths: bufs.map((b) => (b === null ? '-1' : String(b.length))), values: Buffer.concat(bufs.filter((b): b is Buffer => b !== null)) };
};

test('splitRow: lengths cut the concatenated values; -1 is NULL and takes no bytes', () => {
  assert.deepEqual(splitRow(row(['12', null, 'abc', ''])).map((b) => b?.toString() ?? null), ['12', null, 'abc', '']);
});

test('int64 stays exact: string by default, bigint on request, never a number', () => {
  const big = '9223372036854775807';
  assert.equal(decodeValue('INT64', Buffer.from(big)), big);
  assert.equal(decodeValue('UINT64', Buffer.from('18446744073709551615'), { int64: 'bigint' }), 18446744073709551615n);
});

test('types decode as TypeORM hydrates them', () => {
  assert.equal(decodeValue('INT8', Buffer.from('-5')), -5);
  assert.equal(decodeValue('FLOAT64', Buffer.from('1.5')), 1.5);
  assert.equal(decodeValue('DECIMAL', Buffer.from('12345678901234567890.0123456789')), '12345678901234567890.0123456789');
  assert.deepEqual(decodeValue('JSON', Buffer.from('{"a":[1,{"b":"ü🎉"}]}')), { a: [1, { b: 'ü🎉' }] });
  assert.equal(decodeValue('VARCHAR', Buffer.from('emoji 🎉')), 'emoji 🎉');
  assert.deepEqual(decodeValue('BLOB', Buffer.from([0, 255, 1])), Buffer.from([0, 255, 1]));
  assert.equal(decodeValue('JSON', null), null);
});

test('datetime text becomes a local-time Date with microseconds truncated to ms', () => {
  const d = parseDateTime('2024-02-29 13:14:15.123456') as Date;
  assert.deepEqual([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()], [2024, 1, 29, 13, 14, 15, 123]);
  assert.equal(parseDateTime('0000-00-00 00:00:00'), '0000-00-00 00:00:00');
});

test('decodeRow keys values by field name', () => {
  const fields = [{ name: 'id', type: 'INT64' }, { name: 'epoch', type: 'INT64' }, { name: 'payload', type: 'JSON' }];
  assert.deepEqual(decodeRow(fields, row(['7', '0', '{"x":1}'])), { id: '7', epoch: '0', payload: { x: 1 } });
});

test('a value that cannot be decoded throws RowDecodeError naming its column', () => {
  const fields = [{ name: 'id', type: 'INT64' }, { name: 'payload', type: 'JSON' }];
  assert.throws(() => decodeRow(fields, row(['12', '{not json'])), (err: unknown) => err instanceof RowDecodeError && err.column === 'payload' && /^column payload could not be read: SyntaxError: /.test(err.message));
});
