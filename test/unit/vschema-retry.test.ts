/** A vschema change that raced another is run again; other errors are not retried. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryStaleVschema } from '../../src/core/vschema-retry';

const stale = () => new Error("failed to update vschema as the session's version was stale; please try again");

test('vschema-retry: runs again while vtgate says stale, never on another error, and gives up after the attempts', async () => {
  let calls = 0;
  assert.equal(await retryStaleVschema(async () => (++calls < 3 ? Promise.reject(stale()) : 'done')), 'done');
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(retryStaleVschema(async () => { calls++; throw new Error('VT05005: table not found'); }), /VT05005/);
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(retryStaleVschema(async () => { calls++; throw stale(); }, 2), /stale/);
  assert.equal(calls, 2);
});
