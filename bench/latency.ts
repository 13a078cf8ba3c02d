/**
 * Latency benchmark (a script, not a test): enqueue → handler start, measured
 * from the moment the enqueue call is issued, at fixed arrival rates (open
 * loop: a call is issued every 1/rate s whether or not the previous one is
 * done), for four producer paths, each on its own table with a running
 * subscriber (library defaults) in this process:
 *
 * - `typeorm-tx`: `dataSource.transaction(m => jobs.with(m).enqueue(…))`, the entity path;
 * - `typeorm-tx-raw`: the same transaction with a hand-written INSERT
 *   (`m.query`): what TypeORM's transaction costs without our code;
 * - `raw-tx`: mysql2 `BEGIN; INSERT; COMMIT` on a pooled connection, its control;
 * - `enqueue`: the library's `enqueue` in autocommit on a mysql2 pool;
 * - `raw`: one mysql2 autocommit `INSERT`, its control.
 *
 * Rounds interleave the paths (order alternating); each figure is the median
 * over rounds with min–max. Prints p50/p95/p99/max in ms and client CPU
 * seconds per 10,000 messages (producer and subscriber: one process).
 *
 *   npm run bench:latency [-- --quick] [--rates 100,400,1000] [--paths typeorm-tx,typeorm-tx-raw,raw-tx] [--seconds 10] [--json out.json]
 */
import { performance } from 'node:perf_hooks';
import { createPool, type Pool } from 'mysql2/promise';
import { Column, DataSource } from 'typeorm';
import { fromMysql2 } from '../src/adapters/mysql2';
import type { MessageTableSpec } from '../src/core/spec';
import { messageQueue } from '../src/queue-handle';
import { subscribe, type Subscriber } from '../src/subscriber/subscriber';
import { MessageTable } from '../src/typeorm/message-table';
import { messageQueue as entityQueue } from '../src/typeorm/queue-handle';
import { getMessageTableSpec } from '../src/typeorm/registry';
import { VitessMessage } from '../src/typeorm/vitess-message';
import { randomId } from '../src/core/ids';
import { createFromSpec, type TestTable } from '../test/helpers/producer-harness';
import { uniqueName, vitess, vtgatePool, waitUntil } from '../test/helpers/vitess';
import { type BenchFlags, fmt, percentiles, roundOrder, sleep, spread, withCpu, type Percentiles, type Spread } from './lib/stats';
import { runPart } from './lib/part';

export const LATENCY_PATHS = ['typeorm-tx', 'typeorm-tx-raw', 'raw-tx', 'enqueue', 'raw'] as const;
export type LatencyPath = (typeof LATENCY_PATHS)[number];

/** What one (path, rate) gave over the rounds. */
export interface LatencyResult {
  readonly path: LatencyPath;
  readonly rate: number;
  readonly messages: number;
  readonly p50: Spread;
  readonly p95: Spread;
  readonly p99: Spread;
  readonly max: Spread;
  readonly cpuPer10k: Spread;
  /** Every sample of every round (ms), for the chart. */
  readonly samples: number[];
}

/** Same connection limit for TypeORM's pool and mysql2's, so the paths differ only in their code. */
const POOL_SIZE = 10;

/** The producers' mysql2 pool (the subscribers ack on the tests' shared pool, so acks never queue behind producers). */
let producerPool: Pool | undefined;
const producers = (): Pool => (producerPool ??= createPool({ uri: vitess.mysqlUrl, supportBigNumbers: true, bigNumberStrings: true, connectionLimit: POOL_SIZE }));

function entityFor(table: string): Function {
  @MessageTable({ name: table, keyspace: vitess.sharded })
  class LatencyJob extends VitessMessage {
    @Column('json', { nullable: true })
    body!: { t: number } | null;
  }
  return LatencyJob;
}

interface Lane {
  readonly table: TestTable;
  readonly sub: Subscriber;
  /** Samples of the run under way (ms). */
  samples: number[];
  received: number;
}

async function lane(spec: MessageTableSpec): Promise<Lane> {
  const table = await createFromSpec(spec);
  const l: Lane = { table, samples: [], received: 0, sub: undefined as unknown as Subscriber };
  (l as { sub: Subscriber }).sub = subscribe(spec, (m) => {
    const body = (m as { body?: { t?: number } }).body;
    if (typeof body?.t === 'number') l.samples.push(performance.now() - body.t);
    l.received++;
  }, { executor: fromMysql2(vtgatePool()), address: vitess.grpcAddr });
  await l.sub.waitUntilReady();
  return l;
}

type Send = (t: number) => Promise<unknown>;

function senders(ds: DataSource, entity: Function, lanes: Record<LatencyPath, Lane>): Record<LatencyPath, Send> {
  const pool = producers();
  const jobs = entityQueue(entity as new () => VitessMessage & { body: { t: number } | null }, { dataSource: ds, address: vitess.grpcAddr });
  const plain = messageQueue(lanes.enqueue.table.spec, { executor: fromMysql2(pool) });
  const rawInsert = (qualified: string) => `insert into ${qualified} (id, time_next, body) values (?, 0, ?)`;
  const rawTxSql = rawInsert(lanes['raw-tx'].table.qualified);
  const ormRawSql = rawInsert(lanes['typeorm-tx-raw'].table.qualified);
  const rawSql = rawInsert(lanes.raw.table.qualified);
  return {
    'typeorm-tx': (t) => ds.transaction((m) => jobs.with(m).enqueue({ body: { t } })),
    'typeorm-tx-raw': (t) => ds.transaction((m) => m.query(ormRawSql, [randomId().toString(), JSON.stringify({ t })])),
    'raw-tx': async (t) => {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        await conn.query(rawTxSql, [randomId().toString(), JSON.stringify({ t })]);
        await conn.commit();
      } finally {
        conn.release();
      }
    },
    enqueue: (t) => plain.enqueue({ body: { t } }),
    raw: (t) => pool.query(rawSql, [randomId().toString(), JSON.stringify({ t })]),
  };
}

/** Issues `n` calls at `rate`/s (open loop); resolves when all returned. */
async function drive(rate: number, n: number, send: Send): Promise<void> {
  const start = performance.now();
  const pending: Array<Promise<unknown>> = [];
  let failed: unknown;
  for (let i = 0; i < n; ) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) {
      await sleep(wait);
      continue;
    }
    pending.push(send(performance.now()).catch((err) => (failed ??= err)));
    i++;
  }
  await Promise.all(pending);
  if (failed) throw failed;
}

export async function runLatency(options: { rates: number[]; paths: LatencyPath[]; seconds: number; rounds: number; log?: (s: string) => void }): Promise<LatencyResult[]> {
  const log = options.log ?? console.log;
  const base = uniqueName('bench_lat');
  const entity = entityFor(`${base}_orm`);
  const ds = new DataSource({ type: 'mysql', url: vitess.mysqlUrl, database: vitess.unsharded, entities: [entity], synchronize: false, logging: false, extra: { connectionLimit: POOL_SIZE } });
  await ds.initialize();
  const lanes = {} as Record<LatencyPath, Lane>;
  try {
    for (const path of LATENCY_PATHS) {
      const spec = path === 'typeorm-tx' ? getMessageTableSpec(entity, ds) : { ...getMessageTableSpec(entity, ds), table: `${base}_${path.replace(/-/g, '_')}` };
      lanes[path] = await lane(spec);
    }
    const send = senders(ds, entity, lanes);
    // Warm every path (connections, JIT, first stream packets) before measuring.
    for (const path of options.paths) await drive(200, 100, send[path]);
    await waitUntil(() => options.paths.every((p) => lanes[p].received >= 100), 60_000, 'the warm-up messages');

    const raw = new Map<string, { p: Percentiles[]; cpu: number[]; samples: number[]; n: number }>();
    for (let r = 0; r < options.rounds; r++) {
      for (const rate of roundOrder(options.rates, r)) {
        for (const path of roundOrder(options.paths, r)) {
          const l = lanes[path];
          const n = Math.max(50, Math.round(rate * options.seconds));
          l.samples = [];
          const before = l.received;
          const { cpuS } = await withCpu(async () => {
            await drive(rate, n, send[path]);
            await waitUntil(() => l.received - before >= n, 120_000, `${path} at ${rate}/s: ${n} handled`);
          });
          const p = percentiles(l.samples);
          const key = `${path}@${rate}`;
          const acc = raw.get(key) ?? { p: [], cpu: [], samples: [], n };
          acc.p.push(p);
          acc.cpu.push((cpuS * 10_000) / n);
          acc.samples.push(...l.samples);
          raw.set(key, acc);
          log(`  round ${r + 1} ${path.padEnd(10)} ${String(rate).padStart(5)}/s  n=${n}  p50 ${p.p50.toFixed(1)}  p95 ${p.p95.toFixed(1)}  p99 ${p.p99.toFixed(1)}  max ${p.max.toFixed(1)} ms  cpu ${((cpuS * 10_000) / n).toFixed(2)} s/10k`);
        }
      }
    }
    const results: LatencyResult[] = [];
    for (const rate of options.rates) {
      for (const path of options.paths) {
        const acc = raw.get(`${path}@${rate}`)!;
        results.push({
          path, rate, messages: acc.n,
          p50: spread(acc.p.map((x) => x.p50)), p95: spread(acc.p.map((x) => x.p95)),
          p99: spread(acc.p.map((x) => x.p99)), max: spread(acc.p.map((x) => x.max)),
          cpuPer10k: spread(acc.cpu), samples: acc.samples,
        });
      }
    }
    return results;
  } finally {
    for (const l of Object.values(lanes)) {
      await l.sub.close({ timeout: 5_000 }).catch(() => undefined);
      await l.table.drop().catch(() => undefined);
    }
    await ds.destroy();
  }
}

export function printLatency(results: readonly LatencyResult[], log = console.log): void {
  log('\npath        rate/s   p50 ms            p95 ms            p99 ms              max ms              cpu s/10k');
  for (const r of results) {
    log(`${r.path.padEnd(11)} ${String(r.rate).padStart(6)}   ${fmt(r.p50).padEnd(17)} ${fmt(r.p95).padEnd(17)} ${fmt(r.p99).padEnd(19)} ${fmt(r.max).padEnd(19)} ${fmt(r.cpuPer10k, 2)}`);
  }
}

async function main(flags: BenchFlags): Promise<unknown> {
  const rates = (flags.values.get('rates') ?? '100,400,1000').split(',').map(Number);
  // typeorm-tx-raw is a diagnostic (TypeORM's share of typeorm-tx): asked for by --paths only.
  const paths = (flags.values.get('paths') ?? LATENCY_PATHS.filter((p) => p !== 'typeorm-tx-raw').join(',')).split(',') as LatencyPath[];
  for (const p of paths) if (!LATENCY_PATHS.includes(p)) throw new Error(`unknown path ${p} (${LATENCY_PATHS.join(', ')})`);
  const seconds = Number(flags.values.get('seconds') ?? (flags.quick ? 2 : 10));
  console.log(`latency: enqueue → handler start, ${flags.rounds} rounds, ${seconds} s per path and rate, rates ${rates.join(', ')}/s`);
  const results = await runLatency({ rates, paths, seconds, rounds: flags.rounds });
  printLatency(results);
  await producerPool?.end();
  return results;
}

runPart(module, main);
