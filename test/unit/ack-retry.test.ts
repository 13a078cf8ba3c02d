import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckWriteError, VitessMessagesError } from '../../src/core/errors';
import { ACK_RETRY_MAX_MS, ACK_RETRY_MIN_MS, ackRetryDelayMs, ackRetryVerdict } from '../../src/subscriber/ack-retry';

test('ack retry: the pause doubles from 100 ms and stays at 1 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map(ackRetryDelayMs), [100, 200, 400, 800, 1_000, 1_000, 1_000]);
  assert.equal(ackRetryDelayMs(0), ACK_RETRY_MIN_MS, 'a nonsense count is the first retry');
  assert.equal(ackRetryDelayMs(Number.MAX_SAFE_INTEGER), ACK_RETRY_MAX_MS);
});

test('ack retry: kept until the ack wait has passed since the first failure, then dropped (unset ack wait = 30 s)', () => {
  assert.equal(ackRetryVerdict(1_000, 1_000, 5_000), 'retry');
  assert.equal(ackRetryVerdict(1_000, 5_999, 5_000), 'retry');
  assert.equal(ackRetryVerdict(1_000, 6_000, 5_000), 'drop');
  assert.equal(ackRetryVerdict(0, 29_999, 0), 'retry');
  assert.equal(ackRetryVerdict(0, 30_000, 0), 'drop');
});

test('ack retry: one AckWriteError per failed batch names the table, the count and what happens to them', () => {
  const cause = new Error('connect ECONNREFUSED 127.0.0.1:27307');
  const e = new AckWriteError('email_job', 120, 100, 20, cause);
  assert.ok(e instanceof VitessMessagesError);
  assert.equal(e.name, 'AckWriteError');
  assert.deepEqual([e.table, e.count, e.retrying, e.dropped, e.cause], ['email_job', 120, 100, 20, cause]);
  assert.equal(e.message, 'ack of 120 email_job messages failed (connect ECONNREFUSED 127.0.0.1:27307); 100 kept and retried, 20 dropped after the ack wait: they come back');
  assert.equal(new AckWriteError('t', 3, 3, 0, 'x').message, 'ack of 3 t messages failed (x); 3 kept and retried');
});
