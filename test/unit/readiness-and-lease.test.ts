/**
 * The pure parts of the subscriber's lifecycle: when `waitUntilReady()` is
 * answered (Readiness) and how `autoExtend` renews leases (LeaseRenewer), on
 * mocked timers.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { ConnectError, StreamError } from '../../src/core/errors';
import { LeaseRenewer } from '../../src/subscriber/lease-renewal';
import { Readiness } from '../../src/subscriber/readiness';

const refused = new StreamError('connect ECONNREFUSED', 'UNAVAILABLE', true, 'jobs');

test('Readiness: resolves on the first packet; rejects with a ConnectError after `attempts` failed opens in a row, at once afterwards', async () => {
  const r = new Readiness('jobs', 'vtgate:15991', 3);
  const first = r.wait();
  r.opened();
  await first;
  await r.wait(); // open: at once
  // An open stream that ends is not a failed open; two failed opens are not three.
  r.down(true, undefined, false);
  let settled = false;
  const second = r.wait().then(() => (settled = true), (e: unknown) => e);
  r.down(false, refused, false);
  r.down(false, refused, false);
  await Promise.resolve();
  assert.equal(settled, false);
  r.down(false, refused, false);
  const err = await second;
  assert.ok(err instanceof ConnectError);
  assert.deepEqual([err.table, err.address, err.attempts, err.cause], ['jobs', 'vtgate:15991', 3, refused]);
  assert.match(err.message, /jobs via vtgate:15991 could not be opened \(3 failed attempts in a row\): connect ECONNREFUSED/);
  await assert.rejects(r.wait(), ConnectError, 'still failing: at once');
  r.opened();
  await r.wait();
});

test('Readiness: a final failure rejects at once, whatever the count; rejectAll answers waiters', async () => {
  const r = new Readiness('jobs', '(transport)', 5);
  const w = r.wait();
  const fatal = new StreamError('table not found', 'NOT_FOUND', false, 'jobs');
  r.down(false, fatal, true);
  await assert.rejects(w, (e: unknown) => e instanceof ConnectError && e.cause === fatal && e.attempts === 1);
  const r2 = new Readiness('jobs', '(transport)', 5);
  const w2 = r2.wait();
  r2.rejectAll(new Error('closed'));
  await assert.rejects(w2, /closed/);
});

test('LeaseRenewer: extends every everyMs, one at a time; a no-change extend does not end it; stop and done() do', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    const flush = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    const results = [false, true, true];
    let calls = 0;
    let extended = 0;
    let done = false;
    const renewer = new LeaseRenewer<string>({
      everyMs: 500,
      extend: async () => results[calls++] ?? true,
      done: () => done,
      extended: () => void extended++,
      failed: () => assert.fail('no failure expected'),
    });
    renewer.start('a');
    mock.timers.tick(499);
    await flush();
    assert.equal(calls, 0);
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(500);
      await flush();
    }
    assert.deepEqual([calls, extended], [3, 2], 'the first (no row changed) did not end it');
    done = true;
    mock.timers.tick(500);
    await flush();
    assert.equal(calls, 3, 'done(): no more');
    renewer.stop('a');

    let failures = 0;
    calls = 0;
    const failing = new LeaseRenewer<string>({
      everyMs: 100,
      extend: async () => {
        calls++;
        throw new Error('executor down');
      },
      done: () => false,
      extended: () => undefined,
      failed: () => void failures++,
    });
    failing.start('b');
    for (let i = 0; i < 2; i++) {
      mock.timers.tick(100);
      await flush();
    }
    assert.deepEqual([calls, failures], [2, 2], 'a failed extend is reported and tried again');
    failing.stop('b');
    mock.timers.tick(1_000);
    await flush();
    assert.equal(calls, 2, 'stopped');
  } finally {
    mock.timers.reset();
  }
});

test('LeaseRenewer: keys share one timer yet each is renewed everyMs after its own start; stopping one leaves the others', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    const flush = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    const extendedAt: Array<[string, number]> = [];
    let now = 0;
    const renewer = new LeaseRenewer<string>({
      everyMs: 500,
      extend: async (key) => {
        extendedAt.push([key, now]);
        return true;
      },
      done: () => false,
      extended: () => undefined,
      failed: () => assert.fail('no failure expected'),
    });
    const advance = async (ms: number) => {
      for (let i = 0; i < ms / 100; i++) {
        now += 100;
        mock.timers.tick(100);
        await flush();
      }
    };
    renewer.start('a');
    await advance(200);
    renewer.start('b');
    renewer.start('c');
    await advance(100);
    renewer.stop('c'); // finished before its first renewal
    await advance(600);
    assert.deepEqual(extendedAt, [['a', 500], ['b', 700]]);
    renewer.stop('a');
    await advance(500);
    assert.deepEqual(extendedAt, [['a', 500], ['b', 700], ['b', 1200]], 'b goes on alone; c and a never again');
    renewer.stop('b');
    await advance(1_000);
    assert.equal(extendedAt.length, 3, 'all stopped');
  } finally {
    mock.timers.reset();
  }
});
