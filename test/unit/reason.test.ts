import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipReason, MAX_REASON_BYTES } from '../../src/core/reason';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

test('clipReason: short text unchanged; long text cut by utf8mb4 bytes to the TEXT column, ending in …', () => {
  assert.equal(clipReason('boom'), 'boom');
  const ascii = 'x'.repeat(MAX_REASON_BYTES);
  assert.equal(clipReason(ascii), ascii, 'exactly the column size fits');
  const over = clipReason('x'.repeat(MAX_REASON_BYTES + 1));
  assert.equal(bytes(over), MAX_REASON_BYTES);
  assert.ok(over.endsWith('x…'));
  // 21,845 × 'é' = 43,690 bytes (fits); 40,000 × 'é' (80,000 bytes) does not.
  assert.equal(clipReason('é'.repeat(21_845)), 'é'.repeat(21_845));
  const accents = clipReason('é'.repeat(40_000));
  assert.match(accents, /^é+…$/);
  assert.ok(bytes(accents) <= MAX_REASON_BYTES && bytes(accents) >= MAX_REASON_BYTES - 4);
});

test('clipReason: never splits an emoji (a surrogate pair, 4 bytes); lone surrogates become U+FFFD', () => {
  for (const lead of ['', 'a', 'ab', 'abc']) {
    const cut = clipReason(lead + '😀'.repeat(20_000));
    assert.match(cut.slice(lead.length), /^(😀)+…$/u, `after ${lead.length} ASCII bytes`);
    assert.ok(bytes(cut) <= MAX_REASON_BYTES && bytes(cut) > MAX_REASON_BYTES - 7);
    assert.equal(Buffer.from(cut, 'utf8').toString('utf8'), cut, 'well formed');
  }
  assert.equal(clipReason('a\ud800b'), 'a\ufffdb');
  assert.equal(clipReason('a\udc00'), 'a\ufffd');
  assert.equal(clipReason('\ud83d\ude00\ud83d'), '😀\ufffd');
  assert.equal(clipReason('x'.repeat(10), 8), 'xxxxx…', 'maxBytes is the whole, ellipsis included');
});
