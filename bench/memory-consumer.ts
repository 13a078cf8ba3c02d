/**
 * The consumer process of bench/memory.ts: drains a table given as a spec
 * (JSON in argv) with our subscriber at its defaults (maxInFlight 1000) and a
 * handler that yields once, sampling RSS and heap every 40 ms (a busy event
 * loop stretches that; the parent samples RSS from /proc at 25 Hz as well, and
 * the peak RSS also takes the kernel's high-water mark). Prints one JSON line:
 * the idle baseline (after a full GC), the peaks, and what is left after the
 * drain and a full GC. Run with --expose-gc.
 */
import { readFileSync } from 'node:fs';
import { fromMysql2 } from '../src/adapters/mysql2';
import type { MessageTableSpec } from '../src/core/spec';
import { subscribe } from '../src/subscriber/subscriber';
import { closePool, vitess, vtgatePool, waitUntil } from '../test/helpers/vitess';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => { throw new Error('run with --expose-gc'); });

/** The kernel's peak RSS of this process (Linux `VmHWM`), which no sampling interval can miss. */
function highWaterMark(): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]!) as MessageTableSpec;
  const n = Number(process.argv[3]);
  gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let samples = 0;
  const sample = () => {
    const m = process.memoryUsage();
    samples++;
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  };
  const sampler = setInterval(sample, 40);
  const t0 = performance.now();
  const sub = subscribe(spec, () => new Promise<void>((r) => setImmediate(r)), { executor: fromMysql2(vtgatePool()), address: vitess.grpcAddr });
  // Counted, not collected: a set of a million ids would be most of the heap measured.
  await waitUntil(() => sub.stats().acked >= n, 1_800_000, `${n} acks`);
  const seconds = (performance.now() - t0) / 1000;
  await sub.close();
  sample();
  clearInterval(sampler);
  await closePool();
  gc();
  const end = process.memoryUsage();
  console.log(JSON.stringify({
    messages: n, seconds, duplicates: sub.stats().duplicates, heapSamplesPerSecond: samples / seconds,
    baselineRss: base.rss, baselineHeap: base.heapUsed,
    peakRss: Math.max(peakRss, highWaterMark() ?? 0), peakHeap, afterGcRss: end.rss, afterGcHeap: end.heapUsed,
  }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
