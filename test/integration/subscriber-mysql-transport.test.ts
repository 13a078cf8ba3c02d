/**
 * The core subscriber over the MySQL-protocol transport (`set workload='olap'`
 * + `stream * from t`) passes the same checks as over gRPC: a ledger with held
 * never above maxInFlight, nack-on-close, explicit ack/nack/fail, a reconnect
 * after a cut connection, and a non-retryable error that ends it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamError } from '../../src/core/errors';
import { VtgateMysqlTransport } from '../../src/subscriber/mysql/vtgate-mysql-transport';
import { stream, subscribe } from '../../src/subscriber/subscriber';
import { TableStream } from '../helpers/stream-table';
import { countAcked, specTables, insertMessages, poolExecutor } from '../helpers/subscriber-fixtures';
import { TcpProxy } from '../helpers/tcp-proxy';
import { uniqueName, vitess, waitUntil } from '../helpers/vitess';

const { table, cleanup } = specTables();

function mysqlTransport(url = vitess.mysqlUrl): VtgateMysqlTransport {
  const t = new VtgateMysqlTransport({ connection: url });
  cleanup.push(async () => t.close());
  return t;
}

test('mysql transport: 3,000 messages each handled and acked, held never above maxInFlight', async () => {
  const { spec, qualified } = await table('subm_ledger', { ackWaitS: 30 });
  const ids = await insertMessages(qualified, 3_000, 500);
  const ledger = new Map<string, number>();
  let overflow = 0;
  const sub = subscribe(spec, async (_m, ctx) => {
    if (sub.stats().inFlight > 100) overflow++;
    ledger.set(ctx.id as string, (ledger.get(ctx.id as string) ?? 0) + 1);
    await new Promise((r) => setImmediate(r));
  }, { executor: poolExecutor(), transport: mysqlTransport(), maxInFlight: 100, concurrency: 10 });
  cleanup.push(() => sub.close());
  await waitUntil(() => sub.stats().acked >= ids.length, 60_000, 'all acked');
  await sub.close();
  assert.equal(ids.filter((id) => !ledger.has(id)).length, 0);
  assert.equal(overflow, 0);
  assert.equal(await countAcked(qualified), ids.length);
});

test('mysql transport: close() nacks received-but-unstarted messages; nothing is lost', async () => {
  const { spec, qualified } = await table('subm_close', { ackWaitS: 3 });
  await insertMessages(qualified, 200, 200);
  const received = new Set<string>();
  const handled = new Set<string>();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const sub = subscribe(spec, async (_m, ctx) => {
    handled.add(ctx.id as string);
    await gate;
  }, { executor: poolExecutor(), transport: mysqlTransport(), maxInFlight: 20, concurrency: 2 });
  sub.on('message', (ctx) => received.add(ctx.id as string));
  await waitUntil(() => sub.stats().inFlight === 20 && sub.stats().running === 2, 15_000, 'full');
  const closing = sub.close({ timeoutMs: 10_000 });
  release();
  await closing;
  const unstarted = [...received].filter((id) => !handled.has(id));
  assert.equal(unstarted.length, 18);
  assert.equal(sub.stats().nackedOnClose, 18);
  // Unlike gRPC (whose cancel reaches vtgate at once), a closed MySQL connection
  // is noticed by vtgate only later: the tablet keeps it as a receiver for a
  // while and may send the nacked rows there, so they can take an ack wait
  // to come back (README "Subscribe"). Nothing is lost either way.
  const observer = await TableStream.open(spec.keyspace!, spec.table);
  cleanup.push(() => observer.close());
  await observer.waitFor((s) => unstarted.every((id) => s.counts().has(id)), 30_000, 'the nacked ones');
});

test('mysql transport: iterator with explicit ack / nack / fail', async () => {
  const { spec, qualified } = await table('subm_iter', { ackWaitS: 30 });
  const [toAck, toNack, toFail] = await insertMessages(qualified, 3, 3);
  const epochs: Array<[string, number]> = [];
  const ac = new AbortController();
  const messages = stream(spec, { executor: poolExecutor(), transport: mysqlTransport(), signal: ac.signal });
  for await (const m of messages) {
    epochs.push([m.id as string, m.epoch]);
    if (m.id === toAck) await m.ack();
    else if (m.id === toFail) await m.fail('bad');
    else if (m.epoch === 0) await m.nack();
    else {
      await m.ack();
      ac.abort();
    }
  }
  assert.deepEqual(epochs.filter(([id]) => id === toNack).map(([, e]) => e), [0, 1]);
  assert.deepEqual([messages.stats().acked, messages.stats().nacked, messages.stats().failed], [2, 1, 1]);
});

test('mysql transport: a cut connection is reopened and nothing is lost', async () => {
  const url = new URL(vitess.mysqlUrl);
  const proxy = await TcpProxy.start(`${url.hostname}:${url.port}`);
  cleanup.push(() => proxy.close());
  const { spec, qualified } = await table('subm_reconnect', { ackWaitS: 5 });
  const ids = await insertMessages(qualified, 1_500, 500);
  const seen = new Set<string>();
  const sub = subscribe(spec, async (_m, ctx) => {
    seen.add(ctx.id as string);
    await new Promise((r) => setTimeout(r, 1));
  }, { executor: poolExecutor(), transport: mysqlTransport(`mysql://root@${proxy.address}/`), maxInFlight: 100 });
  cleanup.push(() => sub.close());
  await waitUntil(() => seen.size >= 300, 30_000, '300 handled');
  proxy.cut();
  await waitUntil(async () => (await countAcked(qualified)) === ids.length, 60_000, 'all acked after the cut');
  await sub.close();
  assert.equal(ids.filter((id) => !seen.has(id)).length, 0);
  assert.ok(sub.stats().reconnects >= 1);
});

test('mysql transport: an unknown table ends the subscriber with a non-retryable StreamError', async () => {
  const { spec } = await table('subm_gone');
  const sub = subscribe({ ...spec, table: uniqueName('nosuch') }, () => undefined, { executor: poolExecutor(), transport: mysqlTransport() });
  await assert.rejects(sub.wait(), (err: unknown) => err instanceof StreamError && err.retryable === false);
});
