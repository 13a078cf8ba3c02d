/**
 * Drain benchmark (a script, not a test): a backlog of N no-op messages in a
 * table with the library's default options (vt_batch_size 500, ack wait
 * 30 s), drained by
 *
 * - `ours-defaults`: our subscriber at its defaults (maxInFlight 1000,
 *   ackBatchSize 500, ackConcurrency 2, concurrency 10);
 * - `ours-tuned`: concurrency 50, maxInFlight 2000 (the settings);
 * - `go`: a Go consumer on Vitess's own vitessdriver (bench/go-drain, same
 *   module version v0.24.4) with the same knobs pinned: 1,000 ids buffered,
 *   ack batches of 500, 2 ack writers.
 *
 * Each variant gets a fresh backlog every round; rounds alternate the order.
 * Both sides time from the first delivery to the N-th distinct id acked, and
 * count distinct ids acked (an id counts once its ack UPDATE
 * returned, however often it was delivered), not ack calls. Prints msg/s
 * (median, min–max), duplicates, client CPU seconds per 10,000 messages, and
 * the ratio to Go per round.
 *
 *   npm run bench:drain [-- --quick] [--messages 50000] [--rounds 5] [--json out.json]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fromMysql2 } from '../src/adapters/mysql2';
import { defineMessageTable, type DefineMessageTableInput } from '../src/core/define';
import type { MessageTableSpec } from '../src/core/spec';
import type { SubscriberOptions } from '../src/subscriber/options';
import { subscribe } from '../src/subscriber/subscriber';
import { createFromSpec, type TestTable } from '../test/helpers/producer-harness';
import { insertMessages } from '../test/helpers/subscriber-fixtures';
import { uniqueName, vitess, vtgatePool, waitUntil } from '../test/helpers/vitess';
import { type BenchFlags, fmt, roundOrder, spread, type Spread } from './lib/stats';
import { runPart } from './lib/part';

const root = join(__dirname, '..', '..');
export const GO_BINARY = join(root, 'build/bench/go-drain');

export const DRAIN_VARIANTS = ['ours-defaults', 'ours-tuned', 'go'] as const;
export type DrainVariant = (typeof DRAIN_VARIANTS)[number];

const TUNED: Partial<SubscriberOptions<unknown>> = { concurrency: 50, maxInFlight: 2000 };

export interface DrainRun {
  readonly rate: number;
  readonly seconds: number;
  readonly acked: number;
  readonly delivered: number;
  readonly cpuS: number;
}

export interface DrainResult {
  readonly variant: DrainVariant;
  readonly messages: number;
  readonly rate: Spread;
  readonly cpuPer10k: Spread;
  readonly duplicates: Spread;
  /** This variant's rate over Go's, per round. */
  readonly ratioToGo?: Spread;
}

/** Builds bench/go-drain (cached per user). */
export function buildGo(): void {
  const build = spawnSync('bash', [join(root, 'bench/go-drain/build.sh'), GO_BINARY], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building bench/go-drain failed');
}

/** A table of `columns` with the library's default options, holding `n` messages. */
export async function backlog(prefix: string, n: number, table: Partial<DefineMessageTableInput> = {}, payload: (i: number) => unknown = (i) => ({ i, task: 'noop' })): Promise<TestTable> {
  const spec = defineMessageTable({ table: uniqueName(prefix), keyspace: vitess.sharded, columns: { payload: { type: 'json', nullable: true } }, ...table } as DefineMessageTableInput);
  const made = await createFromSpec(spec);
  await insertMessages(made.qualified, n, 500, payload);
  return made;
}

/** Drains `spec` with our subscriber until `n` distinct ids were acked. */
export async function drainOurs(spec: MessageTableSpec, n: number, options: Partial<SubscriberOptions<unknown>> = {}): Promise<DrainRun> {
  const acked = new Set<string>();
  let delivered = 0;
  let cpu0 = process.cpuUsage();
  let t0 = 0;
  const sub = subscribe(spec, () => {
    // The clock starts at the first delivery, as in bench/go-drain: how long the
    // tablet takes to open a new table's message manager is not the drain.
    if (delivered++ === 0) {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
    }
  }, { executor: fromMysql2(vtgatePool()), address: vitess.grpcAddr, ...options });
  sub.on('acked', (id: string) => acked.add(id));
  await waitUntil(() => acked.size >= n, 900_000, `${n} distinct ids acked`);
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  await sub.close();
  return { rate: acked.size / seconds, seconds, acked: acked.size, delivered, cpuS: (c.user + c.system) / 1e6 };
}

export function drainGo(table: TestTable, n: number): DrainRun {
  const res = spawnSync(GO_BINARY, ['-addr', vitess.grpcAddr, '-keyspace', table.keyspace, '-table', table.table, '-n', String(n), '-ack-batch', '500', '-ack-writers', '2', '-buffer', '1000'], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`go-drain failed: ${res.stderr}`);
  const out = JSON.parse(res.stdout.trim()) as { acked: number; delivered: number; seconds: number; rate: number; cpuSeconds: number };
  return { rate: out.rate, seconds: out.seconds, acked: out.acked, delivered: out.delivered, cpuS: out.cpuSeconds };
}

export async function runDrain(options: { messages: number; rounds: number; variants?: readonly DrainVariant[]; log?: (s: string) => void }): Promise<DrainResult[]> {
  const log = options.log ?? console.log;
  const variants = options.variants ?? DRAIN_VARIANTS;
  const n = options.messages;
  if (variants.includes('go')) buildGo();
  const runs = new Map<DrainVariant, DrainRun[]>(variants.map((v) => [v, []]));
  const ratios = new Map<DrainVariant, number[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < options.rounds; r++) {
    const byVariant = new Map<DrainVariant, DrainRun>();
    for (const v of roundOrder(variants, r)) {
      const table = await backlog(`bench_drain_${v.replace(/-/g, '_')}`, n);
      try {
        const run = v === 'go' ? drainGo(table, n) : await drainOurs(table.spec, n, v === 'ours-tuned' ? TUNED : {});
        byVariant.set(v, run);
        runs.get(v)!.push(run);
        log(`  round ${r + 1} ${v.padEnd(14)} ${Math.round(run.rate).toLocaleString('en-US').padStart(7)} msg/s  ${run.seconds.toFixed(2)} s  acked ${run.acked}  delivered ${run.delivered}  cpu ${((run.cpuS * 10_000) / n).toFixed(2)} s/10k`);
      } finally {
        await table.drop().catch(() => undefined);
      }
    }
    const go = byVariant.get('go');
    if (go) for (const [v, run] of byVariant) ratios.get(v)!.push(run.rate / go.rate);
  }
  return variants.map((v) => ({
    variant: v,
    messages: n,
    rate: spread(runs.get(v)!.map((x) => x.rate)),
    cpuPer10k: spread(runs.get(v)!.map((x) => (x.cpuS * 10_000) / n)),
    duplicates: spread(runs.get(v)!.map((x) => x.delivered - x.acked)),
    ...(variants.includes('go') && v !== 'go' ? { ratioToGo: spread(ratios.get(v)!) } : {}),
  }));
}

export function printDrain(results: readonly DrainResult[], log = console.log): void {
  log('\nvariant          msg/s                         ratio to go          cpu s/10k            duplicates');
  for (const r of results) {
    log(`${r.variant.padEnd(16)} ${fmt(r.rate, 0).padEnd(29)} ${(r.ratioToGo ? fmt(r.ratioToGo, 2) : '—').padEnd(20)} ${fmt(r.cpuPer10k, 2).padEnd(20)} ${fmt(r.duplicates, 0)}`);
  }
}

async function main(flags: BenchFlags): Promise<unknown> {
  const messages = Number(flags.values.get('messages') ?? (flags.quick ? 5_000 : 50_000));
  const variants = (flags.values.get('variants')?.split(',') ?? DRAIN_VARIANTS) as DrainVariant[];
  console.log(`drain: ${messages}-message backlogs, no-op handler, default table options, ${flags.rounds} rounds`);
  const results = await runDrain({ messages, rounds: flags.rounds, variants });
  printDrain(results);
  return results;
}

runPart(module, main);
