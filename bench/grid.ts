/**
 * Defaults grid (a script, not a test): the drain rate with one knob moved at
 * a time around the library's defaults — the subscriber's `concurrency`,
 * `maxInFlight`, `ackBatchSize`, `ackConcurrency` and the table's `batchSize`
 * (vt_batch_size) — each setting on a fresh backlog of no-op messages, rounds
 * interleaved (order alternating). Prints msg/s (median, min–max) and the
 * ratio to the defaults measured in the same round. The defaults' TSDoc
 * quotes these figures.
 *
 *   node scripts/run.mjs build/bench/grid.js [--quick] [--messages 20000] [--rounds 5] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import type { SubscriberOptions } from '../src/subscriber/options';
import { closePool } from '../test/helpers/vitess';
import { backlog, drainOurs } from './drain';
import { benchFlags, fmt, roundOrder, spread, type Spread } from './lib/stats';

interface Setting {
  readonly name: string;
  readonly subscriber?: Partial<SubscriberOptions<unknown>>;
  readonly batchSize?: number;
}

const SETTINGS: readonly Setting[] = [
  { name: 'defaults' },
  { name: 'concurrency 1', subscriber: { concurrency: 1 } },
  { name: 'concurrency 50', subscriber: { concurrency: 50 } },
  { name: 'maxInFlight 250', subscriber: { maxInFlight: 250 } },
  { name: 'maxInFlight 4000', subscriber: { maxInFlight: 4000 } },
  { name: 'ackBatchSize 100', subscriber: { ackBatchSize: 100 } },
  { name: 'ackBatchSize 1000', subscriber: { ackBatchSize: 1000 } },
  { name: 'ackConcurrency 1', subscriber: { ackConcurrency: 1 } },
  { name: 'ackConcurrency 4', subscriber: { ackConcurrency: 4 } },
  { name: 'table batchSize 100', batchSize: 100 },
  { name: 'table batchSize 1000', batchSize: 1000 },
];

export interface GridResult {
  readonly setting: string;
  readonly messages: number;
  readonly rate: Spread;
  readonly ratioToDefaults: Spread;
}

async function main(): Promise<void> {
  const flags = benchFlags();
  const n = Number(flags.values.get('messages') ?? (flags.quick ? 3_000 : 20_000));
  const only = flags.values.get('settings')?.split(',');
  const settings = SETTINGS.filter((s) => s.name === 'defaults' || !only || only.some((o) => s.name.startsWith(o)));
  console.log(`grid: ${n}-message backlogs, one knob at a time, ${flags.rounds} rounds`);
  const rates = new Map<string, number[]>(settings.map((s) => [s.name, []]));
  const ratios = new Map<string, number[]>(settings.map((s) => [s.name, []]));
  for (let r = 0; r < flags.rounds; r++) {
    const round = new Map<string, number>();
    for (const s of roundOrder(settings, r)) {
      const table = await backlog('bench_grid', n, s.batchSize ? { batchSize: s.batchSize } : {});
      try {
        const run = await drainOurs(table.spec, n, s.subscriber ?? {});
        round.set(s.name, run.rate);
        rates.get(s.name)!.push(run.rate);
        console.log(`  round ${r + 1} ${s.name.padEnd(22)} ${Math.round(run.rate).toLocaleString('en-US').padStart(7)} msg/s`);
      } finally {
        await table.drop().catch(() => undefined);
      }
    }
    for (const [name, rate] of round) ratios.get(name)!.push(rate / round.get('defaults')!);
  }
  const results: GridResult[] = settings.map((s) => ({ setting: s.name, messages: n, rate: spread(rates.get(s.name)!), ratioToDefaults: spread(ratios.get(s.name)!) }));
  console.log('\nsetting                 msg/s                      ratio to defaults');
  for (const g of results) console.log(`${g.setting.padEnd(23)} ${fmt(g.rate, 0).padEnd(26)} ${fmt(g.ratioToDefaults, 2)}`);
  if (flags.json) writeFileSync(flags.json, JSON.stringify(results));
  await closePool();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
