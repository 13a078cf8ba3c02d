/**
 * A misspelt option name is refused on every call, naming the valid ones,
 * before any statement runs: `{ dealy: '3s' }` would otherwise queue the
 * message due now.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors';
import type { Executor } from '../../src/core/executor';
import { ack, enqueue, enqueueMany, extend, fail, getMessages, listFailed, nack, retry } from '../../src/core/operations';
import { counts, get, purgeFailed } from '../../src/core/queue-admin';
import type { MessageTableSpec } from '../../src/core/spec';
import { Queue } from '../../src/queue';
import { recorder } from '../helpers/recorder';

const spec: MessageTableSpec = {
  table: 't',
  keyspace: 'ks',
  payload: [{ name: 'body', property: 'body', sqlType: 'json', nullable: true }],
  streamed: ['id', 'epoch', 'body'],
  options: { ackWaitMs: 1000, purgeAfterMs: 1000, pollerIntervalMs: 1000, batchSize: 1, cacheSize: 1 },
};


const refused = (option: string, known: string, rule = 'is not an option') => (err: unknown): boolean => {
  assert.ok(err instanceof InvalidOptionError, `got ${String(err)}`);
  assert.equal(err.option, option);
  assert.match(err.message, new RegExp(`${rule.replace(/[()]/g, '\\$&')} \\(known: ${known}`));
  return true;
};

/** A former `…Ms` name: refused, naming its new name. */
const renamed = (option: string, now: string, known: string) => refused(option, known, `was renamed '${now}' (milliseconds or a string like '30s')`);

test('option-names: every producer call refuses a misspelt option, listing the valid names, before any SQL', async () => {
  const ex = recorder();
  const o = (v: object) => v as never;
  await assert.rejects(enqueue(ex, spec, { body: 1 }, o({ dealy: '3s' })), refused('dealy', 'id, deliverAt, delay, deliverAtNs, priority, key, validate, entity'));
  await assert.rejects(enqueueMany(ex, spec, [{ payload: { body: 1 } }], o({ chunksize: 2 })), refused('chunksize', 'chunkSize, validate, entity'));
  await assert.rejects(enqueueMany(ex, spec, [{ payload: { body: 1 } }, o({ payload: { body: 2 }, priorty: 1 })]), refused('priorty', 'payload, id, deliverAt'));
  await assert.rejects(nack(ex, spec, '1', o({ dealy: 5 })), refused('dealy', 'deliverAt, delay, deliverAtNs, raceWait'));
  await assert.rejects(nack(ex, spec, '1', o({ delayMs: 5 })), renamed('delayMs', 'delay', 'deliverAt, delay, deliverAtNs, raceWait'));
  await assert.rejects(fail(ex, spec, '1', o({ reasons: 'x' })), refused('reasons', 'reason, raceWait'));
  await assert.rejects(fail(ex, spec, '1', o({ raceWaitMs: 5 })), renamed('raceWaitMs', 'raceWait', 'reason, raceWait'));
  await assert.rejects(extend(ex, spec, '1', o({ by: '1s', racewait: 1 })), refused('racewait', 'by, raceWait'));
  await assert.rejects(extend(ex, spec, '1', o({ by: '1s', raceWaitMs: 1 })), renamed('raceWaitMs', 'raceWait', 'by, raceWait'));
  await assert.rejects(listFailed(ex, spec, o({ limt: 5 })), refused('limt', 'after, limit'));
  // A message ref is an options object too: a lost epoch would drop the race guard.
  for (const op of [ack, retry, getMessages, (e: Executor, s: MessageTableSpec, r: never) => nack(e, s, r)]) {
    await assert.rejects(op(ex, spec, o({ id: '1', epoc: 0 })), refused('epoc', 'id, epoch, vindexValue'));
  }
  await assert.rejects(enqueue(ex, spec, { body: 1 }, '3s' as never), (e: unknown) => e instanceof InvalidOptionError && e.option === 'options');
  assert.deepEqual(ex.calls, []);
  // The valid names still work.
  await enqueue(ex, spec, { body: 1 }, { delay: '3s', priority: 1 });
  assert.equal(ex.calls.length, 1);
});

test('option-names: the seed Queue refuses misspelt options of its constructor, open, get and close', async () => {
  assert.throws(() => new Queue('q', ['body'], { keyspce: 'ks' } as never), refused('keyspce', 'keyspace, vindexColumn, fieldTypes'));
  const q = new Queue('q', ['body']);
  assert.throws(() => q.open('127.0.0.1:1', 'ks', { maxConcurent: 1 } as never), refused('maxConcurent', 'executor, maxConcurrent, grpc'));
  await assert.rejects(q.get({ signl: undefined } as never), refused('signl', 'signal'));
  await assert.rejects(q.close({ timeoutMs: 1 } as never), renamed('timeoutMs', 'timeout', 'timeout'));
  await assert.rejects(q.close({ timeout: '1 s' as never }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'timeout');
});

test('option-names: counts, purgeFailed and get refuse misspelt or missing options before any SQL', async () => {
  const ex = recorder();
  const o = (v: object) => v as never;
  await assert.rejects(counts(ex, spec, o({ perShard: true })), refused('perShard', 'openConnection'));
  await assert.rejects(purgeFailed(ex, spec, o({ olderThan: '7d', includeUnknown: true })), refused('includeUnknown', 'olderThan, includeUnknownAge'));
  await assert.rejects(purgeFailed(ex, spec, o({})), (e: unknown) => e instanceof InvalidOptionError && e.option === 'olderThan');
  await assert.rejects(purgeFailed(ex, spec, o({ olderThan: '7 days' })), (e: unknown) => e instanceof InvalidOptionError && e.option === 'olderThan');
  await assert.rejects(purgeFailed(ex, spec, o({ olderThan: -1 })), (e: unknown) => e instanceof InvalidOptionError && e.option === 'olderThan');
  await assert.rejects(purgeFailed(ex, spec, o({ olderThan: 1, includeUnknownAge: 'yes' })), (e: unknown) => e instanceof InvalidOptionError && e.option === 'includeUnknownAge');
  await assert.rejects(counts(ex, spec, o({ openConnection: 'mysql://x' })), (e: unknown) => e instanceof InvalidOptionError && e.option === 'openConnection');
  await assert.rejects(counts(ex, { ...spec, keyspace: undefined }, { openConnection: async () => ({ executor: ex, close() {} }) }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'openConnection');
  await assert.rejects(get(ex, spec, o({ id: '1', epoc: 0 })), refused('epoc', 'id, epoch, vindexValue'));
  await assert.rejects(get(ex, spec, o(['1', '2'])), (e: unknown) => e instanceof InvalidOptionError && e.option === 'id');
  await assert.rejects(get(ex, spec, 1 as never), (e: unknown) => e instanceof InvalidOptionError);
  assert.equal(ex.calls.length, 0);
  // '7d' reaches the statement as nanoseconds, a decimal string.
  assert.equal(await purgeFailed(ex, spec, { olderThan: '7d' }), 1);
  assert.deepEqual(ex.calls[0]!.params, ['9223372036854775807', '604800000000000']);
});
