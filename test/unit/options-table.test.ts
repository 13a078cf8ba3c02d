/**
 * Table options: defaults, units, validation into typed errors, and the
 * `vitess_message` comment text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors';
import { buildStreamedColumns, buildTableComment, DEFAULT_TABLE_OPTIONS, msToCommentSeconds, resolveTableOptions } from '../../src/core/options';

test('defaults are the measured ones, not Vitess example values', () => {
  const o = resolveTableOptions({});
  assert.deepEqual(o, { ackWaitMs: 30_000, purgeAfterMs: 86_400_000, pollerIntervalMs: 1_000, batchSize: 500, cacheSize: 10_000, maxBackoffMs: 3_600_000, maxAttempts: 25 });
  assert.deepEqual(o, DEFAULT_TABLE_OPTIONS);
  assert.ok(Object.isFrozen(o));
});

test('maxAttempts 0 means unlimited, as for subscribers', () => {
  assert.equal(resolveTableOptions({ maxAttempts: 0 }).maxAttempts, 0);
});

test('durations take milliseconds or strings', () => {
  const o = resolveTableOptions({ ackWait: '1m', purgeAfter: '2d', pollerInterval: 250, minBackoff: '500ms', maxBackoff: '1h', batchSize: 50, cacheSize: 50, maxAttempts: 3 });
  assert.deepEqual(o, { ackWaitMs: 60_000, purgeAfterMs: 172_800_000, pollerIntervalMs: 250, batchSize: 50, cacheSize: 50, minBackoffMs: 500, maxBackoffMs: 3_600_000, maxAttempts: 3 });
});

const bad: Array<[Record<string, unknown>, string, RegExp]> = [
  [{ batchSize: 0 }, 'batchSize', /at least 1/],
  [{ batchSize: 1.5 }, 'batchSize', /integer/],
  [{ cacheSize: 10 }, 'cacheSize', /at least batchSize \(500\)/],
  [{ ackWait: 0 }, 'ackWait', /at least 1 ms/],
  [{ ackWait: '30 seconds' }, 'ackWait', /milliseconds/],
  [{ ackWait: -5 }, 'ackWait', /milliseconds/],
  [{ purgeAfter: 10 }, 'purgeAfter', /at least 1 s/],
  [{ pollerInterval: 1.5 }, 'pollerInterval', /whole number of milliseconds/],
  [{ minBackoff: '2s', maxBackoff: '1s' }, 'maxBackoff', /at least minBackoff/],
  [{ maxAttempts: -1 }, 'maxAttempts', /at least 0/],
  [{ maxAttempts: 2.5 }, 'maxAttempts', /integer/],
];
for (const [input, option, rule] of bad) {
  test(`${JSON.stringify(input)} is rejected on option ${option}`, () => {
    assert.throws(() => resolveTableOptions(input as never, 'EmailJob'), (e: unknown) => {
      assert.ok(e instanceof InvalidOptionError, String(e));
      assert.equal(e.subject, 'EmailJob');
      assert.equal(e.option, option);
      assert.match(e.rule, rule);
      assert.match(e.message, /^EmailJob: option/);
      return true;
    });
  });
}

test('comment: seconds without float noise, no spaces, stable order, epoch and vindex streamed, never our bookkeeping', () => {
  assert.equal(msToCommentSeconds(1500), '1.5');
  assert.equal(msToCommentSeconds(250), '0.25');
  assert.equal(msToCommentSeconds(1), '0.001');
  assert.equal(msToCommentSeconds(86_400_000), '86400');
  const streamed = buildStreamedColumns(['payload', 'failure_reason', 'enqueued_at', 'failed_at', 'customer_id'], 'customer_id');
  assert.deepEqual(streamed, ['id', 'epoch', 'customer_id', 'payload']);
  assert.equal(
    buildTableComment({ streamed, options: resolveTableOptions({ ackWait: 1500, minBackoff: 500, pollerInterval: '0.5s' }) }),
    'vitess_message,vt_ack_wait=1.5,vt_purge_after=86400,vt_batch_size=500,vt_cache_size=10000,vt_poller_interval=0.5,vt_min_backoff=0.5,vt_max_backoff=3600,vt_message_cols=id|epoch|customer_id|payload',
  );
  const c = buildTableComment({ streamed: ['id', 'epoch'], options: resolveTableOptions({}) });
  assert.doesNotMatch(c, /\s/);
  assert.doesNotMatch(c, /failure_reason|enqueued_at|failed_at|vt_min_backoff/);
  assert.doesNotMatch(buildTableComment({ streamed: ['id', 'epoch', 'enqueued_at', 'failed_at', 'p'], options: resolveTableOptions({}) }), /enqueued_at|failed_at/);
});
