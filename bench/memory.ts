/**
 * Memory benchmark (a script, not a test): backlogs of ~150-byte messages
 * (default table options) drained by a separate consumer process
 * (bench/memory-consumer.ts) at the subscriber's defaults (maxInFlight 1000),
 * sampling RSS from /proc at 25 Hz (and the kernel's high-water mark) and the
 * heap inside the consumer. Prints, per backlog, the idle baseline, the
 * peaks, and RSS / heap after the drain and a full GC (what a leak would leave).
 * One run per size: the 1,000,000 backlog alone takes minutes to write.
 *
 *   npm run bench:memory [-- --quick] [--sizes 50000,200000,1000000] [--json out.json]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backlog } from './drain';
import type { BenchFlags } from './lib/stats';
import { runPart } from './lib/part';

export interface MemoryResult {
  readonly messages: number;
  readonly seconds: number;
  /** RSS samples per second the parent took from /proc (Linux). */
  readonly samplesPerSecond: number;
  /** Heap samples per second inside the consumer (its event loop stretches the 50 ms timer). */
  readonly heapSamplesPerSecond: number;
  readonly baselineRss: number;
  readonly baselineHeap: number;
  readonly peakRss: number;
  readonly peakHeap: number;
  readonly afterGcRss: number;
  readonly afterGcHeap: number;
  /** Deliveries of an id the consumer had started already (`stats().duplicates`). */
  readonly duplicates?: number;
}

export const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** RSS of a process from /proc (Linux), in bytes. */
function rssOf(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Runs the consumer process on `spec`, sampling its RSS at 25 Hz from here. */
function consume(spec: unknown, n: number): Promise<{ result: Omit<MemoryResult, 'samplesPerSecond'>; peakRss: number; samplesPerSecond: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', join(__dirname, 'memory-consumer.js'), JSON.stringify(spec), String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const t0 = performance.now();
    let stdout = '';
    let peakRss = 0;
    let samples = 0;
    const timer = setInterval(() => {
      const rss = child.pid === undefined ? undefined : rssOf(child.pid);
      if (rss === undefined) return;
      samples++;
      peakRss = Math.max(peakRss, rss);
    }, 40); // 25 Hz asked, so that a loaded box still gives ≥ 20
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`memory consumer exited with ${code}`));
      resolve({ result: JSON.parse(stdout.trim().split('\n').pop()!) as Omit<MemoryResult, 'samplesPerSecond'>, peakRss, samplesPerSecond: samples / ((performance.now() - t0) / 1000) });
    });
  });
}

export async function runMemory(options: { sizes: readonly number[]; log?: (s: string) => void }): Promise<MemoryResult[]> {
  const log = options.log ?? console.log;
  const out: MemoryResult[] = [];
  const filler = 'm'.repeat(100);
  for (const n of options.sizes) {
    const t0 = Date.now();
    const table = await backlog('bench_memory', n, {}, (i) => ({ i, filler }));
    log(`  ${n.toLocaleString('en-US')} messages written in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    try {
      const child = await consume(table.spec, n);
      const r: MemoryResult = { ...child.result, peakRss: Math.max(child.result.peakRss, child.peakRss), samplesPerSecond: child.samplesPerSecond };
      out.push(r);
      log(`  ${n.toLocaleString('en-US').padStart(9)}: ${Math.round(n / r.seconds)}/s, RSS sampled ${r.samplesPerSecond.toFixed(0)}/s (heap ${r.heapSamplesPerSecond.toFixed(0)}/s); rss ${mb(r.baselineRss)} → peak ${mb(r.peakRss)} (+${mb(r.peakRss - r.baselineRss)}), heap ${mb(r.baselineHeap)} → peak ${mb(r.peakHeap)}; after GC rss ${mb(r.afterGcRss)}, heap ${mb(r.afterGcHeap)}`);
    } finally {
      await table.drop().catch(() => undefined);
    }
  }
  return out;
}

async function main(flags: BenchFlags): Promise<unknown> {
  const sizes = (flags.values.get('sizes') ?? (flags.quick ? '10000,40000' : '50000,200000,1000000')).split(',').map(Number);
  console.log(`memory: backlogs of ${sizes.join(', ')} drained by a separate consumer process at maxInFlight 1000`);
  const results = await runMemory({ sizes });
  return results;
}

runPart(module, main);
