/**
 * The benchmark suite (`npm run bench`): drain, enqueue, latency and memory,
 * each run as its own process with its figures written as JSON, then
 * bench/RESULTS.md (tables, targets, the machine) and bench/latency.svg.
 *
 *   npm run bench [-- --quick] [--parts drain,enqueue,latency,memory] [--rounds N] [--reuse DIR]
 *
 * `--quick` is the development mode: small N and 3 rounds; its figures are
 * for checking the suite, not for the README.
 */
import { spawnSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closePool, vtgatePool } from '../test/helpers/vitess';
import { CONTROL, type EnqueueResult } from './enqueue';
import type { DrainResult } from './drain';
import type { LatencyResult } from './latency';
import { benchFlags, fmt, type Spread } from './lib/stats';
import { latencySvg } from './lib/svg';
import { mb, type MemoryResult } from './memory';

const PARTS = ['drain', 'enqueue', 'latency', 'memory'] as const;
type Part = (typeof PARTS)[number];
const source = join(__dirname, '..', '..', 'bench');

function runPart(part: Part, args: string[], dir: string): string {
  const json = join(dir, `${part}.json`);
  // `--reuse DIR`: a part an earlier run finished there (its figures printed, the suite stopped later) is not run again.
  if (existsSync(json)) {
    console.log(`\n▶ ${part}: reusing ${json}`);
    return json;
  }
  const node = [...(part === 'memory' ? ['--expose-gc'] : []), '--enable-source-maps', join(__dirname, `${part}.js`), ...args, '--json', json];
  console.log(`\n▶ ${part} ${args.join(' ')}`);
  const res = spawnSync(process.execPath, node, { stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`bench part ${part} exited with ${res.status ?? res.signal}`);
  return json;
}

async function machine(): Promise<string[]> {
  // Read from node_modules: some packages' export maps hide their package.json.
  const pkg = (name: string) => (JSON.parse(readFileSync(join(__dirname, '..', '..', 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const [rows] = await vtgatePool().query('select @@version as v, @@version_comment as c');
  const v = (rows as Array<{ v: string; c: string }>)[0]!;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' }).stdout?.trim() ?? 'not found';
  const c = cpus();
  return [
    `- CPU: ${c.length} × ${c[0]?.model ?? '?'}; memory ${mb(totalmem())} (${mb(freemem())} free at the start); load average at the start ${loadavg().map((x) => x.toFixed(1)).join(' / ')}`,
    `- Node ${process.version}; typeorm ${pkg('typeorm')}, mysql2 ${pkg('mysql2')}, @grpc/grpc-js ${pkg('@grpc/grpc-js')}; ${go}`,
    `- Vitess: vtcombo v0.24.4 (vtgate reports \`${v.v}\`, ${v.c}); keyspace \`commerce\` 2 shards (-80, 80-) on one MySQL, everything on this host`,
  ];
}

const ms = (s: Spread) => fmt(s, 1);

function drainTable(results: DrainResult[]): string[] {
  const go = results.find((r) => r.variant === 'go');
  const lines = ['| consumer | msg/s | ratio to Go (per round) | client CPU s / 10k msgs | duplicates |', '|---|---|---|---|---|'];
  for (const r of results) lines.push(`| ${r.variant} | ${fmt(r.rate, 0)} | ${r.ratioToGo ? fmt(r.ratioToGo, 2) : '—'} | ${fmt(r.cpuPer10k, 2)} | ${fmt(r.duplicates, 0)} |`);
  const defaults = results.find((r) => r.variant === 'ours-defaults');
  if (go && defaults?.ratioToGo) lines.push('', `Target: ours at defaults ≥ 1.0× Go with equal knobs — median ${defaults.ratioToGo.median.toFixed(2)}× (${defaults.ratioToGo.median >= 1 ? 'met' : 'missed'}).`);
  return lines;
}

function enqueueTable(results: EnqueueResult[]): string[] {
  const lines = ['| path | callers | msg/s | ratio to control (per round) | client CPU s / 10k msgs |', '|---|---|---|---|---|'];
  for (const r of results) lines.push(`| ${r.path} | ${r.concurrency} | ${fmt(r.rate, 0)} | ${r.ratioToControl ? `${fmt(r.ratioToControl, 2)} vs ${CONTROL[r.path]}` : '—'} | ${fmt(r.cpuPer10k, 2)} |`);
  const target = (path: string, want: number) => {
    const r = results.find((x) => x.path === path)?.ratioToControl;
    return r ? `${path} ≥ ${want}× its control: median ${r.median.toFixed(2)}× (${r.median >= want ? 'met' : 'missed'})` : undefined;
  };
  const t = [target('typeorm-tx', 0.9), target('enqueueMany', 0.95)].filter(Boolean);
  if (t.length) lines.push('', `Targets: ${t.join('; ')}.`);
  return lines;
}

function latencyTable(results: LatencyResult[]): string[] {
  const lines = ['| path | rate/s | p50 ms | p95 ms | p99 ms | max ms | client CPU s / 10k |', '|---|---|---|---|---|---|---|'];
  for (const r of results) lines.push(`| ${r.path} | ${r.rate} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${fmt(r.cpuPer10k, 2)} |`);
  const checks: string[] = [];
  for (const rate of [100, 400]) {
    const tx = results.find((r) => r.path === 'typeorm-tx' && r.rate === rate);
    const raw = results.find((r) => r.path === 'raw-tx' && r.rate === rate);
    if (!tx || !raw) continue;
    const p50ok = tx.p50.median <= 1.2 * raw.p50.median + 1;
    const p99ok = tx.p99.median <= 2 * raw.p99.median;
    checks.push(`at ${rate}/s p50 ${tx.p50.median.toFixed(1)} ms against a bound of ${(1.2 * raw.p50.median + 1).toFixed(1)} (${p50ok ? 'met' : 'missed'}), p99 ${tx.p99.median.toFixed(1)} against ${(2 * raw.p99.median).toFixed(1)} (${p99ok ? 'met' : 'missed'})`);
  }
  if (checks.length) lines.push('', `Target (typeorm-tx against raw-tx: p50 ≤ 1.2× + 1 ms, p99 ≤ 2×): ${checks.join('; ')}.`);
  return lines;
}

function memoryTable(results: MemoryResult[]): string[] {
  const lines = ['| backlog | msg/s | RSS / heap samples per s | RSS idle | RSS peak | heap peak | RSS after GC | heap after GC |', '|---|---|---|---|---|---|---|---|'];
  for (const r of results) lines.push(`| ${r.messages.toLocaleString('en-US')} | ${Math.round(r.messages / r.seconds)} | ${r.samplesPerSecond.toFixed(0)} / ${r.heapSamplesPerSecond.toFixed(0)} | ${mb(r.baselineRss)} | ${mb(r.peakRss)} | ${mb(r.peakHeap)} | ${mb(r.afterGcRss)} | ${mb(r.afterGcHeap)} |`);
  const peak = Math.max(...results.map((r) => r.peakRss));
  const mid = results.find((r) => r.messages === 200_000);
  const big = results.find((r) => r.messages === 1_000_000);
  lines.push('', `Target: RSS peak ≤ 150 MB — ${mb(peak)} (${peak <= 150 * 1024 * 1024 ? 'met' : 'missed'})${mid && big ? `; flat within 10 % from 200k to 1M — ${((big.peakRss / mid.peakRss - 1) * 100).toFixed(1)} % (${Math.abs(big.peakRss / mid.peakRss - 1) <= 0.1 ? 'met' : 'missed'})` : ''}.`);
  return lines;
}

async function main(): Promise<void> {
  const flags = benchFlags();
  const parts = (flags.values.get('parts')?.split(',') ?? PARTS) as Part[];
  const common = [...(flags.quick ? ['--quick'] : []), ...(flags.values.has('rounds') ? ['--rounds', String(flags.rounds)] : [])];
  const dir = flags.values.get('reuse') ?? mkdtempSync(join(tmpdir(), 'vm-bench-'));
  const started = new Date();
  const md: string[] = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench${flags.quick ? ' -- --quick' : ''}\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC${flags.quick ? ' — **quick mode: small N, 3 rounds; for checking the suite, not for quoting**' : ''}. Each figure is the median over interleaved rounds (order alternating), with min–max in parentheses. How to run and what bounds each figure: docs/benchmarks.md.`,
    '',
    '## Machine',
    '',
    ...(await machine()),
  ];
  if (parts.includes('drain')) {
    const r = JSON.parse(readFileSync(runPart('drain', common, dir), 'utf8')) as DrainResult[];
    md.push('', `## Drain (${r[0]?.messages.toLocaleString('en-US')} no-op messages per run)`, '', 'Distinct ids acked on both sides. ours-defaults: maxInFlight 1000, ackBatchSize 500, ackConcurrency 2, concurrency 10; ours-tuned: concurrency 50, maxInFlight 2000; go: vitessdriver, 1,000 ids buffered, ack batches of 500, 2 ack writers.', '', ...drainTable(r));
  }
  if (parts.includes('enqueue')) {
    const r = JSON.parse(readFileSync(runPart('enqueue', common, dir), 'utf8')) as EnqueueResult[];
    md.push('', '## Enqueue throughput', '', 'Closed loops; raw controls write `(id, time_next, body)` with mysql2; TypeORM and mysql2 pools of 10 connections.', '', ...enqueueTable(r));
  }
  if (parts.includes('latency')) {
    const r = JSON.parse(readFileSync(runPart('latency', common, dir), 'utf8')) as LatencyResult[];
    const rates = [...new Set(r.map((x) => x.rate))];
    writeFileSync(join(source, 'latency.svg'), latencySvg(rates.map((rate) => ({ title: `${rate} messages/s`, series: r.filter((x) => x.rate === rate).map((x) => ({ label: x.path, samples: x.samples })) })), 'enqueue → handler start, all rounds pooled (cumulative)'));
    md.push('', '## Latency: enqueue → handler start', '', 'From the moment the enqueue call is issued (open loop at a fixed rate) to the handler\'s first line; subscriber at defaults in the same process.', '', ...latencyTable(r), '', '![latency distributions](latency.svg)');
  }
  if (parts.includes('memory')) {
    const r = JSON.parse(readFileSync(runPart('memory', flags.quick ? ['--quick'] : [], dir), 'utf8')) as MemoryResult[];
    md.push('', '## Memory: a separate consumer process at maxInFlight 1000', '', ...memoryTable(r));
  }
  writeFileSync(join(source, 'RESULTS.md'), `${md.join('\n')}\n`);
  console.log(`\nwrote bench/RESULTS.md${parts.includes('latency') ? ' and bench/latency.svg' : ''}`);
  await closePool();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
