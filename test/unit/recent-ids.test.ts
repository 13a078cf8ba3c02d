import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentIds } from '../../src/subscriber/recent-ids';

test('recent ids: a repeat within the last `capacity` ids is seen, an older one may be forgotten, each id counts once per repeat', () => {
  const recent = new RecentIds(3);
  assert.equal(recent.seen('a'), false);
  assert.equal(recent.seen('a'), true);
  for (const id of ['b', 'c', 'd', 'e']) assert.equal(recent.seen(id), false);
  // The last 3 (c, d, e) are always remembered, whatever the generations hold.
  for (const id of ['c', 'd', 'e']) assert.equal(recent.seen(id), true);
  // Beyond twice the capacity an id is forgotten: seen as new again.
  for (const id of ['f', 'g', 'h', 'i', 'j', 'k', 'l']) recent.seen(id);
  assert.equal(recent.seen('a'), false);
});

test('recent ids: a seen id moves to the newest, so a hot id is never forgotten', () => {
  const recent = new RecentIds(2);
  recent.seen('hot');
  for (let i = 0; i < 50; i++) {
    recent.seen(`x${i}`);
    assert.equal(recent.seen('hot'), true, `after x${i}`);
  }
});

test('recent ids: the capacity is a positive integer', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new RecentIds(bad), RangeError);
});
