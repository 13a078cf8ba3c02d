/**
 * Resuming promptly after vtgate comes back, on the real Vitess without
 * touching it: a TCP proxy of the test's own goes down (connections cut, new
 * connects refused) for 4 s and comes back, 10 times per transport. Measured:
 * the first packet of the reopened stream after the proxy accepts again
 * (printed; here p95 ≈ 0.45 s over gRPC, 0.6 s over MySQL), bounded by the
 * longest backoff between opens (asserted), and the opens tried while it was
 * down (capped).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { subscribe } from '../../src/subscriber/subscriber';
import { insertMessages, poolExecutor, specTables, transportCases } from '../helpers/subscriber-fixtures';
import { TcpProxy } from '../helpers/tcp-proxy';
import { waitUntil } from '../helpers/vitess';

const { table, cleanup } = specTables();
const OUTAGES = 10;
const OUTAGE_MS = 4_000;

describe('resume after vtgate comes back', { concurrency: 2 }, () => {
  for (const t of transportCases(cleanup)) {
    test(`${t.name}: ${OUTAGES} outages of ${OUTAGE_MS / 1000} s: every one resumed within one short backoff, opens while down capped`, { timeout: 150_000 }, async () => {
      const proxy = await TcpProxy.start(t.upstream);
      cleanup.push(() => proxy.close());
      const { spec, qualified } = await table(`resume_${t.name}`, { ackWaitS: 30 });
      const opens: number[] = []; // reconnecting events: one stream open each
      const delays: number[] = []; // the backoff each of them announced
      const resumed: number[] = []; // reconnected events: first packet of a reopened stream
      const handled = new Set<string>();
      const sub = subscribe(spec, (_m, ctx) => void handled.add(String(ctx.id)), { executor: poolExecutor(), ...t.source(proxy.address), stallTimeout: 0 });
      cleanup.push(() => sub.close());
      sub.on('reconnecting', (info) => {
        opens.push(Date.now());
        delays.push(info.delayMs);
      });
      sub.on('reconnected', () => resumed.push(Date.now()));
      const [warm] = await insertMessages(qualified, 1, 1);
      await waitUntil(() => handled.has(warm!), 15_000, 'the first message through the proxy');

      const resumeMs: number[] = [];
      const opensPerOutage: number[] = [];
      for (let i = 0; i < OUTAGES; i++) {
        const downAt = Date.now();
        await proxy.down();
        await waitUntil(() => Date.now() - downAt >= OUTAGE_MS, OUTAGE_MS + 5_000, 'the outage to last');
        await proxy.up();
        const upAt = proxy.upAt;
        opensPerOutage.push(opens.filter((at) => at >= downAt && at < upAt).length);
        const back = await waitUntil(() => resumed.find((at) => at >= upAt), 20_000, `the stream back after outage ${i + 1}`);
        resumeMs.push(back - upAt);
      }
      const sorted = [...resumeMs].sort((a, b) => a - b);
      const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1]!;
      const p50 = sorted[Math.ceil(0.5 * sorted.length) - 1]!;
      console.log(`${t.name} resume after restore (ms): p50 ${p50}, p95 ${p95}, all ${resumeMs.join(' ')}; opens per ${OUTAGE_MS} ms outage ${opensPerOutage.join(' ')}`);
      if (t.name === 'grpc') {
        // The resumed stream delivers. (Not asserted over MySQL: vtgate keeps each
        // cut stream as a receiver there, so a new message may first go into one
        // of those and come back only after its ack wait and backoff.)
        const [last] = await insertMessages(qualified, 1, 1);
        await waitUntil(() => handled.has(last!), 20_000, 'a message after the outages');
      }
      await sub.close();
      // What bounds the resume, proved by the subscriber's own events rather than
      // wall-clock time (the p50/p95 above are the figures; they vary with load):
      // no wait between opens exceeds 500 ms + 25 % jitter, so the first open
      // after vtgate is back starts within that.
      assert.ok(Math.max(...delays) <= 625, `longest backoff ${Math.max(...delays)} ms`);
      assert.equal(resumeMs.length, OUTAGES, 'the stream came back after every outage');
      // The cap: 3 quick tries, then at most one per 375 ms (500 ms − 25 % jitter): ≤ 163 a minute.
      for (const n of opensPerOutage) assert.ok(n <= 3 + Math.ceil(OUTAGE_MS / 375), `${n} opens in ${OUTAGE_MS} ms`);
      assert.ok(opensPerOutage.every((n) => n >= 2), 'it kept trying while vtgate was down');
    });
  }
});
