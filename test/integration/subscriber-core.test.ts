/**
 * The core subscriber on the real 2-shard Vitess, with a hand-made spec and raw
 * tables, once per transport (vtgate gRPC, and vtgate's MySQL protocol, which
 * must pass the same tests): a 10,000-message ledger under a bounded
 * maxInFlight, close() during a burst, two subscribers splitting the work, the
 * iterator form, business-vindex acks, expiry before start, disposal.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defineMessageTable } from '../../src/core/define';
import { StreamError } from '../../src/core/errors';
import type { SqlParam } from '../../src/core/executor';
import { randomId } from '../../src/core/ids';
import { ack } from '../../src/core/operations';
import { msToNs, nowNs } from '../../src/core/time';
import { buildDropSchemaSql, buildSchemaSql } from '../../src/migration/ddl';
import { transportBufferBound } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import type { MessageContext } from '../../src/subscriber/message';
import { stream } from '../../src/subscriber/message-stream';
import { subscribe } from '../../src/subscriber/subscriber';
import { TableStream } from '../helpers/stream-table';
import { countAcked, insertMessages, paddedPayload, poolExecutor, sentOf, specTables, transportCases } from '../helpers/subscriber-fixtures';
import { debugVars, uniqueName, vitess, vtgatePool, waitUntil, runSchemaSql } from '../helpers/vitess';

const { table, cleanup } = specTables();

/** Rows read ahead by the MySQL transport by default (VtgateMysqlOptions.readAheadRows). */
const MYSQL_READ_AHEAD = 256;

for (const t of transportCases(cleanup)) {
  describe(`subscriber over ${t.name}`, () => {
    test(`${t.name}: 10,000 ~1 KB messages each handled and acked, none lost; held (counted from events) never above maxInFlight; tablet sent-but-unacked bounded`, async () => {
      const batchSize = 100;
      const maxInFlight = 200;
      const rowBytes = 1_040; // 19-digit id, epoch, ~1,000 B of json, lengths
      const { spec, qualified } = await table('sub_ledger', { ackWaitS: 30, batchSize });
      const ids = await insertMessages(qualified, 10_000, 250, paddedPayload(1_000));
      const ledger = new Map<string, number>(ids.map((id) => [id, 0]));
      // Held, counted independently of the subscriber's own counter: +1 when a
      // message is handed out (`message`), −1 when its settle was written.
      let held = 0;
      let maxHeld = 0;
      let overflow = 0;
      const sub = subscribe(spec, async (message: Record<string, unknown>, ctx: MessageContext) => {
        if (held > maxInFlight) overflow++;
        assert.equal(typeof ctx.id, 'string');
        assert.equal(message.id, ctx.id);
        ledger.set(ctx.id as string, (ledger.get(ctx.id as string) ?? 0) + 1);
        await new Promise((r) => setImmediate(r));
      }, { executor: poolExecutor(), ...t.source(), maxInFlight, concurrency: 20 });
      cleanup.push(() => sub.close());
      sub.on('message', () => {
        held++;
        maxHeld = Math.max(maxHeld, held);
        if (held > maxInFlight) overflow++;
      });
      for (const settled of ['acked', 'nacked', 'failed'] as const) sub.on(settled, () => held--);

      // While it drains, sample the tablet's sent count against the acked rows.
      let maxUnacked = 0;
      let done = false;
      const sampler = (async () => {
        while (!done) {
          const [vars, acked] = await Promise.all([debugVars(), countAcked(qualified)]);
          maxUnacked = Math.max(maxUnacked, sentOf(vars, spec.table) - acked);
          if (process.env.SUB_TRACE) console.log(`sent ${sentOf(vars, spec.table)} acked-rows ${acked} held ${held}/${sub.stats().inFlight} received ${sub.stats().received}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      await waitUntil(() => sub.stats().acked >= ids.length, 180_000, 'all 10,000 acked');
      done = true;
      await sampler;
      await sub.close();

      const lost = [...ledger.values()].filter((n) => n === 0).length;
      const duplicates = [...ledger.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
      // The documented transport bounds (README "Flow control"). gRPC: a few
      // packets in vtgate's and the tablet's hands plus bytes in the 64 KB HTTP/2
      // windows and socket buffers. MySQL: the transport's read-ahead queue plus
      // the same server side, and socket buffers the kernel sizes itself.
      const transportBound = t.name === 'grpc' ? transportBufferBound(batchSize, rowBytes) : mysqlBufferBound(batchSize, rowBytes);
      console.log(`${t.name} ledger: 10000 messages, lost ${lost}, duplicates ${duplicates}; max held ${maxHeld}/${maxInFlight}; max sent-but-unacked ${maxUnacked} (bound ${maxInFlight + transportBound})`);
      assert.equal(lost, 0);
      assert.equal(overflow, 0, `held exceeded maxInFlight (max ${maxHeld})`);
      assert.ok(maxHeld > maxInFlight / 2, `the subscriber filled up (max held ${maxHeld})`);
      assert.equal(held, 0);
      assert.equal(await countAcked(qualified), ids.length);
      assert.ok(maxUnacked <= maxInFlight + transportBound, `tablet sent-but-unacked ${maxUnacked} > ${maxInFlight} + ${transportBound}`);
      const stats = sub.stats();
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.settleErrors + stats.settleMisses, 0);
      assert.equal(stats.received, ids.length + duplicates);
    });

    test(`${t.name}: close() during a burst loses nothing; unstarted messages come back at once, a never-received control on the tablet's schedule`, async () => {
      // A long ack wait keeps "back at once" and "back on the tablet's schedule"
      // far apart even on a loaded machine.
      const ackWaitS = 15;
      const ackWaitMs = ackWaitS * 1000;
      const { spec, qualified } = await table('sub_close', { ackWaitS, batchSize: 50, minBackoffS: 1 });
      // The control: sent by the tablet to another reader that goes away
      // without acking it. The subscriber never receives it; nobody nacks it.
      const controlReader = await TableStream.open(spec.keyspace!, spec.table);
      const [control] = await insertMessages(qualified, 1, 1, () => ({ control: true }));
      await controlReader.waitFor((s) => s.counts().has(control!), 15_000, 'the control to be sent');
      const controlSentAt = controlReader.deliveries[0]!.at;
      await controlReader.close();

      const ids = await insertMessages(qualified, 1_000, 500);
      const received = new Set<string>();
      const handled = new Set<string>();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const sub = subscribe(spec, async (_m, ctx) => {
        handled.add(ctx.id as string);
        await gate; // handlers block until close() has started
      }, { executor: poolExecutor(), ...t.source(), maxInFlight: 40, concurrency: 5 });
      sub.on('message', (ctx) => received.add(ctx.id as string));
      await waitUntil(() => sub.stats().inFlight === 40 && sub.stats().running === 5, 20_000, 'the subscriber to fill up');

      // One queued message is acked elsewhere meanwhile: the close's nack misses
      // it, and must not wait for its postpone (the ack wait) because of that.
      const ackedElsewhere = [...received].find((id) => !handled.has(id))!;
      assert.equal(await ack(poolExecutor(), spec, ackedElsewhere), 1);
      const closing = sub.close({ timeout: '10s' });
      const closedAt = Date.now();
      release();
      await closing;
      const closeMs = Date.now() - closedAt;
      assert.ok(closeMs < ackWaitMs / 2, `close() took ${closeMs} ms`);
      assert.equal(received.has(control!), false, 'the subscriber never received the control');
      assert.equal(sub.stats().acked, handled.size, 'every started handler finished and was acked');
      const unstarted = [...received].filter((id) => !handled.has(id) && id !== ackedElsewhere);
      assert.equal(unstarted.length, 34);
      // Plus the rows of the packet in hand that were never admitted (at most
      // one packet, batch 50): nacked on close too, their epoch restored.
      const unadmitted = sub.stats().nackedOnClose - 34;
      assert.ok(unadmitted >= 0 && unadmitted <= 50, `nacked on close: ${sub.stats().nackedOnClose}`);
      const neverReceived = ids.filter((id) => !received.has(id));

      // The table right after the close: only handled messages are acked; the
      // unstarted ones are due now with their epoch restored (no handler saw
      // them, so no attempt is used up) — unless the tablet already sent them
      // again; the control keeps the tablet's postpone: not due before one ack
      // wait after it was sent.
      const [rows] = await vtgatePool().query(`select id, epoch, time_next, time_acked from ${qualified}`);
      const state = new Map((rows as Array<{ id: string; epoch: string; time_next: string; time_acked: string | null }>).map((r) => [String(r.id), r]));
      const nowAfter = nowNs();
      assert.equal(state.size, ids.length + 1, 'no row lost');
      assert.equal([...state.values()].filter((r) => r.time_acked !== null).length, handled.size + 1, 'only handled messages (and the one acked elsewhere) are acked');
      const dueAgain = unstarted.filter((id) => state.get(id)!.epoch === '0' && BigInt(state.get(id)!.time_next) <= nowAfter);
      const sentAgain = unstarted.filter((id) => Number(state.get(id)!.epoch) >= 1 && BigInt(state.get(id)!.time_next) > msToNs(closedAt));
      assert.equal(dueAgain.length + sentAgain.length, unstarted.length, 'each unstarted one is due now (or was sent again after the close)');
      const controlRow = state.get(control!)!;
      assert.equal(controlRow.time_acked, null);
      assert.ok(Number(controlRow.epoch) >= 1 && BigInt(controlRow.time_next) >= msToNs(controlSentAt + ackWaitMs - 1_000), `the control keeps the tablet's schedule (epoch ${controlRow.epoch}, due ${(Number(BigInt(controlRow.time_next) / 1_000_000n) - controlSentAt)} ms after it was sent)`);
      if (t.name === 'mysql') {
        // vtgate (v0.24.4) does not notice a closed MySQL connection during a
        // stream: its receivers stay registered with the tablet (seen here for
        // over 160 s), which keeps sending due messages into them; each comes
        // back one ack wait (+ backoff) later (README "Subscribe"). So over
        // MySQL the table's state is the truth checked here, not prompt delivery.
        console.log(`${t.name} close: ${handled.size} acked, ${unstarted.length} nacked on close (${dueAgain.length} due at once, ${sentAgain.length} already sent again into the closed stream), ${neverReceived.length} never received`);
        return;
      }
      assert.equal(dueAgain.length, unstarted.length, 'over gRPC nothing was sent again after the close');

      // A fresh reader sees what comes back.
      const observer = await TableStream.open(spec.keyspace!, spec.table);
      cleanup.push(() => observer.close());
      const firstOf = (id: string) => observer.deliveries.find((d) => d.row.id === id);
      await observer.waitFor((s) => unstarted.every((id) => s.counts().has(id)), ackWaitMs / 2, 'the unstarted messages to come back well before the ack wait');
      const backAfterMs = Date.now() - closedAt;
      await observer.waitFor((s) => s.counts().has(control!), ackWaitMs * 3, 'the control to come back');
      const controlBack = firstOf(control!)!;
      // The control follows the tablet's schedule: sent again one ack wait (+ backoff) after it was sent.
      assert.equal(controlBack.row.epoch, '1');
      assert.ok(controlBack.at - controlSentAt >= ackWaitMs - 1_000, `the control came back after ${controlBack.at - controlSentAt} ms, before its ack wait`);
      for (const id of unstarted) {
        assert.equal(firstOf(id)!.row.epoch, '0');
        assert.ok(firstOf(id)!.at < controlBack.at, 'the nacked ones came back before the control');
      }
      // Everything not acked arrives in the end: nothing lost.
      await observer.waitFor((s) => neverReceived.every((id) => s.counts().has(id)), (ackWaitS * 4 + 10) * 1000, 'the never-received messages');
      console.log(`${t.name} close: ${handled.size} acked, ${unstarted.length} nacked on close (back within ${backAfterMs} ms), ${neverReceived.length} never received; control back ${controlBack.at - controlSentAt} ms after it was sent`);
      assert.equal(observer.counts().has(ackedElsewhere), false);
      assert.equal(observer.counts().size + handled.size + 1, ids.length + 1);
    });

    test(`${t.name}: two subscribers on one table split the work; every message acked once overall`, async () => {
      const { spec, qualified } = await table('sub_split', { ackWaitS: 30 });
      const ids = await insertMessages(qualified, 2_000, 500);
      const seen = [new Map<string, number>(), new Map<string, number>()];
      const subs = [0, 1].map((n) => subscribe(spec, async (_m, ctx) => {
        seen[n]!.set(ctx.id as string, (seen[n]!.get(ctx.id as string) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1));
      }, { executor: poolExecutor(), ...t.source(), maxInFlight: 100 }));
      for (const s of subs) cleanup.push(() => s.close());
      await waitUntil(() => subs[0]!.stats().acked + subs[1]!.stats().acked >= ids.length, 90_000, 'all acked');
      await Promise.all(subs.map((s) => s.close()));
      console.log(`${t.name} split: ${seen[0]!.size} / ${seen[1]!.size}`);
      assert.ok(seen[0]!.size > 0 && seen[1]!.size > 0, 'both subscribers got messages');
      const union = new Set([...seen[0]!.keys(), ...seen[1]!.keys()]);
      assert.equal(union.size, ids.length);
      assert.equal(await countAcked(qualified), ids.length);
    });

    test(`${t.name}: iterator form: explicit ack / nack / fail; a nack comes back at once with epoch 1; abort ends the loop`, async () => {
      const { spec, qualified } = await table('sub_iter', { ackWaitS: 30 });
      const [toAck, toNack, toFail] = await insertMessages(qualified, 3, 3, (i) => ({ role: ['ack', 'nack', 'fail'][i] }));
      const ac = new AbortController();
      const epochs: Array<[string, number]> = [];
      const messages = stream(spec, { executor: poolExecutor(), ...t.source(), signal: ac.signal });
      for await (const m of messages) {
        epochs.push([m.id as string, m.epoch]);
        if (m.id === toAck) await m.ack();
        else if (m.id === toFail) await m.fail('bad payload');
        else if (m.epoch === 0) await m.nack();
        else await m.ack();
        assert.equal((m.message as { payload: { role: string } }).payload.role, m.id === toAck ? 'ack' : m.id === toNack ? 'nack' : 'fail');
        // Done once all three were seen and the nacked one came back (a shard's
        // first packet can come after the other shard's nack was sent again).
        const seen = new Set(epochs.map(([id]) => id));
        if (seen.has(toAck!) && seen.has(toFail!) && epochs.some(([id, e]) => id === toNack && e > 0)) ac.abort();
      }
      // With a 30 s ack wait, the second delivery can only be the nack's doing.
      assert.deepEqual(epochs.filter(([id]) => id === toNack).map(([, e]) => e), [0, 1]);
      const stats = messages.stats();
      assert.equal(stats.acked, 2);
      assert.equal(stats.nacked, 1);
      assert.equal(stats.failed, 1);
      assert.equal(stats.redelivered, 1);
      const [rows] = await vtgatePool().query(`select id, time_next, failure_reason from ${qualified} where id = ?`, [toFail]);
      assert.deepEqual((rows as Array<{ failure_reason: string; time_next: string }>).map((r) => [r.failure_reason, r.time_next]), [['bad payload', '9223372036854775807']]);
    });

    test(`${t.name}: a table sharded by a business column: acks carry the vindex column and every message is acked`, async () => {
      const spec = defineMessageTable({
        table: uniqueName('sub_bizvindex'),
        keyspace: vitess.sharded,
        columns: { customerId: { name: 'customer_id', type: 'bigint' }, payload: { type: 'json', nullable: true } },
        vindex: { column: 'customer_id', type: 'hash' },
        ackWait: '30s',
        pollerInterval: '500ms',
      });
      await runSchemaSql((sql) => vtgatePool().query(sql), buildSchemaSql(spec));
      cleanup.push(async () => {
        for (const sql of buildDropSchemaSql(spec)) await vtgatePool().query(sql).catch(() => undefined);
      });
      assert.deepEqual(spec.streamed.slice(0, 3), ['id', 'epoch', 'customer_id']);
      const qualified = `\`${spec.keyspace}\`.\`${spec.table}\``;
      const rows: unknown[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) {
        const id = randomId().toString();
        ids.push(id);
        rows.push(id, String(1_000 + (i % 7)), JSON.stringify({ i }));
      }
      await vtgatePool().query(`insert into ${qualified} (id, customer_id, payload) values ${new Array(300).fill('(?, ?, ?)').join(', ')}`, rows);
      const statements: string[] = [];
      const base = poolExecutor();
      const executor = { query: (sql: string, params: readonly SqlParam[]) => (statements.push(sql), base.query(sql, params)) };
      const seen = new Set<string>();
      const sub = subscribe(spec, (m: Record<string, unknown>) => {
        assert.equal(typeof m.customerId, 'string');
        seen.add(m.id as string);
      }, { executor, ...t.source() });
      cleanup.push(() => sub.close());
      await waitUntil(() => sub.stats().acked >= ids.length, 30_000, 'all acked');
      await sub.close();
      assert.equal(seen.size, ids.length);
      assert.equal(await countAcked(qualified), ids.length);
      assert.ok(statements.length > 0 && statements.every((s) => s.includes('(`id` = ? and `customer_id` = ?)')), 'every ack names each (id, vindex value) pair');
    });

    test(`${t.name}: expiry before start is judged from when the packet came off the transport: time waiting for room under maxInFlight counts`, async () => {
      const ackWaitMs = 1_000;
      const { spec, qualified } = await table('sub_expired', { ackWaitS: ackWaitMs / 1000, batchSize: 100 });
      // Inserted before the subscriber opens: the tablet sends each shard's
      // rows in one packet (the MySQL transport queues them row by row).
      await insertMessages(qualified, 12, 12);
      const admittedAt = new Map<MessageContext, number>();
      const starts: Array<{ id: string; sinceAdmitted: number; sinceReceived: number; flagged: boolean }> = [];
      const sub = subscribe(spec, async (_m, ctx) => {
        const now = Date.now();
        starts.push({ id: ctx.id as string, sinceAdmitted: now - admittedAt.get(ctx)!, sinceReceived: now - ctx.receivedAt, flagged: ctx.expiredBeforeStart });
        if (ctx.epoch === 0) await new Promise((r) => setTimeout(r, 400));
      }, { executor: poolExecutor(), ...t.source(), maxInFlight: 1, concurrency: 1 });
      sub.on('message', (ctx) => admittedAt.set(ctx, Date.now()));
      cleanup.push(() => sub.close());
      await waitUntil(async () => (await countAcked(qualified)) === 12, 60_000, 'all acked');
      await sub.close();
      // maxInFlight 1: each message starts as soon as it is admitted, so only
      // the time its packet waited for room (the rows before it in the packet
      // being handled) can make it expire.
      const flagged = starts.filter((s) => s.flagged);
      console.log(`${t.name} expired: ${flagged.length} of ${starts.length} starts flagged; longest wait ${Math.max(...starts.map((s) => s.sinceReceived))} ms`);
      assert.ok(flagged.length > 0, 'some messages waited past the ack wait before they started');
      for (const s of starts) {
        assert.ok(s.sinceAdmitted < ackWaitMs, `admitted and started ${s.sinceAdmitted} ms apart`);
        if (s.flagged) assert.ok(s.sinceReceived > ackWaitMs);
        else assert.ok(s.sinceReceived <= ackWaitMs + 50, `${s.id} waited ${s.sinceReceived} ms but was not flagged`);
      }
      assert.equal(sub.stats().expiredBeforeStart, flagged.length);
    });

    test(`${t.name}: \`await using\` closes the subscriber (Symbol.asyncDispose); \`drained\` comes when nothing is queued or running`, async () => {
      const { spec, qualified } = await table('sub_dispose', { ackWaitS: 30 });
      const ids = await insertMessages(qualified, 50, 50);
      let drained = 0;
      let busyWhenDrained = 0;
      let closed = false;
      let disposed: { stats(): { inFlight: number; acked: number } } | undefined;
      {
        await using sub = subscribe(spec, async () => new Promise((r) => setTimeout(r, 2)), { executor: poolExecutor(), ...t.source(), concurrency: 4 });
        disposed = sub;
        sub.on('drained', () => {
          drained++;
          if (sub.stats().queued !== 0 || sub.stats().running !== 0) busyWhenDrained++;
        });
        sub.on('closed', () => (closed = true));
        await waitUntil(() => sub.stats().acked === ids.length && drained > 0, 30_000, 'all handled and drained');
        assert.equal(closed, false);
      }
      assert.equal(closed, true, 'leaving the block closed it');
      assert.equal(disposed.stats().inFlight, 0);
      assert.ok(drained >= 1);
      assert.equal(busyWhenDrained, 0);
      assert.equal(await countAcked(qualified), ids.length);
    });

    test(`${t.name}: a stream that can never work (unknown table) ends the subscriber with a StreamError, retryable false`, async () => {
      const spec = { ...(await table('sub_gone')).spec, table: uniqueName('nosuch') };
      const sub = subscribe(spec, () => undefined, { executor: poolExecutor(), ...t.source() });
      const streamErrors: unknown[] = [];
      sub.on('streamError', (e) => streamErrors.push(e));
      const closed = new Promise<void>((resolve) => sub.once('closed', resolve));
      await assert.rejects(sub.wait(), (err: unknown) => err instanceof StreamError && err.retryable === false && err.code === 'NOT_FOUND');
      await closed;
      assert.equal(streamErrors.length, 1);
    });
  });
}

/**
 * What the tablet may have sent beyond a full subscriber over the MySQL
 * transport (README "Flow control"): its read-ahead queue, a few packets in
 * vtgate's and the tablet's hands, and the socket buffers, which Node cannot
 * size (no SO_RCVBUF for TCP) and Linux autotunes: the ledger above measured
 * 4,400–6,200 1 KB rows (≈ 4.5–6.4 MB) here; 8 MB allows for variation. Much more than
 * gRPC's 64 KB window.
 */
function mysqlBufferBound(batchSize: number, rowBytes: number): number {
  return MYSQL_READ_AHEAD + 4 * batchSize + Math.ceil((8 * 1024 * 1024) / rowBytes);
}
