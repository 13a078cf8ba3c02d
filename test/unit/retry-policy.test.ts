import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RetryLaterError, UnrecoverableError } from '../../src/core/errors';
import type { Backoff } from '../../src/subscriber/backoff';
import { afterHandlerError } from '../../src/subscriber/retry-policy';

const backoff: Backoff = { base: 100, max: '1s', jitter: 0 };

test('retry policy: unrecoverable → fail at once; the attempt limit → fail with the attempt; retry-later → its delay; else the backoff from the epoch', () => {
  assert.deepEqual(afterHandlerError(new UnrecoverableError('bad payload'), 1, 25, backoff), { fail: 'UnrecoverableError: bad payload' });
  assert.deepEqual(afterHandlerError(new Error('boom'), 3, 3, backoff), { fail: 'attempt 3 of 3 failed: Error: boom' });
  assert.deepEqual(afterHandlerError(new RetryLaterError('rate limited', 2_500), 2, 3, backoff), { nackDelayMs: 2_500 });
  assert.deepEqual(afterHandlerError(new RetryLaterError('rate limited', '2.5s'), 2, 3, backoff), { nackDelayMs: 2_500 });
  assert.deepEqual(afterHandlerError(new Error('boom'), 1, 0, backoff), { nackDelayMs: 100 }, 'maxAttempts 0 = unlimited');
  assert.deepEqual(afterHandlerError(new Error('boom'), 3, 0, backoff), { nackDelayMs: 400 });
  assert.deepEqual(afterHandlerError(new Error('boom'), 20, 0, backoff), { nackDelayMs: 1_000 }, 'capped at max');
  assert.deepEqual(afterHandlerError('a string', 1, 5, backoff), { nackDelayMs: 100 });
});

test('retry policy: a failure reason is cut to the failure_reason column in utf8mb4 bytes, whichever path fails it', () => {
  const huge = '😀'.repeat(100_000);
  for (const next of [afterHandlerError(new UnrecoverableError(huge), 1, 25, backoff), afterHandlerError(new Error(huge), 3, 3, backoff)]) {
    assert.ok('fail' in next);
    assert.ok(Buffer.byteLength(next.fail) <= 65_535 && next.fail.endsWith('😀…'));
  }
});
