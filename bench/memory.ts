/**
 * Memory benchmark (a script, not a test): drains a 200,000-message backlog
 * (~150-byte rows, default table options) with maxInFlight 1000 and a handler
 * that takes a little time, sampling RSS and heap every 100 ms; prints the
 * baseline (subscriber idle) and the peak.
 *
 *   npm run bench:memory [-- messages]
 */
import { defineMessageTable } from '../src/core/define';
import { buildDropSchemaSql, buildSchemaSql } from '../src/migration/ddl';
import { subscribe } from '../src/subscriber/subscriber';
import { insertMessages, poolExecutor } from '../test/helpers/subscriber-fixtures';
import { closePool, uniqueName, vitess, vtgatePool, waitUntil } from '../test/helpers/vitess';

const N = Number(process.argv[2] ?? 200_000);
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const spec = defineMessageTable({ table: uniqueName('bench_memory'), keyspace: vitess.sharded, columns: { payload: { type: 'json', nullable: true } } });
  for (const sql of buildSchemaSql(spec)) await vtgatePool().query(sql);
  try {
    const filler = 'm'.repeat(100);
    await insertMessages(`\`${spec.keyspace}\`.\`${spec.table}\``, N, 1000, (i) => ({ i, filler }));
    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage();
    console.log(`memory: ${N} messages, maxInFlight 1000, baseline rss ${mb(base.rss)}, heap ${mb(base.heapUsed)}`);
    let peakRss = base.rss;
    let peakHeap = base.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 100);
    const t0 = Date.now();
    let maxHeld = 0;
    const sub = subscribe(spec, async () => {
      maxHeld = Math.max(maxHeld, sub.stats().inFlight);
      await new Promise((r) => setImmediate(r));
    }, { executor: poolExecutor(), address: vitess.grpcAddr, maxInFlight: 1000, concurrency: 50 });
    await waitUntil(() => sub.stats().acked >= N, 900_000, 'the drain');
    const seconds = (Date.now() - t0) / 1000;
    await sub.close();
    clearInterval(sampler);
    console.log(`drained ${sub.stats().acked} in ${seconds.toFixed(1)} s (${Math.round(N / seconds)}/s), max held ${maxHeld}; peak rss ${mb(peakRss)} (+${mb(peakRss - base.rss)}), peak heap ${mb(peakHeap)} (+${mb(peakHeap - base.heapUsed)})`);
    // Retained after the drain (garbage collected): what a leak would leave behind.
    (globalThis as { gc?: () => void }).gc?.();
    const end = process.memoryUsage();
    console.log(`after the drain and a full GC: rss ${mb(end.rss)}, heap ${mb(end.heapUsed)} (+${mb(end.heapUsed - base.heapUsed)} over the baseline)`);
  } finally {
    for (const sql of buildDropSchemaSql(spec)) await vtgatePool().query(sql).catch(() => undefined);
    await closePool();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
