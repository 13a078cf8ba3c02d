/**
 * Failed acks are retried, not dropped: with the subscriber's MySQL connection
 * (its executor, through a loopback proxy) down for a moment while the stream
 * keeps flowing, every ack rejected during the outage is written once the
 * connection is back, so no message comes back as a duplicate, and the
 * outage costs one `error` event per failed ack batch, not one per message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as mysql from 'mysql2/promise';
import { AckWriteError } from '../../src/core/errors';
import { subscribe } from '../../src/subscriber/subscriber';
import { countAcked, insertMessages, poolExecutor, specTables } from '../helpers/subscriber-fixtures';
import { TcpProxy } from '../helpers/tcp-proxy';
import { vitess, waitUntil } from '../helpers/vitess';

const { table, cleanup } = specTables();

test('acks failing while the executor connection is down are written once it is back: no duplicates, one error per failed batch', async () => {
  const { spec, qualified } = await table('ack_retry', { ackWaitS: 5 });
  const ids = await insertMessages(qualified, 2_000, 500);
  const proxy = await TcpProxy.start(new URL(vitess.mysqlUrl).host);
  cleanup.push(() => proxy.close());
  const url = new URL(vitess.mysqlUrl);
  url.host = proxy.address;
  const pool = mysql.createPool({ uri: url.toString(), supportBigNumbers: true, bigNumberStrings: true, connectionLimit: 4, connectTimeout: 2_000 });
  cleanup.push(() => pool.end());

  const ledger = new Map<string, number>();
  const sub = subscribe(spec, async (_m, ctx) => {
    ledger.set(ctx.id as string, (ledger.get(ctx.id as string) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 1));
  }, { executor: poolExecutor(pool), address: vitess.grpcAddr, maxInFlight: 200, concurrency: 10 });
  const errors: unknown[] = [];
  sub.on('error', (e) => errors.push(e));
  try {
    await waitUntil(() => ledger.size >= 300, 60_000, '300 handled');
    await proxy.down();
    // The outage lasts until several ack batches have failed (acks pile up meanwhile).
    await waitUntil(() => errors.length >= 3, 30_000, 'three failed ack batches');
    const handledInOutage = ledger.size;
    await proxy.up();
    await waitUntil(async () => (await countAcked(qualified)) === ids.length, 120_000, 'all acked');
    await waitUntil(() => sub.stats().acked === ids.length, 30_000, 'every ack promise resolved');
    // A dropped ack would have its message sent again after the 5 s ack wait, before all could be acked.
    const s = sub.stats();
    const duplicates = [...ledger.values()].reduce((n, c) => n + c - 1, 0);
    const failedAcks = errors.filter((e): e is AckWriteError => e instanceof AckWriteError);
    console.log(`ack retry: handled ${handledInOutage} by the end of the outage, ${failedAcks.length} failed ack batches carrying ${failedAcks.reduce((n, e) => n + e.count, 0)} acks, duplicates ${duplicates}, settle errors ${s.settleErrors}`);
    assert.equal(ids.filter((id) => !ledger.has(id)).length, 0, 'none lost');
    assert.equal(errors.length, failedAcks.length, 'every error is a failed ack batch');
    assert.ok(failedAcks.every((e) => e.count > 0 && e.retrying === e.count && e.dropped === 0), 'each names its count; none dropped');
    assert.equal(s.settleErrors, 0, 'no ack given up');
    assert.equal(s.redelivered, 0, 'no message was sent again: every ack was written within its ack wait');
    assert.equal(duplicates, 0);
  } finally {
    await sub.close({ timeout: 5_000 });
  }
});
